import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/index.ts';
import { adam, loadMnist, Model, modelFromBytes, modelToBytes, sgd } from '../../src/nn/node/index.ts';

// Small runs on the real MNIST (the first 5,000 training images), to show that training works
// end to end. The full runs are `npm run mnist`.
const data = loadMnist({ limit: 5000 });
const test = { ...data.test, count: 2000, x: data.test.x.subarray(0, 2000 * 784), y: data.test.y.subarray(0, 2000) };

describe('training on real MNIST', () => {
  it("the classic sigmoid net reaches ≥ 80% after 3 epochs on 5,000 images", () => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 784]);
    const h = g.dense(x, 30, { activation: 'sigmoid', kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' });
    const out = g.dense(h, 10, { activation: 'sigmoid', kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' });
    const model = new Model({ inputs: x, outputs: out }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });
    model.fit(data.train, { epochs: 3, batchSize: 10 });
    expect(model.evaluate(test).accuracy).toBeGreaterThanOrEqual(0.8);
  }, 60_000);

  it('a ReLU/softmax net with Adam reaches ≥ 88% after 2 epochs on 5,000 images, and saves and loads to identical outputs', () => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 784]);
    const h = g.dense(x, 64, { activation: 'relu', kernelInitializer: 'heNormal' });
    const model = new Model({ inputs: x, outputs: g.dense(h, 10) }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.002 }) });
    model.fit(data.train, { epochs: 2, batchSize: 32 });
    expect(model.evaluate(test).accuracy).toBeGreaterThanOrEqual(0.88);
    const loaded = modelFromBytes(modelToBytes(model));
    expect(Array.from(loaded.predict(test.x))).toEqual(Array.from(model.predict(test.x)));
  }, 60_000);
});
