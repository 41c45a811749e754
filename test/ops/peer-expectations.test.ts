/**
 * Expectations of TensorFlow.js's own unit tests (tfjs-core 4.22, src/ops/*_test.ts), ported as
 * values for the ops deltagraph shares, so that the op suite keeps checking against the peer.
 * Where deltagraph differs on purpose (README, "Op semantics"), the case carries deltagraph's
 * value and the reason, and the test checks both that deltagraph gives it and that it differs
 * from TF.js's. Tolerance: TF.js's float32 default, 1e-3. Cases TF.js has that deltagraph cannot
 * express (string and bool tensors, tensor-likes, dtype checks) are left out.
 */
import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Tensor } from '../../src/index.ts';

interface PeerCase {
  file: string;
  name: string;
  /** deltagraph's result, float32 (the default precision). */
  run: () => number[];
  /** TF.js's expectation. */
  tfjs: number[];
  /** Where deltagraph differs on purpose: its value, and why. */
  differs?: { ours: number[]; why: string };
}

type Nested = number | Nested[];

/** f of constant tensors, run in float32. */
const value = (f: (g: Graph) => Tensor) => () => {
  const g = new Graph();
  return Array.from(compile(g, { outputs: [f(g)] }).run()[0]);
};

/** The gradient of y = f(x) w.r.t. input `k`, with dy as the seed (1 when omitted), in float32. */
const gradient =
  (inputs: Nested[], f: (...xs: Tensor[]) => Tensor, dy?: Nested, k = 0) =>
  () => {
    const g = new Graph();
    const xs = inputs.map((v) => g.constant(v as number[]));
    const y = f(...xs);
    const seed = dy === undefined ? undefined : g.constant(dy as number[], y.shape as number[]);
    const grads = grad(seed ? y.mul(seed).sum() : y.sum(), xs);
    return Array.from(compile(g, { outputs: [grads[k]] }).run()[0]);
  };

const ties = 'max/min gradient at ties: dy/k to each of k ties (a subgradient), TF.js dy to each';

const cases: PeerCase[] = [
  // max_test.ts
  { file: 'max_test', name: 'with one element dominating', run: value((g) => g.constant([3, -1, 0, 100, -7, 2]).max()), tfjs: [100] },
  { file: 'max_test', name: 'with all elements being the same', run: value((g) => g.constant([3, 3, 3]).max()), tfjs: [3] },
  { file: 'max_test', name: 'with a large dimension', run: value((g) => g.constant(Array.from({ length: 1000 }, (_, i) => (i === 0 ? 1 : 0))).max()), tfjs: [1] },
  { file: 'max_test', name: 'return NaNs', run: value((g) => g.constant([3, NaN, 2]).max()), tfjs: [NaN] },
  { file: 'max_test', name: '2D', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3]).max()), tfjs: [100] },
  { file: 'max_test', name: '2D axis=[0,1]', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3]).max([0, 1])), tfjs: [100] },
  { file: 'max_test', name: '2D, axis=0', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3]).max(0)), tfjs: [100, -1, 2] },
  { file: 'max_test', name: '2D, axis=0, keepDims', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3]).max(0, true)), tfjs: [100, -1, 2] },
  { file: 'max_test', name: '2D, axis=1 provided as a number', run: value((g) => g.constant([3, 2, 5, 100, -7, 2], [2, 3]).max(1)), tfjs: [5, 100] },
  { file: 'max_test', name: '2D, axis = -1 provided as a number', run: value((g) => g.constant([3, 2, 5, 100, -7, 2], [2, 3]).max(-1)), tfjs: [5, 100] },
  { file: 'max_test', name: '2D, axis=[1]', run: value((g) => g.constant([3, 2, 5, 100, -7, 2], [2, 3]).max([1])), tfjs: [5, 100] },
  {
    file: 'max_test',
    name: '6D, axis=[5]',
    run: value((g) => g.constant(Array.from({ length: 64 }, (_, i) => i), [2, 2, 2, 2, 2, 2]).max([5])),
    tfjs: Array.from({ length: 32 }, (_, i) => 2 * i + 1),
  },
  { file: 'max_test', name: 'max gradient: Scalar', run: gradient([42], (x) => x.max(), -1), tfjs: [-1] },
  { file: 'max_test', name: 'max gradient: 1D, ties', run: gradient([[1, 3, 7, 7]], (x) => x.max(), -1), tfjs: [0, 0, -1, -1], differs: { ours: [0, 0, -0.5, -0.5], why: ties } },
  { file: 'max_test', name: 'max gradient: 2D, axes=-1, keepDims=false', run: gradient([[[0, 20, 10], [-10, -30, -20]]], (x) => x.max(-1), [-1, -1]), tfjs: [0, -1, 0, -1, 0, 0] },
  {
    file: 'max_test',
    name: 'max gradient: ties, 2D, axes=-1, keepDims=false',
    run: gradient([[[0, 20, 20], [-10, -30, -10]]], (x) => x.max(-1), [-1, -1]),
    tfjs: [0, -1, -1, -1, 0, -1],
    differs: { ours: [0, -0.5, -0.5, -0.5, 0, -0.5], why: ties },
  },
  { file: 'max_test', name: 'max gradient: 2D, axes=0, keepDims=false', run: gradient([[[0, 20, 10], [-10, -30, 20]]], (x) => x.max(0), [-1, -1, -1]), tfjs: [-1, -1, 0, 0, 0, -1] },
  { file: 'max_test', name: 'max gradient: 2D, axes=-1, keepDims=true', run: gradient([[[0, 20, 10], [-10, -30, -20]]], (x) => x.max(-1, true), [[-1], [-1]]), tfjs: [0, -1, 0, -1, 0, 0] },
  { file: 'max_test', name: 'max gradient: 2D, axes=0, keepDims=true', run: gradient([[[0, 20, 10], [-10, -30, 20]]], (x) => x.max(0, true), [[-1, -1, -1]]), tfjs: [-1, -1, 0, 0, 0, -1] },
  { file: 'max_test', name: 'max gradient: 3D, axes=[1, 2], keepDims=false', run: gradient([[[[0, 20], [10, 15]], [[-10, -30], [-20, -15]]]], (x) => x.max([1, 2]), [-1, -1]), tfjs: [0, -1, 0, 0, -1, 0, 0, 0] },
  {
    file: 'max_test',
    name: 'max gradient: ties, 3D, axes=[1, 2], keepDims=false',
    run: gradient([[[[0, 20], [20, 20]], [[-10, -30], [-10, -15]]]], (x) => x.max([1, 2]), [-1, -1]),
    tfjs: [0, -1, -1, -1, -1, 0, -1, 0],
    differs: { ours: [0, -1 / 3, -1 / 3, -1 / 3, -0.5, 0, -0.5, 0], why: ties },
  },
  { file: 'max_test', name: 'max gradient: 3D, axes=2, keepDims=false', run: gradient([[[[0, 20], [10, 15]], [[-10, -30], [-20, -15]]]], (x) => x.max(2), [[-1, -1], [-1, -1]]), tfjs: [0, -1, 0, -1, -1, 0, 0, -1] },
  { file: 'max_test', name: 'max gradient: 3D, axes=2, keepDims=true', run: gradient([[[[0, 20], [10, 15]], [[-10, -30], [-20, -15]]]], (x) => x.max(2, true), [[[-1], [-1]], [[-1], [-1]]]), tfjs: [0, -1, 0, -1, -1, 0, 0, -1] },
  {
    file: 'max_test',
    name: 'max gradient: ties, 4D, axes=[1, 2, 3], keepDims=false',
    run: gradient([[[[[0, 20], [20, 20]], [[-10, -30], [-10, -30]]], [[[0, -20], [-20, -20]], [[10, 30], [10, 30]]]]], (x) => x.max([1, 2, 3]), [-1, -1]),
    tfjs: [0, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, -1],
    differs: { ours: [0, -1 / 3, -1 / 3, -1 / 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.5, 0, -0.5], why: ties },
  },
  {
    file: 'max_test',
    name: 'max gradient: ties, 4D, axes=[2, 3], keepDims=true',
    run: gradient([[[[[0, 20], [20, 20]], [[-10, -30], [-10, -30]]], [[[0, -20], [-20, -20]], [[10, 30], [10, 30]]]]], (x) => x.max([2, 3], true), [[[[-1]], [[-2]]], [[[-3]], [[-4]]]]),
    tfjs: [0, -1, -1, -1, -2, 0, -2, 0, -3, 0, 0, 0, 0, -4, 0, -4],
    differs: { ours: [0, -1 / 3, -1 / 3, -1 / 3, -1, 0, -1, 0, -3, 0, 0, 0, 0, -2, 0, -2], why: ties },
  },
  // min_test.ts
  { file: 'min_test', name: 'Tensor1D', run: value((g) => g.constant([3, -1, 0, 100, -7, 2]).min()), tfjs: [-7] },
  { file: 'min_test', name: 'return NaNs', run: value((g) => g.constant([3, NaN, 2]).min()), tfjs: [NaN] },
  { file: 'min_test', name: '2D', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3]).min()), tfjs: [-7] },
  { file: 'min_test', name: '2D, axis=0', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3]).min(0)), tfjs: [3, -7, 0] },
  { file: 'min_test', name: '2D, axis=0, keepDims', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3]).min(0, true)), tfjs: [3, -7, 0] },
  { file: 'min_test', name: '2D, axis = -1 provided as a number', run: value((g) => g.constant([3, 2, 5, 100, -7, 2], [2, 3]).min(-1)), tfjs: [2, -7] },
  { file: 'min_test', name: 'min gradient: 1D, ties', run: gradient([[-1, -3, -7, -7]], (x) => x.min(), -1), tfjs: [0, 0, -1, -1], differs: { ours: [0, 0, -0.5, -0.5], why: ties } },
  { file: 'min_test', name: 'min gradient: 2D, axes=-1, keepDims=false', run: gradient([[[-0, -20, -10], [10, 30, 20]]], (x) => x.min(-1), [-1, -1]), tfjs: [0, -1, 0, -1, 0, 0] },
  {
    file: 'min_test',
    name: 'min gradient: ties, 2D, axes=-1, keepDims=false',
    run: gradient([[[0, -20, -20], [10, 30, 10]]], (x) => x.min(-1), [-1, -1]),
    tfjs: [0, -1, -1, -1, 0, -1],
    differs: { ours: [0, -0.5, -0.5, -0.5, 0, -0.5], why: ties },
  },
  { file: 'min_test', name: 'min gradient: 3D, axes=[1, 2], keepDims=false', run: gradient([[[[0, -20], [-10, -15]], [[10, 30], [20, 15]]]], (x) => x.min([1, 2]), [-1, -1]), tfjs: [0, -1, 0, 0, -1, 0, 0, 0] },
  { file: 'min_test', name: 'min gradient: 3D, axes=2, keepDims=true', run: gradient([[[[0, -20], [-10, -15]], [[10, 30], [20, 15]]]], (x) => x.min(2, true), [[[-1], [-1]], [[-1], [-1]]]), tfjs: [0, -1, 0, -1, -1, 0, 0, -1] },
  // arithmetic_test.ts: pow
  { file: 'arithmetic_test', name: 'pow: same-shaped tensors', run: value((g) => g.constant([1, -2, -3, 0, 7, 1], [2, 3]).pow(g.constant([5, 3, 4, 5, 2, -3], [2, 3]))), tfjs: [1, -8, 81, 0, 49, 1] },
  { file: 'arithmetic_test', name: 'pow: TensorLike chained', run: value((g) => g.constant([1, 2, 3]).pow(2)), tfjs: [1, 4, 9] },
  { file: 'arithmetic_test', name: 'pow: different-shaped tensors', run: value((g) => g.constant([1, -2, -3, 0, 7, 1], [2, 3]).pow(g.constant(2))), tfjs: [1, 4, 9, 0, 49, 1] },
  { file: 'arithmetic_test', name: 'pow: propagates NaNs', run: value((g) => g.constant([NaN, 3, NaN, 0], [2, 2]).pow(g.constant([1, 3, 2, 3], [2, 2]))), tfjs: [NaN, 27, NaN, 0] },
  { file: 'arithmetic_test', name: 'pow: exponent of 0 returns 1', run: value((g) => g.constant([-2, -1, 0, 1, 2]).pow(g.constant(0))), tfjs: [1, 1, 1, 1, 1] },
  { file: 'arithmetic_test', name: 'pow: handles non int32 exponent param', run: value((g) => g.constant([2, 4]).pow(g.constant([0.5, 1.2]))), tfjs: [Math.pow(2, 0.5), Math.pow(4, 1.2)] },
  { file: 'arithmetic_test', name: 'pow: broadcasting same rank Tensors different shape', run: value((g) => g.constant([1, 2, -3, -4], [2, 2]).pow(g.constant([2, 1], [2, 1]))), tfjs: [1, 4, -3, -4] },
  { file: 'arithmetic_test', name: 'pow: broadcast 2D + 1D', run: value((g) => g.constant([1, 2, -3, -4], [2, 2]).pow(g.constant([1, 2]))), tfjs: [1, 4, -3, 16] },
  { file: 'arithmetic_test', name: 'pow gradients: Scalar ^ Scalar (base)', run: gradient([5, 2], (a, b) => a.pow(b), 3, 0), tfjs: [2 * 5 * 3] },
  { file: 'arithmetic_test', name: 'pow gradients: Scalar ^ Scalar (exponent)', run: gradient([5, 2], (a, b) => a.pow(b), 3, 1), tfjs: [3 * Math.pow(5, 2) * Math.log(5)] },
  { file: 'arithmetic_test', name: 'pow gradients: x ^ 2 where x = 0', run: gradient([0], (x) => x.pow(2)), tfjs: [0] },
  { file: 'arithmetic_test', name: 'pow gradients: fractional exponent (base)', run: gradient([4, 1.5], (a, b) => a.pow(b), 3, 0), tfjs: [1.5 * Math.pow(4, 0.5) * 3] },
  { file: 'arithmetic_test', name: 'pow gradients: fractional exponent (exponent)', run: gradient([4, 1.5], (a, b) => a.pow(b), 3, 1), tfjs: [3 * Math.pow(4, 1.5) * Math.log(4)] },
  { file: 'arithmetic_test', name: 'pow gradients: Tensor ^ Tensor (base)', run: gradient([[-1, 0.5, 2], [3, 2, -1]], (a, b) => a.pow(b), [1, 5, 10], 0), tfjs: [3 * Math.pow(-1, 2) * 1, 2 * Math.pow(0.5, 1) * 5, -1 * Math.pow(2, -2) * 10] },
  { file: 'arithmetic_test', name: 'pow gradients: Tensor ^ Tensor (exponent)', run: gradient([[-1, 0.5, 2], [3, 2, -1]], (a, b) => a.pow(b), [1, 5, 10], 1), tfjs: [0, 5 * Math.pow(0.5, 2) * Math.log(0.5), 10 * Math.pow(2, -1) * Math.log(2)] },
  { file: 'arithmetic_test', name: 'pow gradient wrt exponent with negative base', run: gradient([[-1, -0.5, -2.7], [3, 2, -1]], (a, b) => a.pow(b), undefined, 1), tfjs: [0, 0, 0] },
  { file: 'arithmetic_test', name: 'pow gradient: scalar / Tensor1D (base)', run: gradient([2, [3, 4, 5]], (a, b) => a.pow(b), [6, 7, 8], 0), tfjs: [6 * 3 * Math.pow(2, 2) + 7 * 4 * Math.pow(2, 3) + 8 * 5 * Math.pow(2, 4)] },
  { file: 'arithmetic_test', name: 'pow gradient: scalar / Tensor1D (exponent)', run: gradient([2, [3, 4, 5]], (a, b) => a.pow(b), [6, 7, 8], 1), tfjs: [6 * 8 * Math.log(2), 7 * 16 * Math.log(2), 8 * 32 * Math.log(2)] },
  { file: 'arithmetic_test', name: 'pow gradient: Tensor2D / scalar (base)', run: gradient([[[2, 3], [4, 5]], 2], (a, b) => a.pow(b), [[6, 7], [8, 9]], 0), tfjs: [6 * 2 * 2, 7 * 2 * 3, 8 * 2 * 4, 9 * 2 * 5] },
  {
    file: 'arithmetic_test',
    name: 'pow gradient: Tensor2D / scalar (exponent)',
    run: gradient([[[2, 3], [4, 5]], 2], (a, b) => a.pow(b), [[6, 7], [8, 9]], 1),
    tfjs: [6 * 4 * Math.log(2) + 7 * 9 * Math.log(3) + 8 * 16 * Math.log(4) + 9 * 25 * Math.log(5)],
  },
  {
    file: 'arithmetic_test',
    name: 'pow gradient: Tensor2D / Tensor2D w/ broadcast (base)',
    run: gradient([[[3], [4]], [[2, 3], [0.4, 0.5]]], (a, b) => a.pow(b), [[6, 7], [8, 9]], 0),
    tfjs: [6 * 2 * 3 + 7 * 3 * 9, 8 * 0.4 * Math.pow(4, -0.6) + 9 * 0.5 * Math.pow(4, -0.5)],
  },
  {
    file: 'arithmetic_test',
    name: 'pow gradient: Tensor2D / Tensor2D w/ broadcast (exponent)',
    run: gradient([[[3], [4]], [[2, 3], [0.4, 0.5]]], (a, b) => a.pow(b), [[6, 7], [8, 9]], 1),
    tfjs: [6 * 9 * Math.log(3), 7 * 27 * Math.log(3), 8 * Math.pow(4, 0.4) * Math.log(4), 9 * Math.pow(4, 0.5) * Math.log(4)],
  },
  // step_test.ts
  { file: 'step_test', name: 'with 1d tensor', run: value((g) => g.constant([1, -2, -0.01, 3, -0.1]).step()), tfjs: [1, 0, 0, 1, 0] },
  { file: 'step_test', name: 'with 1d tensor and alpha', run: value((g) => g.constant([1, -2, -0.01, 3, NaN]).step(0.1)), tfjs: [1, 0.1, 0.1, 1, NaN] },
  { file: 'step_test', name: 'with 2d tensor', run: value((g) => g.constant([1, -5, -3, 4], [2, 2]).step()), tfjs: [1, 0, 0, 1] },
  { file: 'step_test', name: 'propagates NaNs', run: value((g) => g.constant([1, -2, -0.01, 3, NaN]).step()), tfjs: [1, 0, 0, 1, NaN] },
  { file: 'step_test', name: 'gradients: Tensor1D', run: gradient([[1, 2, -3, 5]], (x) => x.step(), [1, 2, 3, 4]), tfjs: [0, 0, 0, 0] },
  // sign_test.ts
  { file: 'sign_test', name: 'basic', run: value((g) => g.constant([1.5, 0, NaN, -1.4]).sign()), tfjs: [1, 0, 0, -1], differs: { ours: [1, 0, NaN, -1], why: 'NaN in, NaN out (numpy, PyTorch)' } },
  { file: 'sign_test', name: 'does not propagate NaNs', run: value((g) => g.constant([1.5, NaN, -1.4]).sign()), tfjs: [1, 0, -1], differs: { ours: [1, NaN, -1], why: 'NaN in, NaN out (numpy, PyTorch)' } },
  { file: 'sign_test', name: 'gradients: Tensor2D', run: gradient([[[-3, 1], [2.2, 3]]], (x) => x.sign(), [[1, 2], [3, 4]]), tfjs: [0, 0, 0, 0] },
  // int32 cases: int inputs, int results (stored exactly below 2²⁴ in float32)
  { file: 'relu_test', name: 'int32', run: value((g) => g.constant([12345678, -2, 0, 3, -1], [5], 'int').relu()), tfjs: [12345678, 0, 0, 3, 0] },
  { file: 'step_test', name: 'with int32 tensor', run: value((g) => g.constant([1, -2, 12345678, -12345678], [4], 'int').step()), tfjs: [1, 0, 1, 0] },
  { file: 'min_test', name: 'accepts int32 input', run: value((g) => g.constant([12345678, 12345679], [2], 'int').min()), tfjs: [12345678] },
  { file: 'max_test', name: 'accepts int32 tensor', run: value((g) => g.constant([3, -1, 0, 100, -7, 2], [2, 3], 'int').max()), tfjs: [100] },
  { file: 'arithmetic_test', name: 'pow: int32^int32', run: value((g) => g.constant([1, 2, 3], [3], 'int').pow(g.constant(2, [], 'int'))), tfjs: [1, 4, 9] },
  // relu_test.ts
  { file: 'relu_test', name: 'basic', run: value((g) => g.constant([1, -2, 0, 3, -0.1]).relu()), tfjs: [1, 0, 0, 3, 0] },
  { file: 'relu_test', name: 'propagates NaNs, float32', run: value((g) => g.constant([1, -2, 0, 3, -0.1, NaN]).relu()), tfjs: [1, 0, 0, 3, 0, NaN] },
  { file: 'relu_test', name: 'gradients: positive scalar', run: gradient([3], (x) => x.relu(), 5), tfjs: [5] },
  { file: 'relu_test', name: 'gradients: negative scalar', run: gradient([-3], (x) => x.relu(), 5), tfjs: [0] },
  { file: 'relu_test', name: 'gradients: array', run: gradient([[[1, -1], [0, 0.1]]], (x) => x.relu(), [[1, 2], [3, 4]]), tfjs: [1, 0, 0, 4] },
  // softmax_cross_entropy_test.ts (run against tfjs-core 4.22: labelSmoothing 0.2, Reduction.NONE)
  {
    file: 'softmax_cross_entropy_test',
    name: 'labelSmoothing 0.2, per row',
    run: value((g) => g.constant([[2, -1, 0.5, 0], [0.1, 0.2, -3, 1]]).softmaxCrossEntropy(g.constant([[0, 0, 1, 0], [1, 0, 0, 0]]), { labelSmoothing: 0.2 })),
    tfjs: [1.8673495054244995, 1.6331895589828491],
  },
  // one_hot_test.ts
  { file: 'one_hot_test', name: 'Depth 2, diagonal', run: value((g) => g.constant([0, 1], [2], 'int').oneHot(2)), tfjs: [1, 0, 0, 1] },
  { file: 'one_hot_test', name: 'Scalar input as Tensor', run: value((g) => g.constant(2, [], 'int').oneHot(4)), tfjs: [0, 0, 1, 0] },
  { file: 'one_hot_test', name: 'Depth 2, transposed diagonal', run: value((g) => g.constant([1, 0], [2], 'int').oneHot(2)), tfjs: [0, 1, 1, 0] },
  { file: 'one_hot_test', name: 'Depth 3, 4 events', run: value((g) => g.constant([2, 1, 2, 0], [4], 'int').oneHot(3)), tfjs: [0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0] },
  { file: 'one_hot_test', name: 'Depth 2 onValue=3, offValue=-2', run: value((g) => g.constant([0, 1], [2], 'int').oneHot(2, 3, -2)), tfjs: [3, -2, -2, 3] },
  { file: 'one_hot_test', name: 'oneHot with indices as 2d', run: value((g) => g.constant([1, 3, 2, 3], [2, 2], 'int').oneHot(4)), tfjs: [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1] },
  // log_sum_exp_test.ts, softmax_test.ts
  { file: 'log_sum_exp_test', name: '0', run: value((g) => g.constant(0).logSumExp()), tfjs: [0] },
  { file: 'log_sum_exp_test', name: 'basic', run: value((g) => g.constant([1, 2, -3]).logSumExp()), tfjs: [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(-3))] },
  { file: 'log_sum_exp_test', name: 'propagates NaNs', run: value((g) => g.constant([1, 2, NaN]).logSumExp()), tfjs: [NaN] },
  { file: 'softmax_test', name: 'regular test', run: value((g) => g.constant([2, 1, 3]).softmax()), tfjs: [0.24472847, 0.09003057, 0.66524095] },
  { file: 'softmax_test', name: 'overflow', run: value((g) => g.constant([100, 100]).softmax()), tfjs: [0.5, 0.5] },
  { file: 'softmax_test', name: 'underflow', run: value((g) => g.constant([-100, -100]).softmax()), tfjs: [0.5, 0.5] },
  { file: 'softmax_test', name: 'odd number of inputs', run: value((g) => g.constant([-400, -400, 0, -400, -400, -400, -400]).softmax()), tfjs: [0, 0, 1, 0, 0, 0, 0] },
  { file: 'softmax_test', name: 'Huge difference between probabilities', run: value((g) => g.constant([-1000, 1000]).softmax()), tfjs: [0, 1] },
  { file: 'softmax_test', name: 'Propagates NaNs', run: value((g) => g.constant([2, 1, NaN]).softmax()), tfjs: [NaN, NaN, NaN] },
  { file: 'softmax_test', name: '2D, dim=1', run: value((g) => g.constant([[2, 1, 3], [1, 3, 2]]).softmax(1)), tfjs: [0.24472847, 0.09003057, 0.66524095, 0.09003057, 0.66524095, 0.24472847] },
];

const closeTo = (a: number, b: number) => (Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= 1e-3);
const matches = (got: number[], want: number[]) => got.length === want.length && got.every((v, i) => closeTo(v, want[i]));

describe('TF.js unit-test expectations, ported as values', () => {
  it.each(cases.map((c) => [`${c.file}: ${c.name}${c.differs ? ' (differs on purpose)' : ''}`, c] as const))('%s', (_, c) => {
    const got = c.run();
    if (c.differs) {
      expect(matches(got, c.differs.ours), `deltagraph gives ${JSON.stringify(got)}, expected ${JSON.stringify(c.differs.ours)}`).toBe(true);
      expect(matches(got, c.tfjs), `no longer differs from TF.js (${c.differs.why}): update the README table`).toBe(false);
    } else {
      expect(matches(got, c.tfjs), `deltagraph gives ${JSON.stringify(got)}, TF.js expects ${JSON.stringify(c.tfjs)}`).toBe(true);
    }
  });

  it('carries the counts the README states', () => {
    const differing = cases.filter((c) => c.differs).length;
    expect([cases.length, cases.length - differing, differing]).toEqual([93, 84, 9]);
  });
});
