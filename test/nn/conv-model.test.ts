import { describe, expect, it } from 'vitest';
import { Graph, ShapeError } from '../../src/index.ts';
import { adam, loadMnist, Model, modelFromBytes, modelToBytes, momentum } from '../../src/nn/node/index.ts';

/** conv 5x5x8 relu → maxPool 2 → flatten → dense 10 on [null, 28, 28, 1] images. */
function convNet(seed = 1) {
  const g = new Graph({ seed });
  const x = g.input('x', [null, 28, 28, 1]);
  const h = g.maxPool2d(g.conv2d(x, 8, { kernelSize: 5, activation: 'relu', kernelInitializer: 'heNormal' }));
  const out = g.dense(g.flatten(h), 10);
  return new Model({ inputs: x, outputs: out });
}

describe('a conv net on image inputs [null, 28, 28, 1]', () => {
  it('builds with g.conv2d, g.maxPool2d, g.avgPool2d, g.globalAveragePooling2d, g.flatten and summarises its layers', () => {
    const lines = convNet().summary().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^x \(input\)\s+\[null,28,28,1\]\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^conv2d_1 \(conv2d 5x5 relu\)\s+\[null,24,24,8\]\s+208$/));
    expect(lines).toContainEqual(expect.stringMatching(/^maxPool2d_1 \(maxPool2d 2x2\)\s+\[null,12,12,8\]\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^flatten_1 \(flatten\)\s+\[null,1152\]\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^dense_1 \(dense linear\)\s+\[null,10\]\s+11530$/));
    expect(lines[lines.length - 1]).toBe('Total trainable parameters: 11738');

    const g = new Graph();
    const x = g.input('x', [null, 8, 8, 3]);
    const c = g.conv2d(x, 4, { kernelSize: [3, 2], strides: 2, padding: 'same', useBias: false, name: 'c' });
    expect(c.shape).toEqual([null, 4, 4, 4]);
    expect(g.get('c/kernel').shape).toEqual([3, 2, 3, 4]);
    expect(g.has('c/bias')).toBe(false);
    expect(g.avgPool2d(c, { poolSize: 3, strides: 1, padding: 'same' }).shape).toEqual([null, 4, 4, 4]);
    expect(g.globalAveragePooling2d(c).shape).toEqual([null, 4]);
    expect(() => g.conv2d(g.input('v', [null, 64]), 4, { kernelSize: 3 })).toThrow(ShapeError);
    expect(() => g.conv2d(x, 4, { kernelSize: 0 })).toThrow(/conv2d: kernelSize must be a positive whole number or two, got 0/);
    expect(() => new Model({ inputs: g.input('partly', [null, 8, null, 1]), outputs: g.dense(g.flatten(c), 2) })).toThrow(/every dimension but the batch known/);
  });

  it('trains on 500 MNIST images: the loss falls epoch after epoch, and it classifies held-out images', () => {
    const data = loadMnist({ limit: 500 });
    const test = { ...data.test, count: 500, x: data.test.x.subarray(0, 500 * 784), y: data.test.y.subarray(0, 500) };
    const model = convNet().compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.05, momentum: 0.9 }) });
    const before = model.evaluate(test);
    const history = model.fit(data.train, { epochs: 3, batchSize: 20, seed: 1 });
    const losses = history.epochs.map((e) => e.loss);
    expect(losses[1]).toBeLessThan(losses[0]);
    expect(losses[2]).toBeLessThan(losses[1]);
    const after = model.evaluate(test);
    expect(after.loss).toBeLessThan(before.loss / 2);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.8);
    // predict takes rows of 784 pixels, as the datasets keep them
    expect(model.predictClasses(test.x.subarray(0, 784 * 10)).length).toBe(10);
    const loaded = modelFromBytes(modelToBytes(model));
    expect(loaded.input.shape).toEqual([null, 28, 28, 1]);
    expect(Array.from(loaded.predict(test.x))).toEqual(Array.from(model.predict(test.x)));
  }, 60_000);

  it('fits with Adam through avgPool2d and globalAveragePooling2d too', () => {
    const data = loadMnist({ limit: 200 });
    const g = new Graph({ seed: 3 });
    const x = g.input('x', [null, 28, 28, 1]);
    const h = g.conv2d(g.avgPool2d(x), 16, { kernelSize: 3, padding: 'same', activation: 'relu' });
    const model = new Model({ inputs: x, outputs: g.dense(g.globalAveragePooling2d(h), 10) }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
    const history = model.fit(data.train, { epochs: 3, batchSize: 25, seed: 1 });
    expect(history.epochs[2].loss).toBeLessThan(history.epochs[0].loss);
  }, 60_000);
});
