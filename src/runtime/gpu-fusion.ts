/**
 * The fusion step of a WebGPU plan: chains of elementwise ops become one kernel. A node is
 * folded into its consumer when it is elementwise, has that one consumer, has the consumer's
 * shape, and is neither an output nor an update; what is left of a chain (its root) computes
 * the whole expression from the chain's leaves, which the plan then allocates as the root's
 * inputs, so every buffer a fused kernel reads is alive when it runs. broadcastAxes (the
 * gradient of a reduction) joins as a strided load of its input. A fused kernel launches once
 * instead of once per op and keeps the values in registers instead of writing each to memory:
 * on a GPU the dispatches, not the arithmetic, are most of a small network's step.
 */
import type { Node } from '../core/ir.ts';
import { axesOf } from '../ops/reduce.ts';
import { broadcastAxesStrides, broadcastStrides, isFusable, type Expr } from '../backends/index.ts';

export interface FusedGroup {
  readonly expr: Expr;
  /** The node ids the expression's loads read, by load index. */
  readonly leaves: readonly number[];
}

/** Ops a chain may hold at most: a longer expression is split (its WGSL and registers stay small). */
const MAX_OPS = 32;

const fusable = (node: Node) => isFusable(node.op) || node.op === 'broadcastAxes';

export function fuseElementwise(
  nodes: readonly Node[],
  schedule: readonly number[],
  shapes: ReadonlyMap<number, readonly number[]>,
  kept: ReadonlySet<number>,
): { groups: Map<number, FusedGroup>; inlined: Set<number> } {
  const consumers = new Map<number, number>();
  for (const id of schedule) for (const i of nodes[id].inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, k) => d === b[k]);

  const groups = new Map<number, FusedGroup>();
  const inlined = new Set<number>();
  // Visited from the last node back, so a chain is taken whole by its root.
  for (let s = schedule.length - 1; s >= 0; s--) {
    const root = nodes[schedule[s]];
    if (!fusable(root) || inlined.has(root.id)) continue;
    const outShape = shapes.get(root.id)!;
    const leaves: number[] = [];
    let ops = 0;
    const leaf = (id: number, strides: readonly number[]): Expr => {
      let k = leaves.indexOf(id);
      if (k < 0) k = leaves.push(id) - 1;
      return { kind: 'load', input: k, strides };
    };
    const canInline = (id: number) => {
      const node = nodes[id];
      return fusable(node) && node.inputs.length > 0 && consumers.get(id) === 1 && !kept.has(id) && same(shapes.get(id)!, outShape) && ops < MAX_OPS;
    };
    const build = (node: Node): Expr => {
      ops++;
      if (node.op === 'broadcastAxes') {
        const x = node.inputs[0];
        const attrs = node.attrs as { axes: readonly number[]; keepDims: boolean };
        return leaf(x, broadcastAxesStrides(shapes.get(x)!, outShape, axesOf(attrs, outShape.length), attrs.keepDims));
      }
      const args = node.inputs.map((id) => {
        if (canInline(id)) {
          inlined.add(id);
          return build(nodes[id]);
        }
        return leaf(id, broadcastStrides(shapes.get(id)!, outShape));
      });
      return { kind: 'op', op: node.op, attrs: node.attrs, args };
    };
    groups.set(root.id, { expr: build(root), leaves });
  }
  return { groups, inlined };
}
