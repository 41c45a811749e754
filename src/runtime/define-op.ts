/**
 * `defineOp`: how users add their own op, in one call, the way the built-ins are made: what it
 * means (shape rule, dtype rule, gradient written with graph ops) and a JS kernel that runs it.
 */
import { GraphError } from '../core/errors.ts';
import type { Attrs } from '../core/ir.ts';
import { registerOp, type OpDef } from '../ops/index.ts';
import { Tensor, type TensorLike } from '../graph/tensor.ts';
import { registerKernel, type KernelFactory, type ShapeContext } from '../backends/index.ts';

/**
 * What {@link defineOp} takes: an op's meaning ({@link OpDef}: name, arity, shape rule, vjp) and its
 * JS kernel.
 */
export interface CustomOpDef<A extends Attrs = Attrs> extends OpDef<A> {
  /** The JS kernel, for float32 and float64 (see KernelFactory). */
  readonly kernel: KernelFactory<A>;
  /** Elements of working memory the kernel needs beyond its output; it gets them as `scratch`. */
  readonly scratch?: (ctx: ShapeContext<A>) => number;
}

/** What {@link defineOp} returns: a function that applies the op to tensors, like a built-in. */
export interface OpFunction<A extends Attrs> {
  /** Applies the op: one input, or a list of inputs, and the attributes. */
  (inputs: TensorLike | readonly TensorLike[], attrs?: A, name?: string): Tensor;
  /** The op's definition, as registered. */
  readonly def: OpDef<A>;
}

/**
 * Defines and registers an op with its JS kernel; returns the function that applies it. A
 * faster kernel for another backend can be added with `registerKernel(fn.def, 'wasm', …)`.
 *
 * @example
 * const cube = defineOp({
 *   name: 'cube',
 *   arity: 1,
 *   shape: ([x]) => x,
 *   kernel: ({ inputs: [x], output }) => () => {
 *     for (let i = 0; i < output.length; i++) output[i] = x[i] ** 3;
 *   },
 *   vjp: ({ dy, inputs: [x] }) => [dy.mul(x.square().mul(3))],
 * });
 * const y = cube(g.input('x', [null, 4]));
 */
export function defineOp<A extends Attrs = Attrs>(def: CustomOpDef<A>): OpFunction<A> {
  if (typeof def?.kernel !== 'function') throw new GraphError(`defineOp '${def?.name}': kernel must be a function (context) → () => void`);
  const { kernel, scratch, ...meaning } = def;
  const op = registerOp<A>(meaning);
  registerKernel(op, 'js', { run: kernel, ...(scratch ? { scratch } : {}) });
  const apply = (inputs: TensorLike | readonly TensorLike[], attrs?: A, name?: string): Tensor => {
    const list: readonly TensorLike[] = Array.isArray(inputs) ? inputs : [inputs as TensorLike];
    const anchor = list.find((t): t is Tensor => t instanceof Tensor);
    if (!anchor) throw new GraphError(`${op.name}: at least one input must be a Tensor (to know its graph)`);
    return anchor.graph.apply(op, list, attrs ?? ({} as A), name);
  };
  return Object.assign(apply, { def: op });
}
