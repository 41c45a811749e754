/**
 * Reductions over any set of axes, with keepDims. `mean` and `min` are composed from these
 * (mean = sum / count, min = −max(−x)); `broadcastAxes` is the inverse of a reduction and what
 * their gradients are made of.
 */
import { normalizeAxes, reducedShape, type Shape } from '../graph/shape.ts';
import { RuleError } from '../graph/errors.ts';
import type { Tensor } from '../graph/tensor.ts';
import type { DType } from '../graph/ir.ts';
import { broadcastAxesKernel, logSumExpKernel, maxKernel, sumKernel } from './kernels/reduce.ts';
import { registerOp, type KernelFactory, type VjpRule } from './registry.ts';

type ReduceAttrs = { axes: number | readonly number[] | null; keepDims: boolean };

const axesOf = (attrs: ReduceAttrs, rank: number) => normalizeAxes(attrs.axes ?? undefined, rank);

/** Attributes the kernels want: the axes as a sorted list of non-negative numbers. */
function withAxes(kernel: KernelFactory<{ axes: readonly number[] }>): KernelFactory<ReduceAttrs> {
  return (ctx) => kernel({ ...ctx, attrs: { axes: axesOf(ctx.attrs, ctx.inputShapes[0].length) } });
}

/** `t` repeated along the reduced axes of `like` (t has the reduced shape). */
export function broadcastAxes(t: Tensor, like: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  return t.graph.apply('broadcastAxes', [t, like], { axes, keepDims });
}

function reduction(name: string, doc: string, kernel: KernelFactory<{ axes: readonly number[] }>, vjp: VjpRule<ReduceAttrs>) {
  registerOp<ReduceAttrs>({
    name,
    arity: 1,
    doc,
    shape: ([x], attrs) => reducedShape(x, axesOf(attrs, x.length), attrs.keepDims),
    kernel: withAxes(kernel),
    vjp,
  });
}

reduction('sum', 'Σ over axes', sumKernel, ({ dy, inputs: [x], attrs }) => [
  broadcastAxes(dy, x, axesOf(attrs, x.rank), attrs.keepDims),
]);

reduction('max', 'maximum over axes (ties share the gradient)', maxKernel, ({ dy, inputs: [x], output, attrs }) => {
  const axes = axesOf(attrs, x.rank);
  const mask = x.equal(broadcastAxes(output, x, axes, attrs.keepDims));
  const share = dy.div(mask.sum(axes, attrs.keepDims));
  return [mask.mul(broadcastAxes(share, x, axes, attrs.keepDims))];
});

reduction('logSumExp', 'log Σ exp over axes, stable', logSumExpKernel, ({ dy, inputs: [x], output, attrs }) => {
  const axes = axesOf(attrs, x.rank);
  const softmax = x.sub(broadcastAxes(output, x, axes, attrs.keepDims)).exp();
  return [broadcastAxes(dy, x, axes, attrs.keepDims).mul(softmax)];
});

registerOp<{ axes: number | readonly number[] | null }>({
  name: 'count',
  arity: 1,
  doc: 'number of elements over axes, a scalar known once the batch size is (no gradient)',
  dtype: (): DType => 'float',
  shape: ([x], attrs) => {
    normalizeAxes(attrs.axes ?? undefined, x.length);
    return [];
  },
  kernel: ({ output, inputShapes: [shape], attrs }) => {
    const n = normalizeAxes(attrs.axes ?? undefined, shape.length).reduce((p, a) => p * shape[a], 1);
    return () => {
      output[0] = n;
    };
  },
  vjp: () => [null],
});

registerOp<{ axes: readonly number[]; keepDims: boolean }>({
  name: 'broadcastAxes',
  arity: 2,
  doc: 'repeats x along the reduced axes of like (the gradient of a reduction)',
  dtype: ([x]): DType => {
    if (x !== 'float') throw new RuleError('input 0 is int; broadcastAxes takes a float tensor');
    return 'float';
  },
  shape: ([x, like], { axes, keepDims }) => {
    const expected = reducedShape(like, normalizeAxes(axes, like.length), keepDims);
    const fits = expected.length === x.length && expected.every((d, i) => d === null || x[i] === null || d === x[i]);
    if (!fits) throw new RuleError(`input 0 must have the reduced shape ${JSON.stringify(expected)}`);
    return like as Shape;
  },
  kernel: (ctx) => broadcastAxesKernel({ ...ctx, attrs: { axes: normalizeAxes(ctx.attrs.axes, ctx.outputShape.length) } }),
  vjp: ({ dy, attrs }) => [dy.sum(attrs.axes, attrs.keepDims), null],
});
