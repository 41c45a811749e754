/**
 * Pass: a ReLU's gradient as its rule builds it, mul(dy, step(y)) with y the ReLU's output,
 * becomes reluGrad(dy, y): one pass over dy and y instead of two, and step(y) never stored. Only
 * masks autodiff made (dy is then the gradient of a tensor of y's shape, batch included; a mask a
 * user writes may broadcast along the batch), with step of alpha 0 read by nothing else.
 */
import type { IR, Node } from '../../core/ir.ts';
import { ops } from '../../ops/index.ts';
import type { PassContext } from './index.ts';
import { capture, op, rewrite, withOp, type Captures } from './rewrite.ts';

const sameShape = (a: Node, b: Node) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
const fusable = (mul: Node, { dy, y, mask }: Captures) =>
  mul.gradientOf !== undefined && ((mask.attrs as { alpha?: number }).alpha ?? 0) === 0 && dy.dtype === 'float' && y.dtype === 'float' && sameShape(dy, y) && sameShape(mul, y);

const gradient = op(ops.mul, capture('dy'), op(ops.step, capture('y')).once().as('mask')).commutes().where(fusable);

export function fuseReluGrad(ir: IR, context: PassContext): IR {
  return rewrite(ir, context.readers.needed, context.readers, [{ pattern: gradient, to: ({ dy, y }, mul) => withOp(mul, ops.reluGrad, [dy.id, y.id]) }]);
}
