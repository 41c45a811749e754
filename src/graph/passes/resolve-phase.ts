/**
 * Pass: each inTrainPhase(a, b) becomes the branch the program takes, a in a training program and
 * b in an inference one, so the other branch is never computed (an inference program of a
 * batchNorm reads its moving statistics and takes none of the batch's). The node keeps its id as a
 * stopGradient of that branch: an alias, no kernel, no copy (the gradients were built already).
 */
import type { IR, Node } from '../../core/ir.ts';
import { isOp, ops } from '../../ops/index.ts';
import type { PassContext } from './index.ts';
import { replace, withOp } from './rewrite.ts';

export function resolvePhase(ir: IR, context: PassContext): IR {
  const replacements = new Map<number, Node>();
  for (const id of context.readers.needed) {
    const node = ir.nodes[id];
    if (isOp(node, ops.inTrainPhase)) replacements.set(id, withOp(node, ops.stopGradient, [node.inputs[context.training ? 0 : 1]]));
  }
  return replace(ir, replacements);
}
