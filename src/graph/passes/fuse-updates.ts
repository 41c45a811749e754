/**
 * Pass: fuse an SGD step into one kernel. An update W ← sub(W, mul(matMul(a, b), s)), where the
 * product and the scaled product feed nothing else, becomes W ← subScaledMatMul(W, a, b, s): the
 * weight gradient is added into W as it is computed, without the gradient or the scaled
 * gradient ever being stored.
 */
import { castDraft, produce } from 'immer';
import type { IR, Node } from '../ir.ts';
import type { PassContext } from './index.ts';
import { countReaders } from './readers.ts';

export function fuseUpdates(ir: IR, context: PassContext): IR {
  const { nodes } = ir;
  const only = countReaders(nodes, context).once;
  const isScalar = (n: Node) => n.shape.every((d) => d === 1);

  const fused = new Map<number, Node>();
  for (const [param, value] of context.updates) {
    const sub = nodes[value];
    if (sub.op !== 'sub' || sub.inputs[0] !== param || !only(sub.inputs[1])) continue;
    const mul = nodes[sub.inputs[1]];
    if (mul.op !== 'mul') continue;
    const [x, y] = mul.inputs.map((i) => nodes[i]);
    const [product, scale] = x.op === 'matMul' && isScalar(y) ? [x, y] : y.op === 'matMul' && isScalar(x) ? [y, x] : [null, null];
    if (!product || !scale || !only(product.id)) continue;
    fused.set(value, { ...sub, op: 'subScaledMatMul', inputs: [param, ...product.inputs, scale.id], attrs: product.attrs });
  }
  if (fused.size === 0) return ir;
  return produce(ir, (draft) => {
    for (const [id, node] of fused) draft.nodes[id] = castDraft(node);
  });
}
