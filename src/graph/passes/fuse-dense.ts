/**
 * Pass: a dense layer act(add(matMul(x, W), b)), act relu or sigmoid, becomes
 * matMulBiasActivation(x, W, b) {activation}: the bias and the activation go over the product in
 * one pass, and neither the product nor the pre-activation is stored. Where the pre-activation
 * has other readers (a loss reading the logits under a sigmoid), add(matMul(x, W), b) alone
 * becomes the 'linear' form. Only plain products (no transposes) with b a row [n], and only when
 * the product, and for an activation the sum, is read by nothing else.
 */
import { castDraft, produce } from 'immer';
import type { IR, Node } from '../ir.ts';
import type { PassContext } from './index.ts';
import { countReaders } from './readers.ts';

const activations = new Set(['relu', 'sigmoid']);

export function fuseDense(ir: IR, context: PassContext): IR {
  const { nodes } = ir;
  const { needed, once } = countReaders(nodes, context);
  const fused = new Map<number, Node>();
  const absorbed = new Set<number>();
  for (const id of needed) {
    const node = nodes[id];
    if (!activations.has(node.op) || !once(node.inputs[0])) continue;
    const inputs = denseInputs(nodes, nodes[node.inputs[0]], once);
    if (!inputs) continue;
    fused.set(id, { ...node, op: 'matMulBiasActivation', inputs, attrs: { activation: node.op } });
    absorbed.add(node.inputs[0]);
  }
  for (const id of needed) {
    const inputs = absorbed.has(id) ? null : denseInputs(nodes, nodes[id], once);
    if (inputs) fused.set(id, { ...nodes[id], op: 'matMulBiasActivation', inputs, attrs: { activation: 'linear' } });
  }
  if (fused.size === 0) return ir;
  return produce(ir, (draft) => {
    for (const [id, node] of fused) draft.nodes[id] = castDraft(node);
  });
}

/** [x, W, b] if `add` is add(matMul(x, W), b) (either order) with a product read only here. */
function denseInputs(nodes: readonly Node[], add: Node, once: (id: number) => boolean): number[] | null {
  if (add.op !== 'add') return null;
  const [a, b] = add.inputs;
  for (const [productId, biasId] of [[a, b], [b, a]]) {
    const product = nodes[productId];
    const bias = nodes[biasId];
    if (product.op !== 'matMul' || product.attrs.transposeA || product.attrs.transposeB || !once(productId)) continue;
    const columns = product.shape[1];
    if (columns !== null && bias.shape.length === 1 && bias.shape[0] === columns) return [...product.inputs, biasId];
  }
  return null;
}
