/**
 * What a person should read a node as: labels (`∂C/∂layer1/kernel`, `δ2`, `a1`) and which nodes
 * belong to a backward pass. Kept beside the graph, not in the IR: a label never changes what a
 * node computes, so it must not break the sharing of identical nodes.
 */
import type { Graph } from './graph.ts';
import type { Tensor } from './tensor.ts';

interface Notes {
  readonly labels: Map<number, string>;
  readonly backward: Set<number>;
}

const notesByGraph = new WeakMap<Graph, Notes>();

function notesOf(g: Graph): Notes {
  let notes = notesByGraph.get(g);
  if (!notes) notesByGraph.set(g, (notes = { labels: new Map(), backward: new Set() }));
  return notes;
}

/** Gives `t` a label for printing (`δ2`, `a1`); a later label replaces an earlier one. */
export function labelNode(t: Tensor, label: string): Tensor {
  notesOf(t.graph).labels.set(t.id, label);
  return t;
}

/** The printing label of node `id`, if it has one. */
export function labelOf(g: Graph, id: number): string | undefined {
  return notesByGraph.get(g)?.labels.get(id);
}

/** Every label of the graph, by node id. */
export function labelsOf(g: Graph): ReadonlyMap<number, string> {
  return notesOf(g).labels;
}

/** Records nodes `from`…`to − 1` as made by a backward pass (autodiff calls this). */
export function markBackward(g: Graph, from: number, to: number): void {
  const { backward } = notesOf(g);
  for (let id = from; id < to; id++) backward.add(id);
}

/** The ids of the nodes a backward pass made. */
export function backwardNodes(g: Graph): ReadonlySet<number> {
  return notesOf(g).backward;
}
