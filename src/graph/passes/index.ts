/**
 * Graph → graph passes run by `compile` before planning, in order. Each is a pure function of
 * the IR (an immer `produce`, so untouched nodes stay shared) and keeps node ids, so outputs and
 * updates still name the same nodes.
 *
 * Passes that need no separate step here: dead code is never scheduled (compile plans only what
 * the outputs and updates need), common subexpressions are shared when built (hash-consing),
 * sigmoid′ reuses the forward output (its gradient rule), softmax + cross-entropy is one op
 * whose gradient is softmax(z) − y.
 */
import type { IR } from '../ir.ts';
import { fuseUpdates } from './fuse-updates.ts';

export interface PassContext {
  outputs: readonly number[];
  updates: readonly (readonly [number, number])[];
}

const passes: ((ir: IR, context: PassContext) => IR)[] = [fuseUpdates];

export function optimize(ir: IR, context: PassContext): IR {
  return passes.reduce((current, pass) => pass(current, context), ir);
}
