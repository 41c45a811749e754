/**
 * Reductions over any set of axes, with keepDims. `mean` and `min` are composed from these
 * (mean = sum / count, min = −max(−x)); `broadcastAxes` is the inverse of a reduction and what
 * their gradients are made of. A NaN anywhere in a slice makes its result NaN (max too: not
 * ignored, not position-dependent).
 */
import { RuleError } from '../core/errors.ts';
import type { DType } from '../core/ir.ts';
import { normalizeAxes, reducedShape } from '../core/shape-rules.ts';
import type { Shape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { intIfAllInt, registerOp, type OpDef, type VjpRule } from './registry.ts';

/** Reduction attributes as the user gives them: axes (a number, a list, or null for all). */
export type ReductionAttrs = { axes: number | readonly number[] | null; keepDims: boolean };

/** The reduced axes, sorted and non-negative. */
export const axesOf = (attrs: { axes: number | readonly number[] | null }, rank: number) => normalizeAxes(attrs.axes ?? undefined, rank);

/** `t` repeated along the reduced axes of `like` (t has the reduced shape). */
export function broadcastAxesOf(t: Tensor, like: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  return t.graph.apply(broadcastAxes, [t, like], { axes, keepDims });
}

function reduction(name: string, doc: string, vjp: VjpRule<ReductionAttrs>, dtype?: (inputs: readonly DType[]) => DType): OpDef<ReductionAttrs> {
  return registerOp<ReductionAttrs>({
    name,
    arity: 1,
    doc,
    dtype,
    shape: ([x], attrs) => reducedShape(x, axesOf(attrs, x.length), attrs.keepDims),
    vjp,
  });
}

export const sum = reduction('sum', 'Σ over axes; NaN → NaN, +∞ and −∞ together → NaN', ({ dy, inputs: [x], attrs }) => [broadcastAxesOf(dy, x, axesOf(attrs, x.rank), attrs.keepDims)], intIfAllInt);

/**
 * The gradient of a maximum shared equally among the elements that tie for it (k ties get dy/k
 * each), as PyTorch's amax and JAX's max; TF.js gives each tie the whole dy. Equal shares keep
 * the gradient a true (sub)gradient: its sum is dy, so along x + c·1 (every element moved
 * together, the ties staying ties) it predicts the change dy·c the maximum makes, where whole
 * gradients would predict k·dy·c. min (= −max(−x)) inherits the rule.
 */
export const max = reduction('max', 'maximum over axes; NaN → NaN; k ties share the gradient, dy/k each', ({ dy, inputs: [x], output, attrs }) => {
  const axes = axesOf(attrs, x.rank);
  const mask = x.equal(broadcastAxesOf(output, x, axes, attrs.keepDims));
  const share = dy.div(mask.sum(axes, attrs.keepDims));
  return [mask.mul(broadcastAxesOf(share, x, axes, attrs.keepDims))];
}, intIfAllInt);

export const logSumExp = reduction('logSumExp', 'log Σ exp over axes, stable; NaN → NaN, +∞ → +∞, all −∞ → −∞', ({ dy, inputs: [x], output, attrs }) => {
  const axes = axesOf(attrs, x.rank);
  const softmax = x.sub(broadcastAxesOf(output, x, axes, attrs.keepDims)).exp();
  return [broadcastAxesOf(dy, x, axes, attrs.keepDims).mul(softmax)];
});

/** Attributes of `count`: the axes counted over (null: all). */
export type CountAttrs = { axes: number | readonly number[] | null };
export const count = registerOp<CountAttrs>({
  name: 'count',
  arity: 1,
  doc: 'number of elements over axes, a scalar known once the batch size is (no gradient)',
  dtype: (): DType => 'float',
  shape: ([x], attrs) => {
    axesOf(attrs, x.length);
    return [];
  },
  vjp: () => [null],
});

/** Attributes of `broadcastAxes`: the axes to repeat along, and whether x kept them as 1. */
export type BroadcastAxesAttrs = { axes: readonly number[]; keepDims: boolean };
export const broadcastAxes = registerOp<BroadcastAxesAttrs>({
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
  vjp: ({ dy, attrs }) => [dy.sum(attrs.axes, attrs.keepDims), null],
});
