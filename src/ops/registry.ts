/**
 * The op registry. An op is ONE definition holding its shape rule, its kernel and its gradient
 * (vjp) rule side by side. Built-in ops and users' custom ops are defined the same way, with
 * `defineOp`, and applied to tensors with `graph.apply(op, inputs, attrs)` or the function that
 * `defineOp` returns.
 */
import type { Attrs, DType, Node } from '../graph/ir.ts';
import type { Shape } from '../graph/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { GraphError, RuleError } from '../graph/errors.ts';
import type { WasmKernels } from './kernels/wasm/runtime.ts';

export type FloatArray = Float32Array | Float64Array;

/** What a kernel factory is given once, when a program's plan is made. */
export interface KernelContext<A extends Attrs = Attrs> {
  readonly inputs: readonly FloatArray[];
  readonly output: FloatArray;
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  readonly attrs: A;
  readonly node: Node;
  /** False in programs compiled for inference: dropout and the like behave accordingly. */
  readonly training: boolean;
  /**
   * WebAssembly kernels over the memory the views are on (float32 programs where WebAssembly
   * SIMD is available), else null. Pointers are the views' byteOffsets.
   */
  readonly wasm: WasmKernels | null;
  /** Working memory the op asked for with `scratch` (free for the duration of the call), else empty. */
  readonly scratch: FloatArray;
}

/** What `scratch` is asked with: the shapes and whether the WebAssembly kernels run. */
export interface ScratchContext<A extends Attrs = Attrs> {
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  readonly attrs: A;
  readonly wasm: boolean;
}

/**
 * A kernel factory runs once per plan and returns the closure that runs on every step; do the
 * index arithmetic in the factory so the closure is a plain loop that allocates nothing.
 */
export type KernelFactory<A extends Attrs = Attrs> = (ctx: KernelContext<A>) => () => void;

export interface VjpContext<A extends Attrs = Attrs> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  /** The gradient flowing into the output; it has the output's shape. */
  readonly dy: Tensor;
  readonly attrs: A;
}

/**
 * One gradient per input, as graph tensors (null: no gradient flows to that input). A gradient may
 * have the *broadcast* shape of the output: autodiff reduces broadcast axes itself, in one place.
 */
export type VjpRule<A extends Attrs = Attrs> = (ctx: VjpContext<A>) => readonly (Tensor | null)[];

export interface OpDef<A extends Attrs = Attrs> {
  readonly name: string;
  /** Number of tensor inputs. */
  readonly arity: number;
  /** The shape rule: throws RuleError('what is wrong') when the inputs do not fit. */
  readonly shape: (inputs: readonly Shape[], attrs: A) => Shape;
  /** The dtype rule; by default every input must be float and the output is float. */
  readonly dtype?: (inputs: readonly DType[], attrs: A) => DType;
  readonly kernel: KernelFactory<A>;
  /** Missing: the op is not differentiable and autodiff says so if a gradient must pass it. */
  readonly vjp?: VjpRule<A>;
  /** The output is a view of input 0's buffer (reshape, stopGradient): no kernel work. */
  readonly alias?: boolean;
  /**
   * Inputs broadcast numpy-style against each other. A dimension unknown at build time (the
   * batch) is then never broadcast: at run time it must equal the output's.
   */
  readonly broadcasting?: boolean;
  /**
   * Output element i reads only element i of every input that has the output's shape, so the
   * output may be written over such an input (a parameter update done in place).
   */
  readonly elementwise?: boolean;
  /** The output may be written over this input (element i reads its element i only). */
  readonly overwrites?: number;
  /** Elements of working memory the kernel needs beyond its output (e.g. packed operands). */
  readonly scratch?: (ctx: ScratchContext<A>) => number;
  /** Impure ops (random ones) are never merged with an identical-looking node. */
  readonly impure?: boolean;
  /** One line for docs and the gradcheck table. */
  readonly doc?: string;
}

const registry = new Map<string, OpDef>();

export function floatOnly(op: string) {
  return (inputs: readonly DType[]): DType => {
    const i = inputs.indexOf('int');
    if (i >= 0) throw new RuleError(`input ${i} is int; ${op} takes float tensors`);
    return 'float';
  };
}

/** Registers an op definition; the name must be new. */
export function registerOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  if (!/^[A-Za-z_][\w.]*$/.test(def.name)) throw new GraphError(`defineOp: '${def.name}' is not a valid op name`);
  if (registry.has(def.name)) throw new GraphError(`defineOp: an op named '${def.name}' is already defined`);
  if (!Number.isInteger(def.arity) || def.arity < 0) throw new GraphError(`defineOp '${def.name}': arity must be a whole number`);
  registry.set(def.name, def as unknown as OpDef);
  return def;
}

export function getOp(name: string): OpDef {
  const def = registry.get(name);
  if (!def) throw new GraphError(`unknown op '${name}'`);
  return def;
}

export function listOps(): OpDef[] {
  return [...registry.values()];
}
