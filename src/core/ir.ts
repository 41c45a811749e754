/**
 * The IR: a flat list of nodes in topological order (every input id is smaller than the node's
 * own id). Nodes are plain frozen objects; a snapshot of a graph (`Graph.ir()`) is what the
 * compiler and the passes consume. Tensor data (constants, how initial parameter values are made) is kept
 * beside the nodes, keyed by node id, so that nodes stay small and cheap to hash.
 */
import type { ParameterInit } from '../graph/initializers.ts';
import type { Shape } from './shape.ts';

/** 'float' tensors carry values of the program's precision; 'int' tensors hold integer labels. */
export type DType = 'float' | 'int';

/** An op's attributes: its options as plain, frozen data (`{ axes: [1], keepDims: false }`). */
export type Attrs = Readonly<Record<string, unknown>>;

/**
 * One node of the IR: an op applied to earlier nodes, with its inferred shape and dtype. Frozen;
 * identical nodes are shared (hash-consed).
 */
export interface Node {
  /** Its index in {@link IR.nodes}; inputs always have smaller ids. */
  readonly id: number;
  /** The op's name (`'matMul'`; see {@link getOp}). */
  readonly op: string;
  /** The ids of its inputs, in order. */
  readonly inputs: readonly number[];
  /** The op's attributes. */
  readonly attrs: Attrs;
  /** Its shape (`null` for the batch dimension). */
  readonly shape: Shape;
  /** Its dtype, `'float'` or `'int'`. */
  readonly dtype: DType;
  /** Names are unique within a graph; inputs and parameters always have one. */
  readonly name?: string;
  /** The user's file:line:column that created the node. */
  readonly site?: string;
  /** Made by autodiff: the id of the forward node whose gradient rule built this node. */
  readonly gradientOf?: number;
}

/**
 * A graph as the compiler sees it: a flat list of frozen nodes in topological order, and the values of
 * its constants and parameters ({@link Graph.ir}).
 */
export interface IR {
  /** The nodes, by id (topological order). */
  readonly nodes: readonly Node[];
  /** Values of constants, by node id. */
  readonly data: ReadonlyMap<number, Float64Array>;
  /** How each parameter's initial values are made (given, or drawn when a device places it), by node id. */
  readonly init: ReadonlyMap<number, ParameterInit>;
}

/** Ids of the nodes needed to compute `roots`, ascending (so in topological order). */
export function ancestors(nodes: readonly Node[], roots: readonly number[]): number[] {
  const seen = new Uint8Array(nodes.length);
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen[id]) continue;
    seen[id] = 1;
    for (const i of nodes[id].inputs) if (!seen[i]) stack.push(i);
  }
  const out: number[] = [];
  for (let id = 0; id < nodes.length; id++) if (seen[id]) out.push(id);
  return out;
}

/** A short description for messages: `%12 matMul 'logits'`. */
export function describeNode(node: Node): string {
  return `%${node.id} ${node.op}${node.name ? ` '${node.name}'` : ''}`;
}
