/**
 * Graph rewrites, written with the pattern kit of rewrite.ts.
 *
 * Passes run by `compile` before planning, in order, after autodiff, on the whole training step.
 * Each is a pure function of the IR (an immer `produce`, so untouched nodes stay shared; the same
 * IR object back when nothing matched) and keeps node ids, so outputs and updates still name the
 * same nodes:
 *   resolve-phase               inTrainPhase(a, b) as a in a training program, b in an inference one
 *   fuse-updates                W ← W − η·(Xᵀ·Δ) as one multiply accumulated into W
 *   fuse-softmax-cross-entropy  the logits gradient dy·(softmax(z) − onehot(y)) as one op
 *   fuse-dense                  act(x·W + b) as one op (relu's gradient reads its output, not x·W + b)
 *   fuse-conv                   act(conv2d(x, f) + b) as one op, the same way
 *   mask-before-pool            a ReLU's gradient behind a max pool taken on the pooled gradient
 *   fuse-relu-grad              a ReLU's gradient dy·step(y) as one op
 *
 * Before autodiff, on the graph builder: stabilize (stabilize.ts), which the losses of nn apply to
 * the plain formulas they write, turns ln σ(z), ln softmax(z) and the cross-entropies built on them
 * into their stable forms. It cannot be a pass here: by now the gradient has been built from the
 * unstable nodes, and rewriting the loss alone would leave that gradient as it is.
 *
 * What needs no pass here: dead code is never scheduled (compile plans only what the outputs and
 * updates need), common subexpressions are shared when built (hash-consing), sigmoid′ and relu′
 * reuse the forward output (their gradient rules).
 */
import type { IR } from '../../core/ir.ts';
import { fuseConv } from './fuse-conv.ts';
import { fuseDense } from './fuse-dense.ts';
import { fuseSoftmaxCrossEntropy } from './fuse-softmax-cross-entropy.ts';
import { fuseUpdates } from './fuse-updates.ts';
import { maskBeforePool } from './mask-before-pool.ts';
import { fuseReluGrad } from './fuse-relu-grad.ts';
import { resolvePhase } from './resolve-phase.ts';
import { countReaders, type Readers, type Roots } from './readers.ts';

export type { Readers, Roots } from './readers.ts';
export { stabilize } from './stabilize.ts';

/** What a pass sees besides the IR: the program's roots and who reads what in the IR it is given. */
export interface PassContext extends Roots {
  readonly readers: Readers;
  /** Whether the program trains (dropout drops, batchNorm takes the batch's statistics). */
  readonly training: boolean;
}

const passes = {
  'resolve-phase': resolvePhase,
  'fuse-updates': fuseUpdates,
  'fuse-softmax-cross-entropy': fuseSoftmaxCrossEntropy,
  'fuse-dense': fuseDense,
  'fuse-conv': fuseConv,
  'mask-before-pool': maskBeforePool,
  'fuse-relu-grad': fuseReluGrad,
} satisfies Record<string, (ir: IR, context: PassContext) => IR>;

/** The name of a rewrite pass `compile` applies (`'fuse-dense'`, …), for `skipPasses`. */
export type PassName = keyof typeof passes;
/** Every pass's name, in the order `compile` applies them. */
export const passNames = Object.keys(passes) as PassName[];

export function passContext(ir: IR, roots: Roots, training = false): PassContext {
  return { outputs: roots.outputs, updates: roots.updates, readers: countReaders(ir.nodes, roots), training };
}

/**
 * Runs every pass but those in `skip`. Readers are counted once, and again only after a pass
 * that changed the IR (a fusion changes who reads what), so each pass sees counts of its own IR.
 */
export function optimize(ir: IR, roots: Roots, skip: readonly PassName[] = [], training = false): IR {
  let context = passContext(ir, roots, training);
  for (const name of passNames.filter((n) => !skip.includes(n))) {
    const next = passes[name](ir, context);
    if (next !== ir) context = passContext(next, roots, training);
    ir = next;
  }
  return ir;
}
