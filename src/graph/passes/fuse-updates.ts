/**
 * Pass: fuse an SGD step into one kernel. An update W ← sub(W, mul(matMul(a, b), s)), where the
 * product and the scaled product feed nothing else, becomes W ← subScaledMatMul(W, a, b, s): the
 * weight gradient is added into W as it is computed, without the gradient or the scaled
 * gradient ever being stored.
 */
import type { IR, Node } from '../../core/ir.ts';
import { ops } from '../../ops/index.ts';
import type { PassContext } from './index.ts';
import { capture, op, rewrite, withOp } from './rewrite.ts';

const isScalar = (n: Node) => n.shape.every((d) => d === 1);

const step = op(ops.sub, capture('param'), op(ops.mul, op(ops.matMul).as('product').once(), capture('scale').where(isScalar)).commutes().once());

export function fuseUpdates(ir: IR, context: PassContext): IR {
  // Only an update's own value, written over the parameter it subtracts from.
  const updated = (param: Node, value: Node) => context.updates.some(([p, v]) => p === param.id && v === value.id);
  return rewrite(ir, context.updates.map(([, value]) => value), context.readers, [
    {
      pattern: step,
      to: ({ param, product, scale }, sub) =>
        updated(param, sub) ? withOp(sub, ops.subScaledMatMul, [param.id, ...product.inputs, scale.id], product.attrs) : null,
    },
  ]);
}
