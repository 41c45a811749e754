/**
 * Every WGSL kernel against the float64 JS kernel of its op, on odd sizes (tile edges, tails),
 * strides, padding, dilation, broadcasting, ties and split K: within float32 rounding relative
 * to the output's largest magnitude.
 */
import { describe, expect, it } from 'vitest';
import { kernelOf, listOps } from '../../../src/index.ts';
import { Rng } from '../../../src/core/rng.ts';
import type { Attrs } from '../../../src/core/ir.ts';
import { runKernel } from '../../../src/testing/special-values.ts';
import { runGpuKernel } from './gpu.ts';

const rng = new Rng(7);
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
/** Values in [−2, 2), rounded to float32 so both sides start from the same numbers. */
const random = (shape: readonly number[]) => Array.from({ length: size(shape) }, () => Math.fround(rng.next() * 4 - 2));
const ints = (n: number, below: number) => Array.from({ length: n }, () => Math.floor(rng.next() * below));

interface Case {
  op: string;
  label: string;
  shapes: number[][];
  attrs?: Attrs;
  /** Values per input (default random). */
  values?: number[][];
  tolerance?: number;
}

/** Runs a case on the GPU and on the float64 JS kernel; returns the largest difference relative to the largest output. */
async function compare(c: Case): Promise<number> {
  const values = c.values ?? c.shapes.map(random);
  const expected = runKernel(c.op, 'js float64', values, c.shapes, c.attrs)!;
  const { output, fault } = await runGpuKernel(c.op, values, c.shapes, c.attrs);
  expect(fault[0], `${c.label}: the kernel reported a fault`).toBe(0);
  expect(output.length).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  let worst = 0;
  output.forEach((x, i) => {
    const d = Math.abs(x - expected[i]) / scale;
    if (!(d <= worst)) worst = d; // NaN counts as worst
  });
  return worst;
}

const mm = (m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): Case => ({
  op: 'matMul',
  label: `${m}×${k}·${k}×${n}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}`,
  shapes: [transposeA ? [k, m] : [m, k], transposeB ? [n, k] : [k, n]],
  attrs: { transposeA, transposeB },
});

const window = (padding: unknown = 'valid', strides = [1, 1], dilations = [1, 1]) => ({ padding, strides, dilations });

const cases: Case[] = [
  // products: every transpose form, shapes that are not multiples of the 4×4 blocks or 32×32 tiles, K tails, split K
  ...[false, true].flatMap((ta) => [false, true].flatMap((tb) => [mm(1, 1, 1, ta, tb), mm(7, 13, 5, ta, tb), mm(33, 65, 17, ta, tb), mm(10, 784, 30, ta, tb)])),
  { ...mm(20, 3001, 6, true, false), label: '20×3001·3001×6 Aᵀ (K split in slices)' },
  { op: 'batchMatMul', label: '[3,5,7]·[3,7,6]', shapes: [[3, 5, 7], [3, 7, 6]], attrs: { transposeA: false, transposeB: false } },
  { op: 'batchMatMul', label: '[2,5,7]·[6,7]ᵀ shared', shapes: [[2, 5, 7], [6, 7]], attrs: { transposeA: false, transposeB: true } },
  { op: 'batchMatMul', label: '[4,9,3]ᵀ·[4,9,2]', shapes: [[4, 9, 3], [4, 9, 2]], attrs: { transposeA: true, transposeB: false } },
  ...['linear', 'relu', 'sigmoid'].map((activation): Case => ({ op: 'matMulBiasActivation', label: `dense 9×37·37×11 + b, ${activation}`, shapes: [[9, 37], [37, 11], [11]], attrs: { activation } })),
  { op: 'subScaledMatMul', label: 'c − s·aᵀ·b', shapes: [[6, 5], [9, 6], [9, 5], [1]], attrs: { transposeA: true, transposeB: false } },
  { op: 'subScaledMatMul', label: 'c − s·a·bᵀ, K split', shapes: [[3, 4], [3, 4000], [4, 4000], [1]], attrs: { transposeA: false, transposeB: true } },
  // convolutions: valid, same, explicit padding, strides, dilation, channels that are not multiples of 4
  { op: 'conv2d', label: '[2,9,8,3] ⋆ 3×3×3×5 valid', shapes: [[2, 9, 8, 3], [3, 3, 3, 5]], attrs: window() },
  { op: 'conv2d', label: '[2,9,8,3] ⋆ 3×2×3×5 same, stride 2', shapes: [[2, 9, 8, 3], [3, 2, 3, 5]], attrs: window('same', [2, 2]) },
  { op: 'conv2d', label: '[1,10,11,2] ⋆ 3×3×2×4 padding [[2,1],[0,3]], dilation 2', shapes: [[1, 10, 11, 2], [3, 3, 2, 4]], attrs: window([[2, 1], [0, 3]], [1, 1], [2, 2]) },
  // Four or more channels a tap: the window arithmetic once per tap, then a walk over the channels.
  { op: 'conv2d', label: '[2,7,6,6] ⋆ 3×3×6×5 same, stride 2 (channels walked per tap)', shapes: [[2, 7, 6, 6], [3, 3, 6, 5]], attrs: window('same', [2, 2]) },
  { op: 'conv2d', label: '[1,9,9,5] ⋆ 2×3×5×3 padding [[1,2],[2,0]], dilation (2,1), channels walked', shapes: [[1, 9, 9, 5], [2, 3, 5, 3]], attrs: window([[1, 2], [2, 0]], [1, 1], [2, 1]) },
  { op: 'conv2dBiasActivation', label: 'conv + b, relu, 8 channels walked', shapes: [[2, 6, 6, 8], [3, 3, 8, 7], [7]], attrs: { ...window('valid'), activation: 'relu' } },
  { op: 'maxPool2dGrad', label: 'max grad 2×2 stride 2 on 7×7 (a row and column in no window)', shapes: [[1, 7, 7, 2], [1, 3, 3, 2], [1, 3, 3, 2]], attrs: { ...window('valid', [2, 2]), poolSize: [2, 2] }, values: (() => { const x = Array.from({ length: 98 }, (_, i) => (i * 7) % 5); return [x, runKernel('maxPool2d', 'js float64', [x], [[1, 7, 7, 2]], { ...window('valid', [2, 2]), poolSize: [2, 2] })!, Array.from({ length: 18 }, (_, i) => i - 9)]; })() },
  ...['linear', 'relu', 'sigmoid'].map((activation): Case => ({ op: 'conv2dBiasActivation', label: `conv + b, ${activation}`, shapes: [[2, 7, 7, 3], [3, 3, 3, 6], [6]], attrs: { ...window('same'), activation } })),
  { op: 'conv2dBackpropInput', label: 'dx of valid 3×3', shapes: [[2, 7, 6, 5], [3, 3, 3, 5]], attrs: { ...window(), inputSize: [9, 8] } },
  { op: 'conv2dBackpropInput', label: 'dx of same, stride 2', shapes: [[2, 5, 4, 5], [3, 2, 3, 5]], attrs: { ...window('same', [2, 2]), inputSize: [9, 8] } },
  { op: 'conv2dBackpropInput', label: 'dx of padded, dilation 2, stride (1,2)', shapes: [[1, 9, 5, 4], [3, 3, 2, 4]], attrs: { ...window([[2, 1], [0, 3]], [1, 2], [2, 2]), inputSize: [10, 11] } },
  { op: 'conv2dBackpropFilter', label: 'df of valid 3×3', shapes: [[2, 9, 8, 3], [2, 7, 6, 5]], attrs: { ...window(), filterSize: [3, 3] } },
  { op: 'conv2dBackpropFilter', label: 'df of same, stride 2', shapes: [[2, 9, 8, 3], [2, 5, 4, 5]], attrs: { ...window('same', [2, 2]), filterSize: [3, 2] } },
  { op: 'conv2dBackpropFilter', label: 'df, K = 8·24·24 split (a conv1 of MNIST)', shapes: [[8, 28, 28, 1], [8, 24, 24, 20]], attrs: { ...window(), filterSize: [5, 5] } },
  // pooling, with ties (values on a coarse grid) and padding
  { op: 'maxPool2d', label: 'max 2×2 stride 2', shapes: [[2, 6, 7, 3]], attrs: { ...window('valid', [2, 2]), poolSize: [2, 2] } },
  { op: 'maxPool2d', label: 'max 3×3 same stride 2', shapes: [[1, 7, 7, 2]], attrs: { ...window('same', [2, 2]), poolSize: [3, 3] } },
  { op: 'avgPool2d', label: 'avg 3×3 same stride 2 (padding not counted)', shapes: [[2, 7, 6, 3]], attrs: { ...window('same', [2, 2]), poolSize: [3, 3] } },
  { op: 'avgPool2d', label: 'avg 2×2 dilation 2', shapes: [[1, 7, 7, 2]], attrs: { ...window('valid', [1, 1], [2, 2]), poolSize: [2, 2] } },
  { op: 'avgPool2dGrad', label: 'avg grad 3×3 same stride 2', shapes: [[2, 4, 3, 3]], attrs: { ...window('same', [2, 2]), poolSize: [3, 3], inputSize: [7, 6] } },
  { op: 'avgPool2dGrad', label: 'avg grad overlapping 3×3 stride 1', shapes: [[1, 3, 3, 2]], attrs: { ...window('valid'), poolSize: [3, 3], inputSize: [5, 5] } },
  // reductions: short and long slices (one invocation per output, a workgroup per output), any axes
  { op: 'sum', label: 'sum over axis 1 of [5,7]', shapes: [[5, 7]], attrs: { axes: [1], keepDims: false } },
  { op: 'sum', label: 'sum over axis 0 of [300,3] (a bias gradient)', shapes: [[300, 3]], attrs: { axes: [0], keepDims: true } },
  { op: 'sum', label: 'sum of all of [37,41]', shapes: [[37, 41]], attrs: { axes: null, keepDims: false } },
  { op: 'sum', label: 'sum over axes 0, 2 of [3,4,5]', shapes: [[3, 4, 5]], attrs: { axes: [0, 2], keepDims: false } },
  { op: 'max', label: 'max over axis 2 of [3,4,5]', shapes: [[3, 4, 5]], attrs: { axes: [2], keepDims: true } },
  { op: 'max', label: 'max of all of [70,70]', shapes: [[70, 70]], attrs: { axes: null, keepDims: false } },
  { op: 'logSumExp', label: 'logSumExp over axis 1 of [6,11]', shapes: [[6, 11]], attrs: { axes: [1], keepDims: false } },
  { op: 'count', label: 'count over axes 0, 1', shapes: [[3, 7, 2]], attrs: { axes: [0, 1] } },
  { op: 'broadcastAxes', label: 'broadcastAxes over axis 0', shapes: [[5], [4, 5]], attrs: { axes: [0], keepDims: false } },
  { op: 'broadcastAxes', label: 'broadcastAxes over axes 0, 2 kept', shapes: [[1, 3, 1], [2, 3, 4]], attrs: { axes: [0, 2], keepDims: true } },
  // class axis
  { op: 'softmax', label: 'softmax over the last axis of [5,10]', shapes: [[5, 10]], attrs: { axis: -1 } },
  { op: 'softmax', label: 'softmax over axis 1 of [2,3,4]', shapes: [[2, 3, 4]], attrs: { axis: 1 } },
  { op: 'logSoftmax', label: 'logSoftmax over axis 0 of [4,3]', shapes: [[4, 3]], attrs: { axis: 0 } },
  { op: 'softmaxCrossEntropy', label: 'cross-entropy, class ids', shapes: [[7, 10], [7]], values: [random([7, 10]), ints(7, 10)] },
  { op: 'softmaxCrossEntropy', label: 'cross-entropy, probability rows', shapes: [[3, 4], [3, 4]], values: [random([3, 4]), [0.25, 0.75, 0, 0, 1, 0, 0, 0, 0.5, 0, 0, 0.5]] },
  { op: 'reluGrad', label: 'a ReLU gradient dy·step(y)', shapes: [[9, 37], [9, 37]] },
  { op: 'softmaxCrossEntropyGrad', label: 'fused cross-entropy gradient', shapes: [[9, 10], [9], [9]], values: [random([9, 10]), ints(9, 10), random([9])] },
  { op: 'oneHot', label: 'oneHot depth 10', shapes: [[7]], attrs: { depth: 10 }, values: [ints(7, 10)] },
  { op: 'oneHot', label: 'oneHot with on/off values', shapes: [[2, 3]], attrs: { depth: 4, onValue: 0.9, offValue: 0.025 }, values: [ints(6, 4)] },
  // movement
  { op: 'transpose', label: 'transpose [2,3,4] by [2,0,1]', shapes: [[2, 3, 4]], attrs: { perm: [2, 0, 1] } },
  { op: 'transpose', label: 'transpose [5,7]', shapes: [[5, 7]], attrs: { perm: [1, 0] } },
  { op: 'slice', label: 'slice [1,0,2] size [2,-1,2] of [3,4,5]', shapes: [[3, 4, 5]], attrs: { begin: [1, 0, 2], size: [2, -1, 2] } },
  { op: 'pad', label: 'pad [[1,0],[2,3]] with 0.5', shapes: [[3, 4]], attrs: { paddings: [[1, 0], [2, 3]], constantValue: 0.5 } },
  { op: 'concat', label: 'concat [2,3,4] and [2,5,4] along axis 1', shapes: [[2, 3, 4], [2, 5, 4]], attrs: { axis: 1 } },
  { op: 'concat', label: 'concat along axis 0', shapes: [[2, 3], [1, 3]], attrs: { axis: 0 } },
  { op: 'gather', label: 'gather rows of a [10,6] table', shapes: [[10, 6], [4, 3]], attrs: { axis: 0 }, values: [random([10, 6]), ints(12, 10)] },
  { op: 'gather', label: 'gather along axis 1', shapes: [[3, 5, 2], [4]], attrs: { axis: 1 }, values: [random([3, 5, 2]), [4, 0, 4, 2]] },
  { op: 'gatherGrad', label: 'gatherGrad with repeated indices', shapes: [[4, 3, 6], [4, 3], [10, 6]], attrs: { axis: 0 }, values: [random([4, 3, 6]), ints(12, 10), random([10, 6])] },
  { op: 'inTrainPhase', label: 'inTrainPhase (inference takes b)', shapes: [[3, 2], [3, 2]] },
];

/** Pooling gradients with many ties: x on a coarse grid, so windows often hold their maximum twice. */
function poolGradCases(): Case[] {
  const coarse = (shape: number[]) => Array.from({ length: size(shape) }, () => Math.floor(rng.next() * 3));
  const attrs = { ...window('valid', [2, 2]), poolSize: [2, 2] };
  const overlapping = { ...window('same', [1, 1]), poolSize: [3, 3] };
  const out = (x: number[], a: Attrs) => runKernel('maxPool2d', 'js float64', [x], [[2, 6, 6, 2]], a)!;
  const x1 = coarse([2, 6, 6, 2]);
  const x2 = coarse([2, 6, 6, 2]);
  return [
    { op: 'maxPool2dGrad', label: 'max grad 2×2, ties shared', shapes: [[2, 6, 6, 2], [2, 3, 3, 2], [2, 3, 3, 2]], attrs, values: [x1, out(x1, attrs), random([2, 3, 3, 2])] },
    { op: 'maxPool2dGrad', label: 'max grad 3×3 overlapping, ties shared', shapes: [[2, 6, 6, 2], [2, 6, 6, 2], [2, 6, 6, 2]], attrs: overlapping, values: [x2, out(x2, overlapping), random([2, 6, 6, 2])] },
    { op: 'maxPool2dGradGrad', label: 'max grad grad 3×3 overlapping', shapes: [[2, 6, 6, 2], [2, 6, 6, 2], [2, 6, 6, 2]], attrs: overlapping, values: [x2, out(x2, overlapping), random([2, 6, 6, 2])] },
  ];
}

describe('WebGPU kernels against the float64 JS kernels', { timeout: 60_000 }, () => {
  for (const c of [...cases, ...poolGradCases()]) {
    it(`${c.op}: ${c.label}`, async () => {
      expect(await compare(c)).toBeLessThan(c.tolerance ?? 2e-5);
    });
  }

  it('covers every op that has a WebGPU kernel', () => {
    const tested = new Set([...cases, ...poolGradCases()].map((c) => c.op));
    // Elementwise ops are held against the CPU kernels by special-values.test.ts and fusion.test.ts.
    const elementwise = listOps().filter((op) => op.traits?.includes('elementwise') || op.name === 'where' || op.name === 'pow').map((op) => op.name);
    const withKernel = listOps().filter((op) => kernelOf(op.name, 'webgpu') && !elementwise.includes(op.name) && op.name !== 'dropoutMask');
    expect(withKernel.map((op) => op.name).filter((name) => !tested.has(name))).toEqual([]);
  });
});

describe('WebGPU dropout mask', () => {
  it('drops about `rate` of the elements, scales the rest by 1/(1 − rate), and draws a new mask every step', async () => {
    const shape = [64, 100];
    const attrs = { rate: 0.3, seed: 5 };
    const one = await runGpuKernel('dropoutMask', [random(shape)], [shape], attrs, { training: true, steps: 1 });
    const two = await runGpuKernel('dropoutMask', [random(shape)], [shape], attrs, { training: true, steps: 2 });
    const dropped = one.output.filter((v) => v === 0).length / one.output.length;
    expect(dropped).toBeGreaterThan(0.27);
    expect(dropped).toBeLessThan(0.33);
    expect(new Set(one.output)).toEqual(new Set([0, Math.fround(1 / 0.7)]));
    expect(two.output).not.toEqual(one.output);
    const inference = await runGpuKernel('dropoutMask', [random(shape)], [shape], attrs, { training: false });
    expect(new Set(inference.output)).toEqual(new Set([1]));
  });
});

describe('WebGPU kernels report bad labels and indices through the fault slot', () => {
  it.each([
    ['softmaxCrossEntropy', [[2, 3], [2]], [[0, 1, 2, 3, 4, 5], [1, 3]], {}],
    ['oneHot', [[3]], [[0, 2.5, 1]], { depth: 3 }],
    ['gather', [[4, 2], [2]], [[1, 2, 3, 4, 5, 6, 7, 8], [0, -1]], { axis: 0 }],
  ] as const)('%s', async (op, shapes, values, attrs) => {
    const { fault } = await runGpuKernel(op, values as unknown as number[][], shapes as unknown as number[][], attrs);
    expect(fault[0]).toBe(1);
    expect([3, 2.5, -1]).toContain(fault[1]);
  });
});
