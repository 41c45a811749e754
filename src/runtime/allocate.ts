/**
 * Where every buffer of a plan lives, as a pure function of the schedule and the sizes.
 * Intermediate buffers are reused once their last reader has run (liveness), so the working
 * memory is the peak of what is alive at once, not the sum. An update computed by an op that may
 * overwrite its parameter, after every other reader of the parameter, is written straight over it.
 */
import type { Node } from '../core/ir.ts';
import { isOp, ops } from '../ops/index.ts';
import { FreeList } from './free-list.ts';

export interface AllocationInput {
  readonly nodes: readonly Node[];
  readonly schedule: readonly number[];
  readonly outputs: readonly number[];
  readonly updates: readonly (readonly [number, number])[];
  readonly sizeOf: (id: number) => number;
  /** Elements of scratch the node's kernel asks for (0 for none). */
  readonly scratchOf: (id: number) => number;
  /** Whether the node's output is its input 0's buffer (reshape, stopGradient). */
  readonly isAlias: (id: number) => boolean;
  /** Whether the node may write its output over `param` (its input of the output's shape). */
  readonly mayOverwrite: (id: number, param: number) => boolean;
}

/** Where a node's values live. */
export type Place =
  | { readonly kind: 'parameter'; readonly parameter: number }
  | { readonly kind: 'alias'; readonly of: number }
  | { readonly kind: 'fixed'; readonly offset: number }
  | { readonly kind: 'workspace'; readonly offset: number };

export interface Allocation {
  readonly places: ReadonlyMap<number, Place>;
  /** Scratch of the kernels that ask for it, in the workspace. */
  readonly scratch: ReadonlyMap<number, number>;
  /** Copies of outputs that this program's updates overwrite, in the fixed region. */
  readonly outputCopies: ReadonlyMap<number, number>;
  /** Elements of the fixed region (inputs, constants, copies of outputs), then of the workspace. */
  readonly fixed: number;
  readonly workspace: number;
  /** What the workspace would take without reuse. */
  readonly unshared: number;
  readonly updatesInPlace: number;
}

const roundUp = (n: number) => Math.ceil(n / 16) * 16;

export function allocate(input: AllocationInput): Allocation {
  const { nodes, schedule, outputs, updates, sizeOf, scratchOf, isAlias } = input;
  const position = new Map<number, number>();
  schedule.forEach((id, p) => position.set(id, p));
  const forever = schedule.length;

  // Alias ops live in their source's buffer: track that owner's lifetime.
  const owner = new Map<number, number>();
  const lastUse = new Map<number, number>();
  for (const id of schedule) {
    owner.set(id, isAlias(id) ? owner.get(nodes[id].inputs[0])! : id);
    for (const i of nodes[id].inputs) {
      const o = owner.get(i)!;
      lastUse.set(o, Math.max(lastUse.get(o) ?? -1, position.get(id)!));
    }
  }
  for (const id of [...outputs, ...updates.map(([, v]) => v)]) lastUse.set(owner.get(id)!, forever);

  const inPlace = new Map<number, number>();
  const outputSet = new Set(outputs);
  const values = new Set(updates.map(([, v]) => v));
  for (const [param, value] of updates) {
    if (!input.mayOverwrite(value, param) || owner.get(value) !== value || outputSet.has(param) || values.has(param) || inPlace.has(value)) continue;
    // lastUse of the parameter is its last reader (itself or through an alias).
    if ((lastUse.get(param) ?? -1) <= position.get(value)!) inPlace.set(value, param);
  }

  // Simulate the run: allocate each result when made, free it after its last reader.
  const pool = new FreeList();
  const freeAt = new Map<number, number[]>();
  const later = (at: number, id: number) => (freeAt.get(at) ?? freeAt.set(at, []).get(at)!).push(id);
  const workspace = new Map<number, number>();
  const fixedAt = new Map<number, number>();
  const scratch = new Map<number, number>();
  let fixed = 0;
  let unshared = 0;
  for (const id of schedule) {
    const node = nodes[id];
    const size = roundUp(sizeOf(id));
    const scratchSize = roundUp(scratchOf(id));
    if (scratchSize > 0) {
      // Allocated after the output and freed with the inputs, so it overlaps neither.
      scratch.set(id, pool.alloc(scratchSize));
      unshared += scratchSize;
      later(position.get(id)!, -1 - id);
    }
    if (owner.get(id) === id && !isOp(node, ops.parameter) && !inPlace.has(id)) {
      if (node.inputs.length === 0) {
        fixedAt.set(id, fixed);
        fixed += size;
      } else {
        workspace.set(id, pool.alloc(size));
        unshared += size;
        const end = lastUse.get(id) ?? position.get(id)!;
        if (end < forever) later(end, id);
      }
    }
    for (const done of freeAt.get(position.get(id)!) ?? []) {
      if (done < 0) pool.free(scratch.get(-1 - done)!, roundUp(scratchOf(-1 - done)));
      else pool.free(workspace.get(done)!, roundUp(sizeOf(done)));
    }
  }
  // An output that is a parameter this program updates is copied out before the update.
  const updated = new Set(updates.map(([p]) => p));
  const outputCopies = new Map<number, number>();
  for (const id of outputSet) {
    if (!updated.has(id)) continue;
    outputCopies.set(id, fixed);
    fixed += roundUp(sizeOf(id));
  }

  const places = new Map<number, Place>();
  for (const id of schedule) {
    const overwrites = inPlace.get(id);
    if (isOp(nodes[id], ops.parameter) || overwrites !== undefined) places.set(id, { kind: 'parameter', parameter: overwrites ?? id });
    else if (owner.get(id) !== id) places.set(id, { kind: 'alias', of: owner.get(id)! });
    else if (fixedAt.has(id)) places.set(id, { kind: 'fixed', offset: fixedAt.get(id)! });
    else places.set(id, { kind: 'workspace', offset: workspace.get(id)! });
  }
  return { places, scratch, outputCopies, fixed, workspace: pool.peak, unshared, updatesInPlace: inPlace.size };
}
