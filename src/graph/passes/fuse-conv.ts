/**
 * Pass: a conv layer act(add(conv2d(x, f), b)), act relu or sigmoid, becomes
 * conv2dBiasActivation(x, f, b) {window, activation}: the bias and the activation go over each
 * part of the product while it is in cache, and neither the product nor the pre-activation is
 * stored. Where the pre-activation has other readers, add(conv2d(x, f), b) alone becomes the
 * 'linear' form. Only with b one value per output channel, and only when the product, and for
 * an activation the sum, is read by nothing else (as fuse-dense for dense layers).
 */
import type { IR, Node } from '../../core/ir.ts';
import { ops } from '../../ops/index.ts';
import type { PassContext } from './index.ts';
import { capture, op, rewrite, withOp, type Captures } from './rewrite.ts';

/** b is [channels] of the convolution's output: the bias of each channel. */
const isBias = (_: Node, { product, b }: Captures) => product.shape[3] !== null && b.shape.length === 1 && b.shape[0] === product.shape[3];

const layer = op(ops.add, op(ops.conv2d).once().as('product'), capture('b')).commutes().where(isBias);
const inputs = ({ product, b }: Captures) => [...product.inputs, b.id];

export function fuseConv(ir: IR, context: PassContext): IR {
  return rewrite(ir, context.readers.needed, context.readers, [
    {
      pattern: op([ops.relu, ops.sigmoid], layer.once()),
      to: (c, act) => withOp(act, ops.conv2dBiasActivation, inputs(c), { ...c.product.attrs, activation: act.op }),
    },
    { pattern: layer, to: (c, add) => withOp(add, ops.conv2dBiasActivation, inputs(c), { ...c.product.attrs, activation: 'linear' }) },
  ]);
}
