import { describe, expect, it } from 'vitest';
import { Graph, type Tensor } from '../../../src/index.ts';
import { Model, Rng, sgd, quadratic, type LossName } from '../../../src/nn/index.ts';
import { backprop, forward, matrix, sigmoid, type Net } from '../../../src/nn/reference/index.ts';
import { referenceNetOf, traceBackprop } from '../../../src/nn/learn/index.ts';

type Act = 'sigmoid' | 'relu';

function model(sizes: number[], hidden: Act, loss: LossName, seed = 1): Model {
  const g = new Graph({ seed });
  const x = g.input('x', [null, sizes[0]]);
  let a: Tensor = x;
  for (let l = 1; l < sizes.length; l++) {
    const last = l === sizes.length - 1;
    const activation = !last ? hidden : loss === 'softmaxCrossEntropy' ? 'linear' : 'sigmoid';
    a = g.dense(a, sizes[l], { activation, kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' });
  }
  return new Model({ inputs: x, outputs: a, dtype: 'float64' }).compile({ loss, optimizer: sgd({ learningRate: 1 }) });
}

function batch(m: number, n0: number, classes: number, seed = 7) {
  const rng = new Rng(seed);
  return { x: Float64Array.from({ length: m * n0 }, () => rng.next()), y: Int32Array.from({ length: m }, () => rng.int(classes)) };
}

describe('traceBackprop against the hand reference, float64', () => {
  const cases: [number[], Act, LossName][] = [
    [[784, 30, 10], 'sigmoid', 'quadratic'],
    [[784, 30, 10], 'sigmoid', 'binaryCrossEntropy'],
    [[784, 30, 10], 'relu', 'softmaxCrossEntropy'],
    [[20, 16, 16, 10], 'sigmoid', 'quadratic'],
  ];
  it.each(cases)('[%s] %s %s: every z, a, δ, ∂C/∂b, ∂C/∂w within 1e-12', (sizes, hidden, loss) => {
    const m = model(sizes, hidden, loss);
    const trace = traceBackprop(m, batch(10, sizes[0], sizes[sizes.length - 1]));
    expect(trace.referenceNote).toBeUndefined();
    expect(trace.layers).toHaveLength(sizes.length - 1);
    for (const layer of trace.layers) {
      expect(layer.quantities.map((q) => q.name)).toEqual([`z${layer.layer}`, `a${layer.layer}`, `δ${layer.layer}`, `∂C/∂b${layer.layer}`, `∂C/∂w${layer.layer}`]);
      for (const q of layer.quantities) expect(q.maxDifference, `${q.name}`).toBeLessThanOrEqual(1e-12);
    }
    expect(trace.maxDifference).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(trace.loss - trace.referenceLoss!)).toBeLessThanOrEqual(1e-12);
    m.dispose();
  });

  it.each([
    ['sigmoid', 'quadratic', '(a2 − y) ⊙ a2 ⊙ (1 − a2) / m', 'δ2·w2ᵀ ⊙ a1 ⊙ (1 − a1)'],
    ['sigmoid', 'binaryCrossEntropy', '(a2 − y) / m', 'δ2·w2ᵀ ⊙ a1 ⊙ (1 − a1)'],
    ['relu', 'softmaxCrossEntropy', '(a2 − y) / m', 'δ2·w2ᵀ ⊙ step(a1)'],
  ] as const)('reads BP1–BP4 off the gradient graph of a %s / %s net', (hidden, loss, bp1, bp2) => {
    const m = model([6, 5, 4], hidden, loss);
    const trace = traceBackprop(m, batch(3, 6, 4));
    const formulas = trace.layers.flatMap((l) => l.quantities.filter((q) => q.formula).map((q) => `${q.name} = ${q.formula}`));
    expect(formulas).toEqual(['δ1 = ' + bp2, '∂C/∂b1 = Σ_rows δ1', '∂C/∂w1 = a0ᵀ·δ1', 'δ2 = ' + bp1, '∂C/∂b2 = Σ_rows δ2', '∂C/∂w2 = a1ᵀ·δ2']);
    expect(trace.toString()).toContain(`The same quantities read off the autodiff graph (formatMath):\n  δ2 = ${bp1}\n`);
    m.dispose();
  });

  it('returns the arrays in the shapes of the row form, and they are the reference values', () => {
    const m = model([6, 5, 4], 'sigmoid', 'quadratic');
    const b = batch(3, 6, 4);
    const trace = traceBackprop(m, b);
    const [l1, l2] = trace.layers;
    expect([l1.z.rows, l1.z.cols, l1.delta.rows, l1.delta.cols, l1.weightGradient.rows, l1.weightGradient.cols, l1.biasGradient.length]).toEqual([3, 5, 3, 5, 6, 5, 5]);
    // Held against the reference computed here from the model's own weights, not from the trace.
    const w = m.getWeights();
    const net: Net = {
      weights: [matrix(6, 5, w.get('dense_1/kernel')!), matrix(5, 4, w.get('dense_2/kernel')!)],
      biases: [w.get('dense_1/bias')!, w.get('dense_2/bias')!],
      hidden: sigmoid,
      output: sigmoid,
      cost: 'quadratic',
    };
    const y = matrix(3, 4);
    b.y.forEach((c, r) => (y.data[r * 4 + c] = 1));
    const x = matrix(3, 6, b.x);
    const ref = backprop(net, x, y);
    const pass = forward(net, x);
    const close = (a: ArrayLike<number>, e: ArrayLike<number>) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(e[i], 14));
    close(l2.delta.data, ref.deltas[1].data);
    close(l1.delta.data, ref.deltas[0].data);
    close(l1.a.data, pass.activations[1].data);
    close(l2.weightGradient.data, ref.weightGradients[1].data);
    close(Array.from(l1.biasGradient), ref.biasGradients[0]);
    m.dispose();
  });

  it("hands the model's own weights to the reference (referenceNetOf)", () => {
    const m = model([6, 5, 4], 'relu', 'softmaxCrossEntropy');
    const net = referenceNetOf(m);
    const w = m.getWeights();
    expect(net.weights[1].data).toEqual(w.get('dense_2/kernel'));
    expect([net.hidden.name, net.cost]).toEqual(['relu', 'softmaxCrossEntropy']);
    const b = batch(3, 6, 4);
    const y = matrix(3, 4);
    b.y.forEach((c, r) => (y.data[r * 4 + c] = 1));
    const trace = traceBackprop(m, b);
    expect(backprop(net, matrix(3, 6, b.x), y).loss).toBeCloseTo(trace.loss, 14);
    const g = new Graph();
    const x = g.input('x', [null, 3]);
    const mixed = new Model({ inputs: x, outputs: g.dense(g.dense(g.dense(x, 3, { activation: 'relu' }), 3, { activation: 'tanh' }), 2, { activation: 'sigmoid' }) });
    mixed.compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    expect(() => referenceNetOf(mixed)).toThrow(/referenceNetOf: no reference: it has one hidden activation, this net has relu and tanh/);
    m.dispose();
    mixed.dispose();
  });

  it('traces the model at its current weights, after training', () => {
    const m = model([6, 5, 4], 'sigmoid', 'quadratic');
    const b = batch(8, 6, 4);
    const before = traceBackprop(m, b);
    m.fit({ x: Float32Array.from(b.x), y: b.y, count: 8, features: 6, classes: 4 }, { epochs: 3, batchSize: 4 });
    const after = traceBackprop(m, b);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.maxDifference).toBeLessThanOrEqual(1e-12);
    m.dispose();
  });

  it('traces a graph written by hand, with one-hot float targets, like the Model', () => {
    const g = new Graph({ seed: 4 });
    const x = g.input('x', [null, 6]);
    const y = g.input('y', [null, 4]);
    const w1 = g.parameter('w1', [6, 5], 'randomNormal');
    const b1 = g.parameter('b1', [5], 'randomNormal');
    const w2 = g.parameter('w2', [5, 4], 'randomNormal');
    const b2 = g.parameter('b2', [4], 'randomNormal');
    const a2 = x.matMul(w1).add(b1).sigmoid().matMul(w2).add(b2).sigmoid();
    const loss = quadratic(a2, y);
    const b = batch(5, 6, 4);
    const onehot = new Float64Array(20);
    b.y.forEach((c, r) => (onehot[r * 4 + c] = 1));
    const trace = traceBackprop({ loss, output: a2, input: x, targets: y, cost: 'quadratic' }, { x: b.x, y: onehot });
    expect(trace.sizes).toEqual([6, 5, 4]);
    expect(trace.maxDifference).toBeLessThanOrEqual(1e-12);
    // Without the cost it still traces, and says why there is no reference.
    const bare = traceBackprop({ loss, output: a2, input: x, targets: y }, { x: b.x, y: b.y });
    expect(bare.referenceNote).toMatch(/pass the cost/);
    expect(bare.layers[1].delta.data).toEqual(trace.layers[1].delta.data);
  });

  it('prints a compact table naming BP1–BP4', () => {
    const m = model([6, 5, 4], 'sigmoid', 'quadratic');
    const text = traceBackprop(m, batch(3, 6, 4)).toString();
    expect(text).toMatch(/^Backprop trace of \[6,5,4\] \(sigmoid\/sigmoid\), quadratic cost, batch of m = 3/);
    expect(text).toMatch(/δ2 +BP1 \(a2 − y\) ⊙ σ′\(z2\) \/ m +3×4 /);
    expect(text).toMatch(/δ1 +BP2 \(δ2·w2ᵀ\) ⊙ σ′\(z1\) +3×5 /);
    expect(text).toMatch(/∂C\/∂b1 +BP3 Σ_rows δ1 +1×5 /);
    expect(text).toMatch(/∂C\/∂w1 +BP4 a0ᵀ·δ1 +6×5 /);
    expect(text).toMatch(/largest difference from the hand reference: \d\.\de-\d\d/);
    m.dispose();
  });

  it('traces through dropout (the identity outside training) and a softmax output layer', () => {
    const g = new Graph({ seed: 5 });
    const x = g.input('x', [null, 6]);
    const h = g.dropout(g.dense(x, 5, { activation: 'tanh', kernelInitializer: 'randomNormal' }), 0.5);
    const m = new Model({ inputs: x, outputs: g.dense(h, 4, { activation: 'softmax' }), dtype: 'float64' });
    m.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 1 }) });
    const trace = traceBackprop(m, batch(4, 6, 4));
    expect(trace.layers.map((l) => l.activation)).toEqual(['tanh', 'softmax']);
    expect(trace.maxDifference).toBeLessThanOrEqual(1e-12);
    m.dispose();
  });

  it('refuses what it cannot trace, saying why', () => {
    const g = new Graph();
    const x = g.input('x', [null, 3]);
    const out = g.dense(x, 2, { activation: 'sigmoid' });
    const m = new Model({ inputs: x, outputs: out });
    expect(() => traceBackprop(m, { x: [1, 2, 3], y: [0] })).toThrow(/call model.compile/);
    m.compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    expect(() => traceBackprop(m, { x: [1, 2, 3, 4], y: [0] })).toThrow(/x has 4 values, not a whole number of rows of 3/);
    expect(() => traceBackprop(m, { x: [1, 2, 3], y: [5] })).toThrow(/label 5 of row 0 is not a class id in 0…1/);
    const odd = x.mul(2).matMul(g.parameter('w', [3, 2])).sigmoid();
    expect(() => traceBackprop({ loss: odd.sum(), output: odd, input: x, targets: m.labels }, { x: [1, 2, 3], y: [0] })).toThrow(/%\d+ mul is not a matMul of a dense layer/);
    m.dispose();
  });
});

describe("traceBackprop on a learner's own net (network.py's lists of weights and biases)", () => {
  it("traces a port of network.py on its [x, y] samples: autodiff, the reference and the port's backprop agree", async () => {
    const { Network } = await import('../../../examples/network-py.ts');
    const net = new Network([2, 3, 2], { seed: 3 });
    const samples: [number[][], number[][]][] = [
      [[[0.2], [0.7]], [[1], [0]]],
      [[[0.9], [0.1]], [[0], [1]]],
    ];
    const trace = traceBackprop(net, samples);
    expect(trace.sizes).toEqual([2, 3, 2]);
    expect(trace.m).toBe(2);
    expect(trace.maxDifference!).toBeLessThan(1e-12);
    // The mean over the samples of the port's own per-sample backprop is the traced gradient (column form = transposed).
    const per = samples.map(([x, y]) => net.backprop(x, y));
    for (let l = 0; l < 2; l++) {
      const w = trace.layers[l].weightGradient; // row form [n_{l−1}, n_l]
      for (let i = 0; i < w.rows; i++) for (let j = 0; j < w.cols; j++) expect(w.data[i * w.cols + j]).toBeCloseTo((per[0][1][l][j][i] + per[1][1][l][j][i]) / 2, 12);
      trace.layers[l].biasGradient.forEach((v, j) => expect(v).toBeCloseTo((per[0][0][l][j][0] + per[1][0][l][j][0]) / 2, 12));
    }
    // Class ids work as y, as in network.py's test data.
    expect(traceBackprop(net, [[[[0.2], [0.7]], 0]]).layers[1].delta.data[0]).toBeCloseTo(trace.layers[1].delta.data[0] * 2, 12);
  });

  it('row form, matrices, and clear errors for a net that does not fit', () => {
    const w1 = matrix(2, 3, [0.1, -0.2, 0.3, 0.4, 0.5, -0.6]);
    const w2 = matrix(3, 1, [0.7, -0.8, 0.9]);
    const trace = traceBackprop({ weights: [w1, w2], biases: [[0.1, 0.2, 0.3], [-0.1]] }, { x: [1, 0], y: [1] }, { form: 'row' });
    const ref = backprop({ weights: [w1, w2], biases: [Float64Array.of(0.1, 0.2, 0.3), Float64Array.of(-0.1)], hidden: sigmoid, output: sigmoid, cost: 'quadratic' }, matrix(1, 2, [1, 0]), matrix(1, 1, [1]));
    expect(trace.layers[0].weightGradient.data[4]).toBeCloseTo(ref.weightGradients[0].data[4], 14);
    expect(() => traceBackprop({ weights: [w1, w2], biases: [[0.1, 0.2], [-0.1]] }, { x: [1, 0], y: [1] }, { form: 'row' })).toThrow(/b1 must have 3 entries, got 2/);
    expect(() => traceBackprop({ weights: [w1, w1], biases: [[0, 0, 0], [0, 0, 0]] }, { x: [1, 0], y: [1] }, { form: 'row' })).toThrow(/w2 is 2×3, but layer 1 has 3 neurons \(row form\)/);
    expect(() => traceBackprop({ weights: [w1, w2], biases: [[0, 0, 0], [0]] }, [[[1, 2, 3], [1]]], { form: 'row' })).toThrow(/sample 0: x must have 2 entries, got 3/);
  });
});
