/**
 * Graph → graph passes run by `compile` before planning, in order. Each is a pure function of
 * the IR (an immer `produce`, so untouched nodes stay shared) and keeps node ids, so outputs and
 * updates still name the same nodes. They run after autodiff, on the whole training step:
 *   fuse-updates                W ← W − η·(Xᵀ·Δ) as one multiply accumulated into W
 *   fuse-softmax-cross-entropy  the logits gradient dy·(softmax(z) − onehot(y)) as one op
 *   fuse-dense                  act(x·W + b) as one op (relu's gradient reads its output, not x·W + b)
 *
 * What needs no pass here: dead code is never scheduled (compile plans only what the outputs and
 * updates need), common subexpressions are shared when built (hash-consing), sigmoid′ and relu′
 * reuse the forward output (their gradient rules), softmax + cross-entropy is one op.
 */
import type { IR } from '../ir.ts';
import { fuseDense } from './fuse-dense.ts';
import { fuseSoftmaxCrossEntropy } from './fuse-softmax-cross-entropy.ts';
import { fuseUpdates } from './fuse-updates.ts';

export interface PassContext {
  outputs: readonly number[];
  updates: readonly (readonly [number, number])[];
}

const passes = {
  'fuse-updates': fuseUpdates,
  'fuse-softmax-cross-entropy': fuseSoftmaxCrossEntropy,
  'fuse-dense': fuseDense,
} satisfies Record<string, (ir: IR, context: PassContext) => IR>;

export type PassName = keyof typeof passes;
export const passNames = Object.keys(passes) as PassName[];

/** Runs every pass but those in `skip`. */
export function optimize(ir: IR, context: PassContext, skip: readonly PassName[] = []): IR {
  return passNames.filter((name) => !skip.includes(name)).reduce((current, name) => passes[name](current, context), ir);
}
