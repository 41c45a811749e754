/**
 * Pass: the logits gradient of softmaxCrossEntropy with class-id labels, as its vjp builds it,
 *   mul(broadcastAxes(dy, z, [classAxis]), sub(softmax(z, −1), oneHot(labels, classes)))
 * becomes softmaxCrossEntropyGrad(z, labels, dy): one pass over each row instead of five ops,
 * the softmax, the one-hot rows and their difference never stored. Only where those three are
 * read by nothing else (a softmax also requested as an output is computed once, unfused).
 */
import { castDraft, produce } from 'immer';
import type { IR, Node } from '../ir.ts';
import type { PassContext } from './index.ts';
import { countReaders } from './readers.ts';

export function fuseSoftmaxCrossEntropy(ir: IR, context: PassContext): IR {
  const { nodes } = ir;
  const { needed, once } = countReaders(nodes, context);
  const fused = new Map<number, Node>();
  for (const id of needed) {
    const node = nodes[id];
    const inputs = node.op === 'mul' ? gradientInputs(nodes, node, once) : null;
    if (inputs) fused.set(id, { ...node, op: 'softmaxCrossEntropyGrad', inputs, attrs: {} });
  }
  if (fused.size === 0) return ir;
  return produce(ir, (draft) => {
    for (const [id, node] of fused) draft.nodes[id] = castDraft(node);
  });
}

/** [z, labels, dy] if `mul` is the gradient pattern, in either operand order. */
function gradientInputs(nodes: readonly Node[], mul: Node, once: (id: number) => boolean): number[] | null {
  const [a, b] = mul.inputs;
  for (const [rowsId, differenceId] of [[a, b], [b, a]]) {
    const rows = nodes[rowsId];
    const difference = nodes[differenceId];
    if (rows.op !== 'broadcastAxes' || difference.op !== 'sub' || !once(differenceId)) continue;
    const [softmax, oneHot] = difference.inputs.map((i) => nodes[i]);
    if (softmax.op !== 'softmax' || oneHot.op !== 'oneHot' || !once(softmax.id) || !once(oneHot.id)) continue;
    const z = nodes[softmax.inputs[0]];
    const classAxis = z.shape.length - 1;
    const { axes, keepDims } = rows.attrs as { axes: readonly number[]; keepDims: boolean };
    const { axis } = softmax.attrs as { axis: number };
    const byRow = rows.inputs[1] === z.id && !keepDims && axes.length === 1 && axes[0] === classAxis;
    const alongClasses = classAxis >= 0 && (axis === -1 || axis === classAxis);
    // No broadcasting hides in the sub or the mul: the one-hot rows have z's shape.
    const sameShape = oneHot.shape.length === z.shape.length && oneHot.shape.every((d, i) => d === z.shape[i]);
    if (byRow && alongClasses && sameShape) return [z.id, oneHot.inputs[0], rows.inputs[0]];
  }
  return null;
}
