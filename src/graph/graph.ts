/**
 * The graph builder. A Graph is append-only while the user builds it: every call runs the op's
 * shape rule at once (so a shape error is thrown at the user's line) and appends one frozen node.
 * Identical pure nodes are shared (hash-consing), which gives common-subexpression elimination
 * for free, also across the gradient graph that autodiff appends.
 */
import { freeze } from 'immer';
import { formatValue, GraphError, RuleError, ShapeError } from '../core/errors.ts';
import { describeNode, type Attrs, type DType, type IR, type Node } from '../core/ir.ts';
import { formatBytes, MAX_ELEMENTS } from '../core/limits.ts';
import { Rng } from '../core/rng.ts';
import { formatShape, isConcrete, type Shape } from '../core/shape.ts';
import { callSite } from '../core/site.ts';
import { floatOnly, getOp, isOp, ops, type OpDef } from '../ops/index.ts';
import { resolveInitializer, skipDraw, type Initializer, type ParameterInit } from './initializers.ts';
import { formatGraph, graphToDot, notesOf } from './print.ts';
import { Tensor, type TensorLike } from './tensor.ts';

/** Options of a new {@link Graph}. */
export interface GraphOptions {
  /** Seed of the random initial parameter values (default 1): same seed, same values. */
  seed?: number;
}

/** A number, or nested arrays of numbers (`[[1, 2], [3, 4]]`): the values of {@link Graph.constant}. */
export type NestedNumbers = number | readonly NestedNumbers[];

/**
 * State a training program updates besides what it is told to: `state` ← `value` after every step
 * of a training program that computes `when` (batchNorm's moving statistics).
 */
export interface TrainingUpdate {
  /** The non-trainable parameter that is set. */
  readonly state: Tensor;
  /** Its new value after each step. */
  readonly value: Tensor;
  /** The update applies in training programs that compute this tensor. */
  readonly when: Tensor;
}

/**
 * A network as a graph: an append-only list of nodes (inputs, parameters, constants and the ops
 * between them), built through its methods and {@link Tensor}'s. Shapes are checked as each node is
 * made, and every node remembers the user's line that made it. Layers (`dense`, `conv2d`, …) are
 * methods too, from `deltagraph`'s layer functions.
 *
 * @example
 * const g = new Graph({ seed: 42 });
 * const x = g.input('x', [null, 4]);
 * const out = g.dense(x, 30).sigmoid();
 * console.log(g.toString([out]));
 */
export class Graph {
  /** The graph's seeded random numbers: initial parameter values are drawn from it. */
  readonly rng: Rng;
  private readonly nodes: Node[] = [];
  private readonly handles: Tensor[] = [];
  private readonly data = new Map<number, Float64Array>();
  private readonly inits = new Map<number, ParameterInit>();
  private readonly names = new Map<string, number>();
  private readonly hashed = new Map<string, number>();
  private readonly prefixCounts = new Map<string, number>();
  private readonly updates: TrainingUpdate[] = [];
  private frozen: IR | null = null;
  /** While autodiff runs a gradient rule: the forward node, recorded on the nodes it makes. */
  private building: number | undefined = undefined;

  constructor(options: GraphOptions = {}) {
    this.rng = new Rng(options.seed ?? 1);
  }

  /** A value fed at run time; `null` dimensions (the batch) are fixed by the feed. */
  input(name: string, shape: Shape, dtype: DType = 'float'): Tensor {
    for (const d of shape) {
      if (d !== null && (!Number.isInteger(d) || d < 0)) {
        throw new GraphError(`input '${name}': shape ${formatShape(shape)} has a bad dimension ${d}`, callSite());
      }
    }
    return this.add(ops.input, [], { shape: [...shape] }, shape, dtype, this.claim(name));
  }

  /**
   * A trainable parameter with a unique name, initialised from an initializer drawn from the
   * graph's seeded Rng, or from given values.
   */
  parameter(
    name: string,
    shape: readonly number[],
    init: Initializer | ArrayLike<number> = 'glorotUniform',
    /** `trainable: false` for state no optimizer updates (batchNorm's moving statistics). */
    options: { trainable?: boolean } = {},
  ): Tensor {
    if (!isConcrete(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new GraphError(`parameter '${name}': shape ${formatShape(shape)} must be fully known`, callSite());
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > MAX_ELEMENTS) {
      // No device can ever hold it: said at the user's line. Whether parameters and optimizer state fit together is judged by compile.
      throw new GraphError(
        `parameter '${name}' ${formatShape(shape)}: ${size.toLocaleString('en-US')} values need ${formatBytes(size * 4)} as float32, more than a device holds (${formatBytes(MAX_ELEMENTS * 4)})`,
        callSite(),
      );
    }
    const initial = this.initialOf(init, shape, size);
    if ('values' in initial && initial.values.length !== size) {
      throw new GraphError(
        `parameter '${name}': ${initial.values.length} initial values for shape ${formatShape(shape)} (${size} elements)`,
        callSite(),
      );
    }
    const attrs = options.trainable === false ? { shape: [...shape], trainable: false } : { shape: [...shape] };
    const t = this.add(ops.parameter, [], attrs, shape, 'float', this.claim(name));
    this.inits.set(t.id, initial);
    return t;
  }

  /**
   * How a parameter's initial values are made. An initializer that says how it draws is not run:
   * the graph notes where its Rng stands and moves it on as the draws would, and the device draws
   * the values into its own memory (`fillInitial`). Given values, and functions of the user's, are kept.
   */
  private initialOf(init: Initializer | ArrayLike<number>, shape: readonly number[], size: number): ParameterInit {
    if (typeof init !== 'string' && typeof init !== 'function') return { values: Float64Array.from(init) };
    const fn = resolveInitializer(init);
    if (!fn.draw) return { values: fn(shape, this.rng) };
    const draw = fn.draw(shape);
    const from = this.rng.position;
    skipDraw(this.rng, draw, size);
    return { draw, size, from };
  }

  /**
   * Registers non-trainable state that training programs keep up to date: after each step of a
   * program compiled for training that computes `when`, `state` (a parameter made with
   * `trainable: false`) becomes `value`, with the program's own updates (every new value computed
   * before any is written). Inference programs never apply it, gradients and optimizers never see
   * `state`, and it is saved with a model like any parameter. How batchNorm keeps its moving
   * mean and variance (Keras's add_update).
   *
   * @example
   * const moving = g.parameter('moving', [4], 'zeros', { trainable: false });
   * const batchMean = x.mean(0);
   * g.addTrainingUpdate(moving, moving.mul(0.99).add(batchMean.mul(0.01)), batchMean);
   */
  addTrainingUpdate(state: Tensor, value: Tensor, when: Tensor): void {
    for (const t of [state, value, when]) this.own(t, 'addTrainingUpdate');
    if (!isOp(state.node, ops.parameter) || state.node.attrs.trainable !== false) {
      throw new GraphError(`addTrainingUpdate: the state must be a parameter made with { trainable: false }, got ${state}`, callSite());
    }
    if (value.dtype !== 'float' || formatShape(value.shape) !== formatShape(state.shape)) {
      throw new GraphError(`addTrainingUpdate: the new value of '${state.name}' ${formatShape(state.shape)} must be a float tensor of that shape, got ${value}`, callSite());
    }
    if (this.updates.some((u) => u.state === state)) throw new GraphError(`addTrainingUpdate: '${state.name}' already has a training update`, callSite());
    this.updates.push({ state, value, when });
  }

  /** The updates registered with `addTrainingUpdate`, in order. */
  get trainingUpdates(): readonly TrainingUpdate[] {
    return this.updates;
  }

  /** A constant tensor from a number, a nested array, or flat values with a shape. */
  constant(value: NestedNumbers | ArrayLike<number>, shape?: readonly number[], dtype: DType = 'float'): Tensor {
    const [values, inferred] = flatten(value);
    if (dtype === 'int') {
      const i = values.findIndex((v) => !Number.isInteger(v));
      if (i >= 0) throw new GraphError(`constant: an int constant holds whole numbers, got ${values[i]} at index ${i}`, callSite());
    }
    const s = shape ?? inferred;
    const size = s.reduce((a, b) => a * b, 1);
    if (size !== values.length) {
      throw new GraphError(`constant: ${values.length} values for shape ${formatShape(s)}`, callSite());
    }
    // Small constants are shared by value (every `.mul(0.5)` reuses one node).
    const key = values.length <= 64 ? `constant${dtype}${JSON.stringify(s)}:${values.join(',')}` : null;
    const known = key === null ? undefined : this.hashed.get(key);
    if (known !== undefined) return this.handles[known];
    const t = this.add(ops.constant, [], { shape: [...s] }, s, dtype);
    this.data.set(t.id, values);
    if (key !== null) this.hashed.set(key, t.id);
    return t;
  }

  /**
   * Applies an op (by name or definition) to tensors: runs its dtype and shape rules, then
   * returns the new node's handle, or the existing identical node's.
   */
  apply<A extends Attrs = Attrs>(op: OpDef<A> | string, inputs: readonly TensorLike[], attrs: A = {} as A, name?: string): Tensor {
    const def = (typeof op === 'string' ? getOp(op) : op) as OpDef<A>;
    if (inputs.length !== def.arity) {
      throw new GraphError(`${def.name} takes ${def.arity} input(s), got ${inputs.length}`, callSite());
    }
    const tensors = inputs.map((x) => (typeof x === 'number' ? this.constant(x) : this.own(x, def.name)));
    const shapes = tensors.map((t) => t.shape);
    let shape: Shape;
    let dtype: DType;
    try {
      dtype = (def.dtype ?? floatOnly(def.name))(
        tensors.map((t) => t.dtype),
        attrs,
      );
      shape = def.shape(shapes, attrs);
    } catch (e) {
      if (e instanceof RuleError) throw new ShapeError(def.name, shapes, e.message, callSite(), name);
      throw e;
    }
    const ids = tensors.map((t) => t.id);
    const key = def.traits?.includes('impure') || name ? null : `${def.name}(${ids.join(',')})${JSON.stringify(attrs)}`;
    const known = key === null ? undefined : this.hashed.get(key);
    if (known !== undefined) return this.handles[known];
    const t = this.add(def, ids, attrs, shape, dtype, name === undefined ? undefined : this.claim(name));
    if (key !== null) this.hashed.set(key, t.id);
    return t;
  }

  /**
   * @internal Runs `build` (a gradient rule) marking the nodes it makes as the gradient of node
   * `forward`, so that an error in them (a NaN under checkNumerics) can name the op they came from.
   */
  gradientOf<T>(forward: number, build: () => T): T {
    const outer = this.building;
    this.building = forward;
    try {
      return build();
    } finally {
      this.building = outer;
    }
  }

  /** `${prefix}_1`, `${prefix}_2`, … not yet used as a name prefix in this graph. */
  uniqueName(prefix: string): string {
    let n = this.prefixCounts.get(prefix) ?? 0;
    let name: string;
    do name = `${prefix}_${++n}`;
    while ([...this.names.keys()].some((k) => k === name || k.startsWith(`${name}/`)));
    this.prefixCounts.set(prefix, n);
    return name;
  }

  /** The handle of node `id`. */
  tensor(id: number): Tensor {
    const t = this.handles[id];
    if (!t) throw new GraphError(`graph has no node %${id}`);
    return t;
  }

  /** The node named `name` (an input, a parameter, or a named op). */
  get(name: string): Tensor {
    const id = this.names.get(name);
    if (id === undefined) throw new GraphError(`graph has no node named '${name}'`);
    return this.handles[id];
  }

  /** Whether a node called `name` exists. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Every parameter, trainable or not (optimizer state is not), in creation order. */
  get parameters(): Tensor[] {
    return this.handles.filter((t) => isOp(t.node, ops.parameter));
  }

  /** The parameters gradients are taken for: all but those made with `trainable: false`. */
  get trainableParameters(): Tensor[] {
    return this.parameters.filter((t) => t.node.attrs.trainable !== false);
  }

  /** Every input, in creation order. */
  get inputs(): Tensor[] {
    return this.handles.filter((t) => isOp(t.node, ops.input));
  }

  /** The number of nodes. */
  get size(): number {
    return this.nodes.length;
  }

  /** An immutable snapshot of the graph as it is now, for the compiler and the passes. */
  ir(): IR {
    if (!this.frozen) this.frozen = freeze({ nodes: [...this.nodes], data: new Map(this.data), init: new Map(this.inits) });
    return this.frozen;
  }

  /**
   * The graph as a readable SSA listing, one node per line, gradients labelled (`∂C/∂w1`) and
   * the backward pass marked; `outputs` limits it to what they depend on (dead nodes omitted).
   */
  toString(outputs?: readonly Tensor[]): string {
    return formatGraph(this.ir(), outputs?.map((t) => t.id), notesOf(this));
  }

  /**
   * The graph in Graphviz DOT (`dot -Tsvg graph.dot > graph.svg`): inputs as ellipses,
   * parameters as boxes, constants with their values, ops as rounded boxes with id, op, shape
   * and flags; the forward and the backward pass as two clusters. `outputs` limits the picture
   * to what they depend on.
   */
  toDot(outputs?: readonly Tensor[]): string {
    return graphToDot(this.ir(), outputs?.map((t) => t.id), notesOf(this));
  }

  private add(op: OpDef<never>, inputs: number[], attrs: Attrs, shape: Shape, dtype: DType, name?: string): Tensor {
    const node: Node = freeze(
      {
        id: this.nodes.length,
        op: op.name,
        inputs,
        attrs,
        shape: [...shape],
        dtype,
        ...(name === undefined ? {} : { name }),
        ...(callSiteOrNothing()),
        ...(this.building === undefined ? {} : { gradientOf: this.building }),
      },
      true,
    );
    this.nodes.push(node);
    const t = new Tensor(this, node);
    this.handles.push(t);
    if (name !== undefined) this.names.set(name, node.id);
    this.frozen = null;
    return t;
  }

  private claim(name: string): string {
    if (typeof name !== 'string' || name.length === 0) throw new GraphError('a name must be a non-empty string', callSite());
    if (this.names.has(name)) {
      throw new GraphError(`the name '${name}' is already used by ${describeNode(this.nodes[this.names.get(name)!])}`, callSite());
    }
    return name;
  }

  private own(t: Tensor, op: string): Tensor {
    if (!(t instanceof Tensor)) throw new GraphError(`${op}: expected a Tensor or a number, got ${formatValue(t)}`, callSite());
    if (t.graph !== this) throw new GraphError(`${op}: ${t} belongs to another graph`, callSite());
    return t;
  }
}

function callSiteOrNothing(): { site?: string } {
  const site = callSite();
  return site === undefined ? {} : { site };
}

function flatten(value: NestedNumbers | ArrayLike<number>): [Float64Array, number[]] {
  if (typeof value === 'number') return [Float64Array.of(value), []];
  if (ArrayBuffer.isView(value)) return [Float64Array.from(value as ArrayLike<number>), [(value as ArrayLike<number>).length]];
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const flat = (value as unknown[]).flat(Infinity) as unknown[];
  if (flat.some((v) => typeof v !== 'number')) throw new GraphError('constant: values must be numbers', callSite());
  if (flat.length !== shape.reduce((a, b) => a * b, 1)) throw new GraphError('constant: nested arrays are ragged', callSite());
  return [Float64Array.from(flat as number[]), shape];
}
