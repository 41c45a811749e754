/**
 * Pass: a dense layer act(add(matMul(x, W), b)), act relu or sigmoid, becomes
 * matMulBiasActivation(x, W, b) {activation}: the bias and the activation go over the product in
 * one pass, and neither the product nor the pre-activation is stored. Where the pre-activation
 * has other readers (a loss reading the logits under a sigmoid), add(matMul(x, W), b) alone
 * becomes the 'linear' form. Only plain products (no transposes) with b a row [n], and only when
 * the product, and for an activation the sum, is read by nothing else.
 */
import type { IR, Node } from '../../core/ir.ts';
import { ops } from '../../ops/index.ts';
import type { PassContext } from './index.ts';
import { capture, op, rewrite, withOp, type Captures } from './rewrite.ts';

const plain = (product: Node) => !product.attrs.transposeA && !product.attrs.transposeB;
/** b is a row [n] as wide as the product: the bias of each column. */
const isBias = (_: Node, { product, b }: Captures) => product.shape[1] !== null && b.shape.length === 1 && b.shape[0] === product.shape[1];

const layer = op(ops.add, op(ops.matMul).where(plain).once().as('product'), capture('b')).commutes().where(isBias);
const inputs = ({ product, b }: Captures) => [...product.inputs, b.id];

export function fuseDense(ir: IR, context: PassContext): IR {
  return rewrite(ir, context.readers.needed, context.readers, [
    {
      pattern: op([ops.relu, ops.sigmoid], layer.once()),
      to: (c, act) => withOp(act, ops.matMulBiasActivation, inputs(c), { activation: act.op }),
    },
    { pattern: layer, to: (c, add) => withOp(add, ops.matMulBiasActivation, inputs(c), { activation: 'linear' }) },
  ]);
}
