/**
 * What a fusing pass must know before it swallows a node into a fused one: whether anything else
 * in the program reads it. Counted over the nodes the program needs, so readers that are never
 * scheduled do not keep a node alive.
 */
import { ancestors, type Node } from '../../core/ir.ts';

/** What a program computes: its outputs and its updates [parameter, new value], by node id. */
export interface Roots {
  readonly outputs: readonly number[];
  readonly updates: readonly (readonly [number, number])[];
}

export interface Readers {
  /** Ids of the nodes the outputs and the updates need, ascending. */
  readonly needed: readonly number[];
  /** True when one read in the whole program is all there is: one input slot, output or update value. */
  readonly once: (id: number) => boolean;
}

export function countReaders(nodes: readonly Node[], { outputs, updates }: Roots): Readers {
  const values = updates.map(([, v]) => v);
  const needed = ancestors(nodes, [...outputs, ...values]);
  const count = new Map<number, number>();
  for (const id of [...needed.flatMap((id) => nodes[id].inputs), ...outputs, ...values]) count.set(id, (count.get(id) ?? 0) + 1);
  return { needed, once: (id) => count.get(id) === 1 };
}
