import { describe, expect, it } from 'vitest';
import { compile, gradCheck, Graph, GraphError, ShapeError, type Tensor } from '../../src/index.ts';
import { loadMnist, Model, modelFromBytes, modelToBytes, momentum, Rng, sgd, type Dataset } from '../../src/nn/node/index.ts';
import { craft } from './model-file.ts';

/** batchNorm(x) → dense 3 on [null, ...shape] inputs, float64, so that figures compare closely. */
function bnModel(shape: number[], options: { momentum?: number; seed?: number } = {}): Model {
  const g = new Graph({ seed: options.seed ?? 1 });
  const x = g.input('x', [null, ...shape]);
  const h = g.batchNorm(x, { momentum: options.momentum ?? 0.9, name: 'bn' });
  return new Model({ inputs: x, outputs: g.dense(g.flatten(h), 3), dtype: 'float64' });
}

/** `count` samples of `features` values, feature f around 2f + 1 with spread f + 1. */
function data(count: number, features: number, seed = 3): Dataset {
  const rng = new Rng(seed);
  const channels = 2;
  const x = Float64Array.from({ length: count * features }, (_, i) => {
    const c = i % channels;
    return 3 * c + 1 + (c + 1) * rng.normal();
  });
  return { x: Float32Array.from(x), y: Int32Array.from({ length: count }, () => rng.int(3)), count, features, classes: 3 };
}

/** Per channel (the last axis, `channels` wide) mean and biased variance of rows [start, start + n). */
function statistics(d: Dataset, start: number, n: number, channels: number): { mean: number[]; variance: number[] } {
  const values = d.x.subarray(start * d.features, (start + n) * d.features);
  const mean = new Array(channels).fill(0);
  const variance = new Array(channels).fill(0);
  const per = values.length / channels;
  values.forEach((v, i) => (mean[i % channels] += v / per));
  values.forEach((v, i) => (variance[i % channels] += (v - mean[i % channels]) ** 2 / per));
  return { mean, variance };
}

describe('g.batchNorm', () => {
  it('makes gamma and beta (trainable) and the moving mean and variance (not), and summary counts them apart', () => {
    const g = new Graph();
    const x = g.input('x', [null, 6, 6, 4]);
    const y = g.batchNorm(x);
    expect(y.shape).toEqual([null, 6, 6, 4]);
    for (const name of ['gamma', 'beta', 'movingMean', 'movingVariance']) expect(g.get(`batchNorm_1/${name}`).shape).toEqual([4]);
    expect(g.parameters.map((p) => p.name)).toEqual(['batchNorm_1/gamma', 'batchNorm_1/beta', 'batchNorm_1/movingMean', 'batchNorm_1/movingVariance']);
    expect(g.trainableParameters.map((p) => p.name)).toEqual(['batchNorm_1/gamma', 'batchNorm_1/beta']);
    const model = new Model({ inputs: x, outputs: g.dense(g.flatten(y), 2) });
    const lines = model.summary().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^batchNorm_1 \(batchNorm\)\s+\[null,6,6,4\]\s+16$/));
    expect(lines.slice(-2)).toEqual(['Total trainable parameters: 298', 'Non-trainable parameters: 8']);
    model.dispose();

    const h = new Graph();
    const v = h.input('v', [null, 5]);
    h.batchNorm(v, { center: false, scale: false, name: 'plain' });
    expect(h.trainableParameters).toEqual([]);
    expect(h.parameters.map((p) => p.name)).toEqual(['plain/movingMean', 'plain/movingVariance']);
  });

  it('refuses bad options and inputs, naming the layer and the shape', () => {
    const g = new Graph();
    const x = g.input('x', [null, 4]);
    expect(() => g.batchNorm(x, { momentum: 1.5, name: 'bn' })).toThrow(/batchNorm 'bn': momentum must be a number in \[0, 1\], got 1.5/);
    expect(() => g.batchNorm(x, { epsilon: 0 })).toThrow(/batchNorm 'batchNorm_\d': epsilon must be a number > 0, got 0/);
    expect(() => g.batchNorm(x, { center: 'yes' as never })).toThrow(/center must be true or false, got 'yes'/);
    expect(() => g.batchNorm(x, { axis: 1 } as never)).toThrow(/batchNorm: unknown option 'axis'; the options are momentum, epsilon, center, scale, name/);
    expect(() => g.batchNorm(g.input('flat', [4]), { name: 'b1' })).toThrow(ShapeError);
    expect(() => g.batchNorm(g.input('flat2', [4]), { name: 'b2' })).toThrow(/batchNorm \(node 'b2'\): the input must be float, \[batch, features\] or \[batch, height, width, channels\], with the last dimension known; input shapes \[4\]/);
    expect(() => g.batchNorm(g.input('open', [null, null]))).toThrow(/input shapes \[null,null\]/);
    expect(() => g.batchNorm(g.input('ids', [null, 3], 'int'))).toThrow(/the input must be float/);
  });

  it('has the gradient finite differences see, through the batch statistics (float64)', () => {
    const cases: [number[], object][] = [
      [[6, 3], {}],
      [[2, 3, 3, 4], {}],
      [[5, 2], { center: false, scale: false }],
    ];
    for (const [shape, options] of cases) {
      // Random gamma and beta, so that they take part; only x is differentiated here.
      const build = (x: Tensor) => {
        const y = x.graph.batchNorm(x, options);
        return y.mul(y.graph.constant(Array.from({ length: shape[shape.length - 1] }, (_, i) => 0.5 + i))).tanh();
      };
      expect(gradCheck(build, [{ shape }], { training: true }).maxRelativeError).toBeLessThan(1e-7);
      expect(gradCheck(build, [{ shape }], { training: true, order: 2 }).maxRelativeError).toBeLessThan(1e-6);
      // Inference: the moving statistics are constants for x.
      expect(gradCheck(build, [{ shape }]).maxRelativeError).toBeLessThan(1e-7);
    }
  });

  it('training updates the moving statistics by momentum·moving + (1 − momentum)·batch, biased variance, step after step', () => {
    for (const shape of [[2], [2, 2, 2]]) {
      const features = shape.reduce((a, b) => a * b, 1);
      const model = bnModel(shape).compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.1 }) });
      const d = data(30, features);
      let mean = [0, 0];
      let variance = [1, 1];
      for (let epoch = 0; epoch < 2; epoch++) {
        model.fit(d, { epochs: 1, batchSize: 10, shuffle: false });
        for (let step = 0; step < 3; step++) {
          const batch = statistics(d, step * 10, 10, 2);
          mean = mean.map((m, c) => 0.9 * m + 0.1 * batch.mean[c]);
          variance = variance.map((v, c) => 0.9 * v + 0.1 * batch.variance[c]);
        }
        const w = model.getWeights();
        expect(Array.from(w.get('bn/movingMean')!)).toEqual(mean.map((m) => expect.closeTo(m, 12)));
        expect(Array.from(w.get('bn/movingVariance')!)).toEqual(variance.map((v) => expect.closeTo(v, 12)));
      }
      // The optimizer has no state for them: they are not among what it updates.
      expect([...model.getWeights().keys()].filter((k) => k.startsWith('optimizer/'))).toEqual(['optimizer/bn/gamma/velocity', 'optimizer/bn/beta/velocity', 'optimizer/dense_1/kernel/velocity', 'optimizer/dense_1/bias/velocity']);
      // Inference programs read them and leave them.
      const before = model.getWeights();
      model.predict(d.x);
      model.evaluate(d);
      expect(model.getWeights()).toEqual(before);
      model.dispose();
    }
  });

  it('a training program the user compiles updates them too; one for inference, or one that does not compute the layer, does not', () => {
    const g = new Graph();
    const x = g.input('x', [null, 2]);
    const other = g.input('other', [null, 2]);
    const y = g.batchNorm(x, { momentum: 0.5, name: 'bn' });
    const moving = g.get('bn/movingMean');
    const feeds = { x: [1, 2, 3, 6], other: [1, 1, 1, 1] };
    const infer = compile(g, { outputs: [y], dtype: 'float64' });
    const elsewhere = compile(g, { outputs: [other.sum()], dtype: 'float64', training: true, device: infer.device });
    const train = compile(g, { outputs: [y.sum()], dtype: 'float64', training: true, device: infer.device });
    infer.run(feeds);
    elsewhere.run(feeds);
    expect(Array.from(infer.device.read('bn/movingMean'))).toEqual([0, 0]);
    train.run(feeds);
    expect(Array.from(infer.device.read('bn/movingMean'))).toEqual([1, 2]); // 0.5·0 + 0.5·[2, 4]
    train.run(feeds);
    expect(Array.from(infer.device.read('bn/movingMean'))).toEqual([1.5, 3]);
    expect(Array.from(infer.device.read('bn/movingVariance'))).toEqual([1, 3.25]); // 0.5·(0.5·1 + 0.5·[1, 4]) + 0.5·[1, 4], biased
    expect(() => compile(g, { outputs: [y], updates: [[moving, moving.add(1)]] })).toThrow(/parameter 'bn\/movingMean' is updated twice \(by the updates given and by its training update/);
    expect(() => g.addTrainingUpdate(moving, moving, y)).toThrow(/'bn\/movingMean' already has a training update/);
    expect(() => g.addTrainingUpdate(g.parameter('w', [2]), x.mean(0), y)).toThrow(GraphError);
    expect(() => g.addTrainingUpdate(g.parameter('s', [3], 'zeros', { trainable: false }), x.mean(0), y)).toThrow(/the new value of 's' \[3\] must be a float tensor of that shape/);
  });

  it('inference programs (predict) normalise with the moving statistics, training programs with the batch ones', () => {
    const model = bnModel([2]);
    const g = model.graph;
    const bn = g.layers.find((l) => l.name === 'bn')!.output;
    model.setWeights({ 'bn/movingMean': [1, -2], 'bn/movingVariance': [4, 0.25], 'bn/gamma': [2, 3], 'bn/beta': [0.5, -1] });
    const x = [3, 0, -1, -1.5, 2, 4];
    const inference = compile(g, { outputs: [bn], device: model.device });
    const training = compile(g, { outputs: [bn], device: model.device, training: true });
    const expected = x.map((v, i) => (i % 2 === 0 ? ((v - 1) / Math.sqrt(4 + 1e-3)) * 2 + 0.5 : ((v + 2) / Math.sqrt(0.25 + 1e-3)) * 3 - 1));
    expect(Array.from(inference.run({ x })[0])).toEqual(expected.map((v) => expect.closeTo(v, 12)));
    // predict: the dense layer over those values.
    const kernel = model.getWeights().get('dense_1/kernel')!;
    const out = model.predict(Float64Array.from(x));
    for (const [row, j] of [[0, 0], [2, 1]]) {
      expect(out[row * 3 + j]).toBeCloseTo(expected[row * 2] * kernel[j] + expected[row * 2 + 1] * kernel[3 + j], 5); // predict returns float32
    }
    // With the batch's statistics instead: column means 4/3 and 0.8333…, a different result.
    const batch = statistics({ x: Float32Array.from(x), y: new Int32Array(3), count: 3, features: 2, classes: 3 }, 0, 3, 2);
    const trained = x.map((v, i) => ((v - batch.mean[i % 2]) / Math.sqrt(batch.variance[i % 2] + 1e-3)) * [2, 3][i % 2] + [0.5, -1][i % 2]);
    expect(Array.from(training.run({ x })[0])).toEqual(trained.map((v) => expect.closeTo(v, 12)));
    model.dispose();
  });

  it('the moving statistics and their updates survive save and load, and old-style files still load', () => {
    const model = bnModel([2, 2, 2]).compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }) });
    const d = data(30, 8);
    model.fit(d, { epochs: 1, batchSize: 10, shuffle: false });
    const bytes = modelToBytes(model);
    const loaded = modelFromBytes(bytes);
    expect(loaded.getWeights()).toEqual(model.getWeights());
    expect(Array.from(loaded.predict(d.x))).toEqual(Array.from(model.predict(d.x)));
    expect(loaded.summary()).toBe(model.summary());
    // Trained on, both keep the statistics up alike.
    model.fit(d, { epochs: 1, batchSize: 10, shuffle: false });
    loaded.fit(d, { epochs: 1, batchSize: 10, shuffle: false });
    expect(loaded.getWeights().get('bn/movingMean')).toEqual(model.getWeights().get('bn/movingMean'));
    expect(loaded.getWeights().get('bn/movingVariance')).not.toEqual(modelFromBytes(bytes).getWeights().get('bn/movingVariance'));
    // A file's training updates are checked like the rest of its description.
    const bad = craft(bytes, (p) => ((p.saved.trainingUpdates as { value: number }[])[0].value = 10_000));
    expect(() => modelFromBytes(bad, 'bad.safetensors')).toThrow(/bad.safetensors: byte 8: the model description's trainingUpdates\[0\].value must be a node index/);
    const wrong = craft(bytes, (p) => {
      const u = p.saved.trainingUpdates as { state: number; value: number }[];
      u[0].state = u[0].value;
    });
    expect(() => modelFromBytes(wrong)).toThrow(/trainingUpdates\[0\] does not fit the graph: addTrainingUpdate: the state must be a parameter made with \{ trainable: false \}/);
    // Without batchNorm a file has no trainingUpdates field (as before).
    const g = new Graph();
    const x = g.input('x', [null, 2]);
    const plain = new Model({ inputs: x, outputs: g.dense(x, 2) });
    expect(craft(modelToBytes(plain), (p) => expect(p.saved.trainingUpdates).toBeUndefined())).toBeDefined();
    for (const m of [model, loaded, plain]) m.dispose();
  });

  it('a small conv net with batchNorm trains on 500 MNIST images and classifies held-out ones', () => {
    const { train, test } = loadMnist({ limit: 500 });
    const held = { ...test, count: 500, x: test.x.subarray(0, 500 * 784), y: test.y.subarray(0, 500) };
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 28, 28, 1]);
    const c = g.batchNorm(g.conv2d(x, 8, { kernelSize: 5, useBias: false, kernelInitializer: 'heNormal' }), { momentum: 0.9 }).relu();
    const h = g.batchNorm(g.dense(g.flatten(g.maxPool2d(c)), 32, { useBias: false }), { momentum: 0.9 }).relu();
    const model = new Model({ inputs: x, outputs: g.dense(h, 10) }).compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.05 }) });
    const history = model.fit(train, { epochs: 3, batchSize: 25, seed: 1 });
    expect(history.epochs[2].loss).toBeLessThan(history.epochs[0].loss);
    const { accuracy } = model.evaluate(held);
    expect(accuracy).toBeGreaterThanOrEqual(0.83); // 0.80 without the batchNorm layers (seed 1)
    model.dispose();
  }, 60_000);
});
