/**
 * Ops that move or relabel data: transpose, reshape, stopGradient, concat, slice, pad, gather.
 * reshape and stopGradient are aliases: their output is the input's buffer, so they cost nothing
 * at run time. slice and pad are each other's gradient, and gather and gatherGrad, so every
 * gradient here differentiates again. They copy values, so a NaN stays where it is.
 */
import { RuleError } from '../core/errors.ts';
import type { DType } from '../core/ir.ts';
import { formatShape, sizeOf, type Dim, type Shape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { intIfAllInt, registerOp, type OpDef } from './registry.ts';
import { axisOf } from './softmax.ts';

/** Attributes of `transpose`: the new order of the axes. */
export type TransposeAttrs = { perm: readonly number[] };
export const transpose = registerOp<TransposeAttrs>({
  name: 'transpose',
  arity: 1,
  doc: 'permutes the axes',
  dtype: ([x]): DType => x,
  shape: ([x], { perm }) => {
    const ok = perm.length === x.length && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!ok) throw new RuleError(`perm ${JSON.stringify(perm)} is not a permutation of the ${x.length} axes`);
    return perm.map((p) => x[p]);
  },
  vjp: ({ dy, attrs: { perm } }) => {
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [dy.transpose(inverse)];
  },
});

/** Attributes of `reshape`: the new shape. */
export type ReshapeAttrs = { shape: readonly number[] };
export const reshape = registerOp<ReshapeAttrs>({
  name: 'reshape',
  arity: 1,
  doc: 'same data, new shape (one dimension may be −1)',
  traits: ['alias'],
  dtype: ([x]): DType => x,
  shape: ([x], { shape }) => {
    const inferred = shape.filter((d) => d === -1).length;
    if (inferred > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
      throw new RuleError(`target shape ${JSON.stringify(shape)} may hold whole numbers ≥ 0 and at most one −1`);
    }
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const size = sizeOf(x);
    if (size === null) return shape.map((d): Dim => (d === -1 ? null : d));
    if (inferred === 0 ? known !== size : known === 0 || size % known !== 0) {
      throw new RuleError(`cannot reshape ${size} elements into ${JSON.stringify(shape)}`);
    }
    return shape.map((d) => (d === -1 ? size / known : d));
  },
  vjp: ({ dy, inputs: [x] }) => {
    const unknown = x.shape.filter((d) => d === null).length;
    if (unknown > 1) throw new RuleError(`the gradient of a reshape needs its input shape ${formatShape(x.shape)} to have at most one unknown dimension`);
    return [dy.reshape(x.shape.map((d) => d ?? -1))];
  },
});

export const stopGradient = registerOp({
  name: 'stopGradient',
  arity: 1,
  doc: 'identity forward, no gradient backward',
  traits: ['alias'],
  dtype: ([x]): DType => x,
  shape: ([x]) => x,
  vjp: () => [null],
});

/** Axes along which two shapes must agree (all but `axis`), checked for concat. */
function concatShape(a: Shape, b: Shape, axis: number): Shape {
  if (a.length !== b.length) throw new RuleError(`inputs must have the same rank, got ${formatShape(a)} and ${formatShape(b)}`);
  const k = axisOf(axis, a.length);
  return a.map((d, i) => {
    if (i === k) return d === null || b[i] === null ? null : d + (b[i] as number);
    if (d !== null && b[i] !== null && d !== b[i]) throw new RuleError(`dimension ${i} differs (${d} vs ${b[i]}); only axis ${k} may`);
    return d ?? b[i];
  });
}

/** The known length of `axis` of t, or an error naming what needs it. */
function knownDim(t: Tensor, axis: number, what: string): number {
  const d = t.shape[axis];
  if (d === null) throw new RuleError(`${what} needs dimension ${axis} of ${formatShape(t.shape)} known`);
  return d;
}

/** Attributes of `concat`, `gather` and `gatherGrad`: the axis. */
export type AxisAttr = { axis: number };
/** Two tensors joined along `axis` (TF.js's concat; `g.concat` joins a list by pairs). */
export const concat = registerOp<AxisAttr>({
  name: 'concat',
  arity: 2,
  doc: 'a and b joined along axis (every other dimension equal)',
  dtype: intIfAllInt,
  shape: ([a, b], { axis }) => concatShape(a, b, axis),
  vjp: ({ dy, inputs: [a, b], attrs }) => {
    const k = axisOf(attrs.axis, a.rank);
    const n = knownDim(a, k, 'the gradient of concat');
    const begin = (at: number) => a.shape.map((_, i) => (i === k ? at : 0));
    const size = (t: Tensor) => t.shape.map((_, i) => (i === k ? knownDim(t, k, 'the gradient of concat') : -1));
    return [dy.slice(begin(0), size(a)), dy.slice(begin(n), size(b))];
  },
});

/** slice's attributes: the start along every axis and the length (−1: to the end). */
export type SliceAttrs = { begin: readonly number[]; size: readonly number[] };

export const slice = registerOp<SliceAttrs>({
  name: 'slice',
  arity: 1,
  doc: 'the box begin … begin + size (size −1: to the end), as TF.js',
  dtype: ([x]): DType => x,
  shape: ([x], { begin, size }) => {
    if (begin.length !== x.length || size.length !== x.length) throw new RuleError(`begin ${JSON.stringify(begin)} and size ${JSON.stringify(size)} need one entry per axis (${x.length})`);
    return x.map((d, i) => {
      const [b, s] = [begin[i], size[i]];
      if (!Number.isInteger(b) || b < 0 || !Number.isInteger(s) || s < -1) throw new RuleError(`begin must hold whole numbers ≥ 0 and size whole numbers ≥ −1, got ${JSON.stringify(begin)}, ${JSON.stringify(size)}`);
      if (d === null) {
        if (b !== 0 || s !== -1) throw new RuleError(`axis ${i} has an unknown length: only begin 0 and size −1 (all of it) are allowed there`);
        return null;
      }
      const end = s === -1 ? d : b + s;
      if (end > d || b > d) throw new RuleError(`axis ${i}: begin ${b} + size ${s} runs past its length ${d}`);
      return end - b;
    });
  },
  vjp: ({ dy, inputs: [x], attrs: { begin }, output }) =>
    [dy.pad(x.shape.map((d, i) => (d === null ? [0, 0] : [begin[i], d - begin[i] - (output.shape[i] as number)])))],
});

export type PadAttrs = { paddings: readonly (readonly [number, number])[]; constantValue: number };

export const pad = registerOp<PadAttrs>({
  name: 'pad',
  arity: 1,
  doc: 'x with [before, after] elements of constantValue (default 0) added along every axis, as TF.js',
  dtype: ([x], { constantValue }) => (x === 'int' && Number.isInteger(constantValue) ? 'int' : 'float'),
  shape: ([x], { paddings, constantValue }) => {
    const ok = paddings.length === x.length && paddings.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
    if (!ok) throw new RuleError(`paddings must be one [before, after] of whole numbers ≥ 0 per axis (${x.length}), got ${JSON.stringify(paddings)}`);
    if (!Number.isFinite(constantValue)) throw new RuleError(`constantValue must be a finite number, got ${constantValue}`);
    return x.map((d, i) => (d === null ? null : d + paddings[i][0] + paddings[i][1]));
  },
  vjp: ({ dy, inputs: [x], attrs: { paddings } }) => [dy.slice(paddings.map((p) => p[0]), x.shape.map((d) => d ?? -1))],
});

const gatherShape = (x: Shape, indices: Shape, axis: number): Shape => {
  const k = axisOf(axis, x.length);
  return [...x.slice(0, k), ...indices, ...x.slice(k + 1)];
};

/**
 * Slices of x along `axis` picked by int indices (TF.js's gather): an embedding lookup is
 * `table.gather(ids)`. An index outside [0, length) is a run-time error naming it.
 */
export const gather = registerOp<AxisAttr>({
  name: 'gather',
  arity: 2,
  doc: 'x’s slices along axis at int indices (shape x[:axis] + indices + x[axis+1:]); an index outside the axis is a run-time error',
  dtype: ([x, indices]): DType => {
    if (indices !== 'int') throw new RuleError("indices (input 1) must be an int tensor (x.cast('int') converts)");
    return x;
  },
  shape: ([x, indices], { axis }) => {
    const k = axisOf(axis, x.length);
    if (x[k] === null) throw new RuleError(`the gathered axis ${k} of ${formatShape(x)} must have a known length`);
    return gatherShape(x, indices, k);
  },
  vjp: ({ dy, inputs: [x, indices], attrs }) => [dy.graph.apply(gatherGrad, [dy, indices, x], attrs), null],
});

/** The gradient of gather: dy's slices added into a zero tensor of x's shape at the indices (TF's unsortedSegmentSum). */
export const gatherGrad: OpDef<AxisAttr> = registerOp<AxisAttr>({
  name: 'gatherGrad',
  arity: 3,
  doc: 'the gradient of gather: (dy, indices, like x) → x’s shape, dy’s slices summed where the indices point',
  dtype: ([dy, indices]): DType => {
    if (dy !== 'float' || indices !== 'int') throw new RuleError('dy (input 0) must be float and indices (input 1) int');
    return 'float';
  },
  shape: ([dy, indices, like], { axis }) => {
    const expected = gatherShape(like, indices, axis);
    const fits = dy.length === expected.length && dy.every((d, i) => d === null || expected[i] === null || d === expected[i]);
    if (!fits) throw new RuleError(`dy must have the gathered shape ${formatShape(expected)}, got ${formatShape(dy)}`);
    return like;
  },
  vjp: ({ dy: g, inputs: [, indices], attrs }) => [g.gather(indices, attrs.axis), null, null],
});
