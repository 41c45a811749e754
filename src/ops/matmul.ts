/**
 * matMul of two rank-2 tensors with optional transposes. Its gradient is again matMuls with
 * transpose flags, so backprop never materialises a transpose (BP2 and BP4 are these).
 */
import { RuleError } from '../core/errors.ts';
import { formatShape, type Shape } from '../core/shape.ts';
import { registerOp } from './registry.ts';

export type MatMulAttrs = { transposeA: boolean; transposeB: boolean };

export function matMulShape([a, b]: readonly Shape[], { transposeA, transposeB }: MatMulAttrs): Shape {
  if (a.length !== 2 || b.length !== 2) {
    throw new RuleError(`both inputs must be rank 2, got ${formatShape(a)} and ${formatShape(b)}`);
  }
  const [m, ka] = transposeA ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = transposeB ? [b[1], b[0]] : [b[0], b[1]];
  if (ka !== null && kb !== null && ka !== kb) {
    const left = transposeA ? 'aᵀ' : 'a';
    const right = transposeB ? 'bᵀ' : 'b';
    throw new RuleError(`inner dimensions must agree: ${left} has ${ka} columns, ${right} has ${kb} rows`);
  }
  return [m, n];
}

export const matMul = registerOp<MatMulAttrs>({
  name: 'matMul',
  arity: 2,
  doc: 'matrix product op(a)·op(b), op = optional transpose',
  shape: matMulShape,
  // C = op(A)·op(B); dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, then undo each op.
  vjp: ({ dy, inputs: [a, b], attrs: { transposeA, transposeB } }) => {
    if (!transposeA && !transposeB) return [dy.matMul(b, false, true), a.matMul(dy, true, false)];
    if (!transposeA && transposeB) return [dy.matMul(b), dy.matMul(a, true, false)];
    if (transposeA && !transposeB) return [b.matMul(dy, false, true), a.matMul(dy)];
    return [b.matMul(dy, true, true), dy.matMul(a, true, true)];
  },
});
