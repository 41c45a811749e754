/**
 * The catalogue of gradient checks: every differentiable op, every broadcasting pattern and every
 * reduction axis, plus second-order checks. `npm test` and `npm run gradcheck` both run it.
 */
import type { GradCheckInput } from '../runtime/gradcheck.ts';
import type { Attrs } from '../core/ir.ts';
import { Graph } from '../graph/graph.ts';
import type { Tensor, WindowOptions } from '../graph/tensor.ts';

export interface GradientCase {
  /** The op under test (as registered). */
  op: string;
  /** What this case exercises, for the table. */
  label: string;
  inputs: GradCheckInput[];
  build: (...xs: Tensor[]) => Tensor;
  order?: 1 | 2;
  /** Checked as a training program computes it (inTrainPhase's first branch). */
  training?: boolean;
}

/**
 * Ops with no gradient by definition (their outputs are piecewise constant or carry no values),
 * and softmaxCrossEntropyGrad and reluGrad, gradients made by passes after autodiff has run.
 */
export const notDifferentiable = ['input', 'parameter', 'constant', 'sign', 'step', 'equal', 'oneHot', 'count', 'stopGradient', 'dropoutMask', 'softmaxCrossEntropyGrad', 'reluGrad'];

const s = (...shape: number[]): GradCheckInput => ({ shape });
const positive = (...shape: number[]): GradCheckInput => ({ shape, domain: 'positive' });
const away = (...shape: number[]): GradCheckInput => ({ shape, domain: 'awayFromZero' });
const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;

function unaryCases(): GradientCase[] {
  const list: [string, GradCheckInput, (x: Tensor) => Tensor, string?][] = [
    ['neg', s(3, 4), (x) => x.neg()],
    ['exp', s(3, 4), (x) => x.exp()],
    ['log', positive(3, 4), (x) => x.log()],
    ['sqrt', positive(3, 4), (x) => x.sqrt()],
    ['square', s(3, 4), (x) => x.square()],
    ['pow', s(3, 4), (x) => x.pow(3), 'p = 3'],
    ['pow', positive(3, 4), (x) => x.pow(0.5), 'p = 0.5'],
    ['pow', positive(3, 4), (x) => x.pow(-2), 'p = −2'],
    ['abs', away(3, 4), (x) => x.abs()],
    ['sigmoid', s(3, 4), (x) => x.sigmoid()],
    ['tanh', s(3, 4), (x) => x.tanh()],
    ['relu', away(3, 4), (x) => x.relu()],
    ['softplus', s(3, 4), (x) => x.mul(3).softplus()],
    ['softsign', s(3, 4), (x) => x.mul(3).softsign()],
  ];
  return list.map(([op, input, f, note]) => ({ op, label: note ?? fmt(input.shape), inputs: [input], build: f }));
}

/** Broadcasting patterns: equal, row, column, scalar, both sides broadcast, rank-1 on the left. */
const patterns: [number[], number[]][] = [
  [[3, 4], [3, 4]],
  [[3, 4], [4]],
  [[3, 4], [3, 1]],
  [[3, 4], []],
  [[2, 1, 4], [3, 1]],
  [[1], [3, 4]],
  [[4], [3, 4]],
];

function binaryCases(): GradientCase[] {
  const ops: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', (a, b) => a.add(b)],
    ['sub', (a, b) => a.sub(b)],
    ['mul', (a, b) => a.mul(b)],
    ['div', (a, b) => a.div(b)],
  ];
  const arithmetic = ops.flatMap(([op, f]) =>
    patterns.map(([a, b]) => ({
      op,
      label: `${fmt(a)} with ${fmt(b)}`,
      inputs: [s(...a), op === 'div' ? away(...b) : s(...b)],
      build: f,
    })),
  );
  // a tensor exponent: gradients w.r.t. a positive base and the exponent, every pattern
  const pow = patterns.map(([a, b]) => ({
    op: 'pow',
    label: `tensor exponent: ${fmt(a)} ^ ${fmt(b)}`,
    inputs: [positive(...a), s(...b)],
    build: (x: Tensor, p: Tensor) => x.pow(p),
  }));
  const extremes = patterns.flatMap(([a, b]) => [
    { op: 'maximum', label: `${fmt(a)} with ${fmt(b)}`, inputs: [s(...a), s(...b)], build: (x: Tensor, y: Tensor) => x.maximum(y) },
    { op: 'minimum', label: `${fmt(a)} with ${fmt(b)}`, inputs: [s(...a), s(...b)], build: (x: Tensor, y: Tensor) => x.minimum(y) },
  ]);
  // maximum(x, x) = x: at the tie the two shares must add up to dy (derivative 1).
  const ties = [
    { op: 'maximum', label: 'a tie, maximum(x, x)', inputs: [s(3, 4)], build: (x: Tensor) => x.maximum(x) },
    { op: 'maximum', label: 'against a number, maximum(x, 0.2)', inputs: [away(3, 4)], build: (x: Tensor) => x.maximum(0.2) },
  ];
  const where = patterns.map(([a, b]) => ({
    op: 'where',
    label: `cond [3,4], a ${fmt(a)}, b ${fmt(b)}`,
    inputs: [s(3, 4), s(...a), s(...b)],
    build: (c: Tensor, x: Tensor, y: Tensor) => c.step().where(x, y),
  }));
  return [...arithmetic, ...pow, ...extremes, ...ties, ...where];
}

function matMulCases(): GradientCase[] {
  return [
    [false, false, [3, 5], [5, 4]],
    [false, true, [3, 5], [4, 5]],
    [true, false, [5, 3], [5, 4]],
    [true, true, [5, 3], [4, 5]],
  ].map(([tA, tB, a, b]) => ({
    op: 'matMul',
    label: `${tA ? 'aᵀ' : 'a'}·${tB ? 'bᵀ' : 'b'} ${fmt(a as number[])}·${fmt(b as number[])}`,
    inputs: [s(...(a as number[])), s(...(b as number[]))],
    build: (x: Tensor, y: Tensor) => x.matMul(y, tA as boolean, tB as boolean),
  }));
}

function batchMatMulCases(): GradientCase[] {
  const forms = [
    [false, false, [2, 3, 5], [2, 5, 4]],
    [false, true, [2, 3, 5], [2, 4, 5]],
    [true, false, [2, 5, 3], [2, 5, 4]],
    [true, true, [2, 5, 3], [2, 4, 5]],
    [false, false, [2, 3, 5], [5, 4]],
    [false, true, [2, 3, 5], [4, 5]],
    [false, false, [3, 5], [2, 5, 4]],
    [true, true, [5, 3], [2, 4, 5]],
  ] as const;
  return forms.map(([tA, tB, a, b]) => ({
    op: 'batchMatMul',
    label: `${tA ? 'aᵀ' : 'a'}·${tB ? 'bᵀ' : 'b'} ${fmt(a)}·${fmt(b)}`,
    inputs: [s(...a), s(...b)],
    build: (x: Tensor, y: Tensor) => x.matMul(y, tA, tB),
  }));
}

const reductionAxes: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 2], [0, 1], [1, 2]];

function fusedCases(): GradientCase[] {
  const updates = [
    [false, false, [3, 5], [5, 4]],
    [true, false, [5, 3], [5, 4]],
    [false, true, [3, 5], [4, 5]],
  ].map(([tA, tB, a, b]) => ({
    op: 'subScaledMatMul',
    label: `c − s·${tA ? 'aᵀ' : 'a'}·${tB ? 'bᵀ' : 'b'}`,
    inputs: [s(3, 4), s(...(a as number[])), s(...(b as number[])), s()],
    build: (c: Tensor, x: Tensor, y: Tensor, k: Tensor) => c.graph.apply('subScaledMatMul', [c, x, y, k], { transposeA: tA, transposeB: tB }),
  }));
  const dense = (['linear', 'relu', 'sigmoid'] as const).map((activation) => ({
    op: 'matMulBiasActivation',
    label: `${activation}(x·W + b)`,
    inputs: [s(3, 5), s(5, 4), s(4)],
    build: (x: Tensor, w: Tensor, b: Tensor) => x.graph.apply('matMulBiasActivation', [x, w, b], { activation }),
  }));
  const conv = (['linear', 'relu', 'sigmoid'] as const).map((activation, i) => {
    const [label, o] = windowCases[i];
    return {
      op: 'conv2dBiasActivation',
      label: `${activation}(x ⋆ f + b), ${label}`,
      inputs: [s(2, 5, 6, 3), s(3, 2, 3, 4), s(4)],
      build: (x: Tensor, f: Tensor, b: Tensor) => x.graph.apply('conv2dBiasActivation', [x, f, b], { ...convOf(o).attrs, activation }),
    };
  });
  return [...updates, ...dense, ...conv];
}

function reductionCases(): GradientCase[] {
  const ops: [string, (x: Tensor, axes: number | number[] | undefined, keep: boolean) => Tensor][] = [
    ['sum', (x, a, k) => x.sum(a, k)],
    ['max', (x, a, k) => x.max(a, k)],
    ['logSumExp', (x, a, k) => x.logSumExp(a, k)],
    ['mean', (x, a, k) => x.mean(a, k)],
    ['min', (x, a, k) => x.min(a, k)],
  ];
  const plain = ops.flatMap(([op, f]) =>
    reductionAxes.flatMap((axes) =>
      [false, true].map((keepDims) => ({
        op,
        label: `axes ${axes === undefined ? 'all' : JSON.stringify(axes)}${keepDims ? ', keepDims' : ''}`,
        inputs: [s(2, 3, 4)],
        build: (x: Tensor) => f(x, axes, keepDims),
      })),
    ),
  );
  // Ties: each value of x twice along the reduced axis, beside x ∓ 1, so the maximum (minimum) is
  // a tie of two. The two shares must add up to dy: d/dx = 1, which is what finite differences
  // see (TF.js's whole gradient per tie would give 2).
  const twice = (x: Tensor, offset: number) => x.reshape([...(x.shape as number[]), 1]).add(x.graph.constant([0, offset, 0], [1, 1, 3]));
  const ties: GradientCase[] = [
    { op: 'max', label: 'ties of two along the last axis', inputs: [s(3, 4)], build: (x) => twice(x, -1).max(-1) },
    { op: 'max', label: 'ties of two, axes [0,2], keepDims', inputs: [s(3, 4)], build: (x) => twice(x, -1).max([0, 2], true) },
    { op: 'min', label: 'ties of two along the last axis', inputs: [s(3, 4)], build: (x) => twice(x, 1).min(-1) },
  ];
  return [...plain, ...ties];
}

function otherCases(): GradientCase[] {
  const soft = (...shape: number[]): GradCheckInput => ({ shape, domain: 'positive' });
  return [
    { op: 'cast', label: 'float → float, [3,4]', inputs: [s(3, 4)], build: (x) => x.cast('float').mul(x) },
    { op: 'transpose', label: '[3,4] reversed', inputs: [s(3, 4)], build: (x) => x.transpose() },
    { op: 'transpose', label: '[2,3,4] perm [2,0,1]', inputs: [s(2, 3, 4)], build: (x) => x.transpose([2, 0, 1]) },
    { op: 'reshape', label: '[3,4] → [2,6]', inputs: [s(3, 4)], build: (x) => x.reshape([2, 6]).mul(x.reshape([2, 6])) },
    { op: 'reshape', label: '[2,3,4] → [6,-1]', inputs: [s(2, 3, 4)], build: (x) => x.reshape([6, -1]).exp() },
    {
      op: 'broadcastAxes',
      label: '[2,4] along axis 1 of [2,3,4]',
      inputs: [s(2, 4), s(2, 3, 4)],
      build: (x, like) => x.graph.apply('broadcastAxes', [x, like], { axes: [1], keepDims: false }),
    },
    ...[0, 1, -1].map((axis) => ({ op: 'softmax', label: `[3,4] axis ${axis}`, inputs: [s(3, 4)], build: (x: Tensor) => x.softmax(axis) })),
    { op: 'softmax', label: '[2,3,4] axis 1', inputs: [s(2, 3, 4)], build: (x) => x.softmax(1) },
    ...[0, 1, -1].map((axis) => ({ op: 'logSoftmax', label: `[3,4] axis ${axis}`, inputs: [s(3, 4)], build: (x: Tensor) => x.logSoftmax(axis) })),
    { op: 'logSoftmax', label: '[2,3,4] axis 1', inputs: [s(2, 3, 4)], build: (x) => x.logSoftmax(1) },
    {
      op: 'softmaxCrossEntropy',
      label: 'int labels [5], logits [5,4]',
      inputs: [s(5, 4), { shape: [5], classes: 4 }],
      build: (z, labels) => z.softmaxCrossEntropy(labels),
    },
    {
      op: 'softmaxCrossEntropy',
      label: 'probability rows [5,4] (both inputs)',
      inputs: [s(5, 4), soft(5, 4)],
      build: (z, p) => z.softmaxCrossEntropy(p.div(p.sum(-1, true))),
    },
    {
      op: 'softmaxCrossEntropy',
      label: 'int labels [5], label smoothing 0.1',
      inputs: [s(5, 4), { shape: [5], classes: 4 }],
      build: (z, labels) => z.softmaxCrossEntropy(labels, { labelSmoothing: 0.1 }),
    },
    {
      op: 'softmaxCrossEntropy',
      label: 'probability rows [5,4], label smoothing 0.3',
      inputs: [s(5, 4), soft(5, 4)],
      build: (z, p) => z.softmaxCrossEntropy(p.div(p.sum(-1, true)), { labelSmoothing: 0.3 }),
    },
    {
      op: 'softmaxCrossEntropy',
      label: 'unnormalised rows [2,3,4]',
      inputs: [s(2, 3, 4), soft(2, 3, 4)],
      build: (z, y) => z.softmaxCrossEntropy(y),
    },
  ];
}

/** Window placements every convolution and pooling op is checked under. */
const windowCases: [string, WindowOptions][] = [
  ['valid', {}],
  ['same, strides 2', { padding: 'same', strides: 2 }],
  ['explicit [[1,0],[2,1]], strides [2,1]', { padding: [[1, 0], [2, 1]], strides: [2, 1] }],
  ['dilations 2, same', { padding: 'same', dilations: 2 }],
];

/** The output shape and attributes of x [2,5,6,3] ⋆ f [3,2,3,4] under `o`. */
function convOf(o: WindowOptions): { shape: number[]; attrs: Attrs } {
  const g = new Graph();
  const y = g.input('x', [2, 5, 6, 3]).conv2d(g.input('f', [3, 2, 3, 4]), o);
  return { shape: y.shape as number[], attrs: y.node.attrs };
}

function convCases(): GradientCase[] {
  const conv = windowCases.map(([label, o]) => ({
    op: 'conv2d',
    label: `x [2,5,6,3] ⋆ f [3,2,3,4], ${label}`,
    inputs: [s(2, 5, 6, 3), s(3, 2, 3, 4)],
    build: (x: Tensor, f: Tensor) => x.conv2d(f, o),
  }));
  // The gradient ops on their own, both inputs differentiated (their vjps are the other two ops).
  const backInput = windowCases.map(([label, o]) => {
    const { shape, attrs } = convOf(o);
    return {
      op: 'conv2dBackpropInput',
      label: `dy ${fmt(shape)}, f [3,2,3,4] → [2,5,6,3], ${label}`,
      inputs: [s(...shape), s(3, 2, 3, 4)],
      build: (dy: Tensor, f: Tensor) => dy.graph.apply('conv2dBackpropInput', [dy, f], { ...attrs, inputSize: [5, 6] }),
    };
  });
  const backFilter = windowCases.map(([label, o]) => {
    const { shape, attrs } = convOf(o);
    return {
      op: 'conv2dBackpropFilter',
      label: `x [2,5,6,3], dy ${fmt(shape)} → [3,2,3,4], ${label}`,
      inputs: [s(2, 5, 6, 3), s(...shape)],
      build: (x: Tensor, dy: Tensor) => x.graph.apply('conv2dBackpropFilter', [x, dy], { ...attrs, filterSize: [3, 2] }),
    };
  });
  const pools = (['maxPool2d', 'avgPool2d'] as const).flatMap((op) =>
    [
      ['2x2', 2, {}],
      ['3x2, strides 1, same', [3, 2], { strides: 1, padding: 'same' }],
      ['2x2, strides 1, explicit [[1,1],[0,1]]', 2, { strides: 1, padding: [[1, 1], [0, 1]] }],
      ['2x2, dilations 2, strides 1', 2, { strides: 1, dilations: 2 }],
    ].map(([label, size, o]) => ({
      op,
      label: `[2,5,6,3] ${label as string}`,
      inputs: [s(2, 5, 6, 3)],
      build: (x: Tensor) => x[op](size as number, o as WindowOptions),
    })),
  );
  // The pooling gradients, each through its own vjp: dy is a function of the input checked.
  const poolGrads: GradientCase[] = [
    {
      op: 'maxPool2dGrad',
      label: '2x2, d/d(dy)',
      inputs: [s(2, 4, 6, 3), s(2, 2, 3, 3)],
      build: (x, dy) => x.graph.apply('maxPool2dGrad', [x.stopGradient(), x.maxPool2d(2).stopGradient(), dy], x.maxPool2d(2).node.attrs),
    },
    {
      op: 'maxPool2dGradGrad',
      label: '3x3 strides 1 same, d/dg',
      inputs: [s(2, 4, 6, 3), s(2, 4, 6, 3)],
      build: (x, g) => {
        const y = x.maxPool2d(3, { strides: 1, padding: 'same' });
        return x.graph.apply('maxPool2dGradGrad', [x.stopGradient(), y.stopGradient(), g], y.node.attrs);
      },
    },
    {
      op: 'avgPool2dGrad',
      label: '3x2 strides 1 same, d/d(dy)',
      inputs: [s(2, 5, 6, 3)],
      build: (dy) => dy.graph.apply('avgPool2dGrad', [dy], { ...dy.avgPool2d([3, 2], { strides: 1, padding: 'same' }).node.attrs, inputSize: [5, 6] }),
    },
  ];
  return [...conv, ...backInput, ...backFilter, ...pools, ...poolGrads];
}

function movementCases(): GradientCase[] {
  const ids = (...shape: number[]): GradCheckInput => ({ shape, classes: 4 });
  const cases: [string, string, GradCheckInput[], (...xs: Tensor[]) => Tensor][] = [
    ['concat', '[2,3] with [4,3], axis 0', [s(2, 3), s(4, 3)], (a, b) => a.concat(b)],
    ['concat', '[3,2] with [3,4], axis −1', [s(3, 2), s(3, 4)], (a, b) => a.concat(b, -1)],
    ['concat', '[2,3,4] with [2,1,4] and itself, axis 1', [s(2, 3, 4), s(2, 1, 4)], (a, b) => a.concat([b, a], 1)],
    ['slice', '[4,5] from [1,2] size [2,−1]', [s(4, 5)], (x) => x.slice([1, 2], [2, -1])],
    ['slice', '[2,3,4] from [0,1,1] size [2,1,2]', [s(2, 3, 4)], (x) => x.slice([0, 1, 1], [2, 1, 2])],
    ['pad', '[3,4] by [[1,2],[0,3]]', [s(3, 4)], (x) => x.pad([[1, 2], [0, 3]])],
    ['pad', '[2,3,2] by [[0,0],[2,1],[1,1]], value 1.5', [s(2, 3, 2)], (x) => x.pad([[0, 0], [2, 1], [1, 1]], 1.5).square()],
    ['gather', '[4,3] rows at [6] ids (repeats), axis 0', [s(4, 3), ids(6)], (x, i) => x.gather(i)],
    ['gather', '[2,4,3] at [2,3] ids, axis 1', [s(2, 4, 3), ids(2, 3)], (x, i) => x.gather(i, 1)],
    ['gather', '[3,4] columns at [5] ids, axis −1', [s(3, 4), ids(5)], (x, i) => x.gather(i, -1)],
    ['gatherGrad', 'dy [6,3] into [4,3], axis 0', [s(6, 3), ids(6)], (dy, i) => dy.graph.apply('gatherGrad', [dy, i, dy.graph.constant(new Array(12).fill(0), [4, 3])], { axis: 0 })],
  ];
  return cases.map(([op, label, inputs, build]) => ({ op, label, inputs, build }));
}

/**
 * Batch normalisation as g.batchNorm composes it over every axis but the last: while training, the
 * batch's mean m and biased variance v, y = (x − m)·γ/√(v + ε) + β, the gradient flowing through m
 * and v; in inference the moving statistics (inputs here), through which it flows as well.
 */
function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, movingMean: Tensor, movingVariance: Tensor): Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const mean = x.mean(axes).inTrainPhase(movingMean);
  const centred = x.sub(mean);
  const variance = centred.square().mean(axes).inTrainPhase(movingVariance);
  return centred.mul(variance.add(1e-3).pow(-0.5).mul(gamma)).add(beta);
}

function phaseCases(): GradientCase[] {
  const statistics = (c: number) => [s(c), s(c), s(c), positive(c)];
  return [
    { op: 'inTrainPhase', label: 'training: the first branch', inputs: [s(3, 4), s(3, 4)], build: (a, b) => a.inTrainPhase(b).tanh(), training: true },
    { op: 'inTrainPhase', label: 'inference: the second branch', inputs: [s(3, 4), s(3, 4)], build: (a, b) => a.inTrainPhase(b).tanh() },
    { op: 'inTrainPhase', label: 'batch norm [6,3], batch statistics', inputs: [s(6, 3), ...statistics(3)], build: batchNorm, training: true },
    { op: 'inTrainPhase', label: 'batch norm [2,3,3,4], batch statistics', inputs: [s(2, 3, 3, 4), ...statistics(4)], build: batchNorm, training: true },
    { op: 'inTrainPhase', label: 'batch norm [6,3], moving statistics', inputs: [s(6, 3), ...statistics(3)], build: batchNorm },
    { op: 'inTrainPhase', label: 'tanh(batch norm) [2,3,3,4], batch statistics', inputs: [s(2, 3, 3, 4), ...statistics(4)], build: (...xs) => batchNorm(...(xs as [Tensor, Tensor, Tensor, Tensor, Tensor])).tanh(), order: 2, training: true },
  ];
}

function secondOrderCases(): GradientCase[] {
  const c = (op: string, label: string, inputs: GradCheckInput[], build: (...xs: Tensor[]) => Tensor): GradientCase => ({
    op,
    label,
    inputs,
    build,
    order: 2,
  });
  return [
    c('sigmoid', 'σ(x)', [s(3, 4)], (x) => x.sigmoid()),
    c('tanh', 'tanh(x)', [s(3, 4)], (x) => x.tanh()),
    c('exp', 'exp(x)', [s(3, 4)], (x) => x.exp()),
    c('softplus', 'softplus(x)', [s(3, 4)], (x) => x.softplus()),
    // f″ jumps at 0 (−2·sign(x) / (1 + |x|)³): away from it
    c('softsign', 'softsign(x)', [away(3, 4)], (x) => x.softsign()),
    c('sigmoid', 'σ(tanh(x)) · exp(y)', [s(3, 4), s(3, 4)], (x, y) => x.tanh().sigmoid().mul(y.mul(0.5).exp())),
    c('matMul', 'Σ σ(x·W + b) · tanh', [s(4, 5), s(5, 3), s(3)], (x, w, b) => x.matMul(w).add(b).sigmoid().tanh()),
    c('exp', 'exp(x) / (1 + exp(x))²', [s(3, 4)], (x) => x.exp().div(x.exp().add(1).square())),
    c('logSumExp', 'logSumExp(x, 1)', [s(3, 4)], (x) => x.logSumExp(1)),
    c('softmaxCrossEntropy', 'softmax-CE of a sigmoid layer', [s(4, 5), s(5, 3), { shape: [4], classes: 3 }], (x, w, y) =>
      x.matMul(w).sigmoid().softmaxCrossEntropy(y),
    ),
    c('div', 'x / (1 + y²)', [s(3, 4), s(3, 4)], (x, y) => x.div(y.square().add(1))),
    c('pow', 'x^y, both differentiated', [positive(3, 4), s(3, 4)], (x, y) => x.pow(y)),
    // Through a convolution's gradient ops: Hessian-vector products need conv2dBackpropInput
    // and conv2dBackpropFilter differentiated again.
    ...windowCases.map(([label, o]) =>
      c('conv2d', `tanh(x ⋆ f), ${label}`, [s(2, 5, 6, 3), s(3, 2, 3, 4)], (x, f) => x.conv2d(f, o).tanh()),
    ),
    c('batchMatMul', 'softmax(q·kᵀ)·v (attention)', [s(2, 3, 4), s(2, 5, 4), s(2, 5, 2)], (q, k, v) => q.matMul(k, false, true).softmax().matMul(v)),
    c('where', 'where(c > 0, σ(a), tanh(b))', [s(3, 4), s(3, 4), s(3, 4)], (c, a, b) => c.step().where(a.sigmoid(), b.tanh())),
    c('maximum', 'maximum(σ(a), tanh(b))', [s(3, 4), s(3, 4)], (a, b) => a.sigmoid().maximum(b.tanh())),
    c('gather', 'tanh(embedding) · w: gather and gatherGrad', [s(4, 3), { shape: [5], classes: 4 }, s(3)], (t, i, w) => t.gather(i).tanh().mul(w)),
    c('slice', 'σ(slice(pad(x)) · x)', [s(3, 4)], (x) => x.pad([[1, 0], [0, 2]]).slice([0, 1], [3, 4]).mul(x).sigmoid()),
    c('maxPool2d', 'σ(maxPool(x ⋆ f) 2x2)', [s(1, 6, 6, 2), s(3, 3, 2, 3)], (x, f) => x.conv2d(f, { padding: 'same' }).maxPool2d(2).sigmoid()),
    c('avgPool2d', 'σ(avgPool(x ⋆ f) 3x3 same)', [s(1, 5, 5, 2), s(2, 2, 2, 3)], (x, f) => x.conv2d(f).avgPool2d(3, { strides: 1, padding: 'same' }).sigmoid()),
  ];
}

export function gradientCases(): GradientCase[] {
  return [...unaryCases(), ...binaryCases(), ...matMulCases(), ...batchMatMulCases(), ...fusedCases(), ...reductionCases(), ...otherCases(), ...movementCases(), ...convCases(), ...phaseCases(), ...secondOrderCases()];
}
