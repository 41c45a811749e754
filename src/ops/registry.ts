/**
 * What an op means: its name, arity, shape and dtype rules, gradient (vjp) and traits. Nothing
 * here says how an op runs: kernels are registered per backend in src/backends. Built-in ops and
 * users' ops are registered the same way, and `registerOp` returns the definition, which is the
 * op's identity in the rest of the code (`isOp(node, softmax)`).
 */
import { GraphError, RuleError } from '../core/errors.ts';
import type { Attrs, DType, Node } from '../core/ir.ts';
import type { Shape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';

/**
 * What an op's vjp (gradient) rule is given: the forward inputs and output as graph tensors, the
 * gradient flowing into the output, and the attributes.
 */
export interface VjpContext<A extends Attrs = Attrs> {
  /** The op's inputs, as graph tensors (use them in the gradient: they are the forward values). */
  readonly inputs: readonly Tensor[];
  /** The op's output. */
  readonly output: Tensor;
  /** The gradient flowing into the output; it has the output's shape. */
  readonly dy: Tensor;
  /** The op's attributes. */
  readonly attrs: A;
}

/**
 * One gradient per input, as graph tensors (null: no gradient flows to that input). A gradient may
 * have the *broadcast* shape of the output: autodiff reduces broadcast axes itself, in one place.
 */
export type VjpRule<A extends Attrs = Attrs> = (ctx: VjpContext<A>) => readonly (Tensor | null)[];

/**
 * What the planner and the passes may rely on:
 * - source: no inputs; the value lives in storage the runtime provides (input, parameter, constant)
 * - alias: the output is input 0's buffer, relabelled (reshape, stopGradient): no kernel runs
 * - elementwise: output element i reads only element i of every input of the output's shape, so
 *   the output may be written over such an input (a parameter update done in place)
 * - broadcasting: inputs broadcast numpy-style; a dimension unknown at build time (the batch) is
 *   then never broadcast: at run time it must equal the output's
 * - impure: never merged with an identical-looking node (random ops)
 */
export type Trait = 'source' | 'alias' | 'elementwise' | 'broadcasting' | 'impure';

/**
 * What an op means: its name, arity, shape and dtype rules, gradient, traits and the rule for special
 * values. Built-in ops and {@link defineOp}'s are defined alike; the definition is the op's identity
 * ({@link isOp}).
 */
export interface OpDef<A extends Attrs = Attrs> {
  /** The op's name, unique (`'matMul'`). */
  readonly name: string;
  /** Number of tensor inputs. */
  readonly arity: number;
  /** The shape rule: throws RuleError('what is wrong') when the inputs do not fit. */
  readonly shape: (inputs: readonly Shape[], attrs: A) => Shape;
  /** The dtype rule; by default every input must be float and the output is float. */
  readonly dtype?: (inputs: readonly DType[], attrs: A) => DType;
  /** Missing: the op is not differentiable and autodiff says so if a gradient must pass it. */
  readonly vjp?: VjpRule<A>;
  /** What the planner and the passes may rely on (see {@link Trait}). */
  readonly traits?: readonly Trait[];
  /** The output may be written over this input (element i reads its element i only). */
  readonly overwrites?: number;
  /** One line for docs and the gradcheck table. */
  readonly doc?: string;
}

const registry = new Map<string, OpDef>();

/** The default dtype rule: float inputs only, a float output. */
export function floatOnly(op: string) {
  return (inputs: readonly DType[]): DType => {
    const i = inputs.indexOf('int');
    if (i >= 0) throw new RuleError(`input ${i} is int; ${op} takes float tensors (x.cast('float') converts)`);
    return 'float';
  };
}

/**
 * Int arithmetic, for ops whose result is a whole number whenever their inputs are (add, sub,
 * mul, neg, abs, …, sum, max): int if every input is int, else float (an int input meeting a float
 * one is taken as float, as numpy and TF.js promote int32 with float32). Int values are stored
 * in the program's float precision: exact while |x| ≤ 2²⁴ in float32, 2⁵³ in float64.
 */
export function intIfAllInt(inputs: readonly DType[]): DType {
  return inputs.every((d) => d === 'int') ? 'int' : 'float';
}

/** For ops whose result is not a whole number in general (div, pow): int inputs are taken as float. */
export function floatResult(): DType {
  return 'float';
}

/** Registers an op definition (the name must be new) and returns it. */
export function registerOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  if (typeof def?.name !== 'string' || !/^[A-Za-z_][\w.]*$/.test(def.name)) throw new GraphError(`defineOp: '${def?.name}' is not a valid op name`);
  if (registry.has(def.name)) throw new GraphError(`defineOp: an op named '${def.name}' is already defined`);
  if (!Number.isInteger(def.arity) || def.arity < 0) throw new GraphError(`defineOp '${def.name}': arity must be a whole number`);
  if (typeof def.shape !== 'function') throw new GraphError(`defineOp '${def.name}': shape must be a function (input shapes, attrs) → shape`);
  registry.set(def.name, def as unknown as OpDef);
  return def;
}

/**
 * The definition of the op called `name` (a built-in or a {@link defineOp} op); an unknown name is a
 * `GraphError`.
 *
 * @example
 * getOp('relu').doc; // what relu gives for NaN and ±∞
 */
export function getOp(name: string): OpDef {
  const def = registry.get(name);
  if (!def) throw new GraphError(`unknown op '${name}'`);
  return def;
}

/** Every registered op, built-in and user-defined. */
export function listOps(): OpDef[] {
  return [...registry.values()];
}

/** Whether `node` applies `op`. */
export function isOp(node: Node, op: OpDef<never>): boolean {
  return node.op === op.name;
}

/** Whether the op of `node` (or the op named) has a trait. */
export function hasTrait(op: Node | string, trait: Trait): boolean {
  return getOp(typeof op === 'string' ? op : op.op).traits?.includes(trait) ?? false;
}
