/**
 * Pass: a ReLU's gradient behind a max pool, as the vjps build it,
 *   mul(maxPool2dGrad(x, y, dy), step(x))          x = relu(…), y = maxPool2d(x)
 * becomes maxPool2dGrad(x, y, mul(dy, step(y))): the mask taken on the pooled gradient, a
 * quarter of the size under a 2x2 pool. The two agree because maxPool2dGrad puts each window's
 * dy (shared by its k ties) only on elements equal to the window's maximum y, where step(x) is
 * step(y); elsewhere both are 0. Any step(x) works, not only a ReLU's. Where step(x) or the pool
 * gradient has another reader the pass leaves them.
 *
 * The rewrite reuses the ids of the two nodes it replaces, lowest first, so inputs still come
 * before their readers: step(y) takes the smaller, mul(dy, ·) the larger, and the pool gradient
 * the mul's own id.
 */
import type { IR, Node } from '../../core/ir.ts';
import { ops } from '../../ops/index.ts';
import type { PassContext } from './index.ts';
import { capture, op, replace } from './rewrite.ts';

const masked = op(ops.mul, op(ops.maxPool2dGrad, capture('x'), capture('y'), capture('dy')).once().as('grad'), op(ops.step, capture('x')).once().as('mask')).commutes();

export function maskBeforePool(ir: IR, context: PassContext): IR {
  const replacements = new Map<number, Node>();
  for (const id of context.readers.needed) {
    const found = masked.match(id, { ir, once: context.readers.once });
    if (!found) continue;
    const { x, y, dy, grad, mask } = found.captures;
    const [first, second] = [grad.id, mask.id].sort((a, b) => a - b);
    if (first <= y.id || second <= dy.id) continue; // the new nodes' inputs would not come first
    const mul = ir.nodes[id];
    replacements.set(first, { ...ir.nodes[first], op: ops.step.name, inputs: [y.id], attrs: mask.attrs, shape: y.shape, dtype: mask.dtype });
    replacements.set(second, { ...ir.nodes[second], op: ops.mul.name, inputs: [dy.id, first], attrs: {}, shape: dy.shape, dtype: mul.dtype });
    replacements.set(id, { ...mul, op: ops.maxPool2dGrad.name, inputs: [x.id, y.id, second], attrs: grad.attrs, shape: grad.shape });
  }
  return replace(ir, replacements);
}
