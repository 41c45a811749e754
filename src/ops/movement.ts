/**
 * Ops that move or relabel data: transpose, reshape, stopGradient. reshape and stopGradient are
 * aliases: their output is the input's buffer, so they cost nothing at run time.
 */
import { RuleError } from '../core/errors.ts';
import type { DType } from '../core/ir.ts';
import { formatShape, sizeOf, type Dim } from '../core/shape.ts';
import { registerOp } from './registry.ts';

export const transpose = registerOp<{ perm: readonly number[] }>({
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

export const reshape = registerOp<{ shape: readonly number[] }>({
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
