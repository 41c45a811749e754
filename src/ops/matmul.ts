/**
 * matMul of two rank-2 tensors with optional transposes. Its gradient is again matMuls with
 * transpose flags, so backprop never materialises a transpose (BP2 and BP4 are these).
 */
import { RuleError } from '../core/errors.ts';
import { formatShape, type Shape } from '../core/shape.ts';
import { registerOp, type VjpRule } from './registry.ts';

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

// C = op(A)·op(B); dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, then undo each op. Tensor.matMul
// takes the batched op when a side is rank 3; a rank-2 side shared by the batch gets a gradient
// per batch item, which autodiff sums over the leading axis.
const matMulVjp: VjpRule<MatMulAttrs> = ({ dy, inputs: [a, b], attrs: { transposeA, transposeB } }) => {
  if (!transposeA && !transposeB) return [dy.matMul(b, false, true), a.matMul(dy, true, false)];
  if (!transposeA && transposeB) return [dy.matMul(b), dy.matMul(a, true, false)];
  if (transposeA && !transposeB) return [b.matMul(dy, false, true), a.matMul(dy)];
  return [b.matMul(dy, true, true), dy.matMul(a, true, true)];
};

export const matMul = registerOp<MatMulAttrs>({
  name: 'matMul',
  arity: 2,
  doc: 'matrix product op(a)·op(b), op = optional transpose',
  shape: matMulShape,
  vjp: matMulVjp,
});

/**
 * matMul over a leading batch dimension: [batch, m, k]·[batch, k, n] → [batch, m, n], or with one
 * side rank 2 and shared by every batch item (as TF.js's matMul broadcasts it).
 */
export const batchMatMul = registerOp<MatMulAttrs>({
  name: 'batchMatMul',
  arity: 2,
  doc: 'op(a)·op(b) per batch item, [batch, m, k]·[batch, k, n] (a rank-2 side is shared by the batch)',
  shape: ([a, b], attrs) => {
    const ranks = [a.length, b.length];
    if (!ranks.every((r) => r === 2 || r === 3) || !ranks.includes(3)) {
      throw new RuleError(`inputs must be rank 3 ([batch, rows, columns]), or one of them rank 2, got ${formatShape(a)} and ${formatShape(b)}`);
    }
    const batchA = a.length === 3 ? a[0] : undefined;
    const batchB = b.length === 3 ? b[0] : undefined;
    if (batchA !== undefined && batchB !== undefined && batchA !== null && batchB !== null && batchA !== batchB) {
      throw new RuleError(`batch sizes differ: ${batchA} and ${batchB}`);
    }
    const batch = batchA === undefined ? batchB! : batchB === undefined ? batchA : (batchA ?? batchB);
    return [batch, ...matMulShape([a.slice(-2), b.slice(-2)], attrs)];
  },
  vjp: matMulVjp,
});
