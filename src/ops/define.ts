/**
 * `defineOp`: how users add their own op, with the same definition the built-ins use: a shape
 * rule, a kernel, and a gradient written with graph ops.
 */
import { GraphError } from '../graph/errors.ts';
import { Tensor, type TensorLike } from '../graph/tensor.ts';
import type { Attrs } from '../graph/ir.ts';
import { registerOp, type OpDef } from './registry.ts';

export interface OpFunction<A extends Attrs> {
  /** Applies the op: one input, or a list of inputs, and the attributes. */
  (inputs: TensorLike | readonly TensorLike[], attrs?: A, name?: string): Tensor;
  readonly def: OpDef<A>;
}

/**
 * Defines and registers an op; returns the function that applies it.
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
export function defineOp<A extends Attrs = Attrs>(def: OpDef<A>): OpFunction<A> {
  registerOp(def);
  const apply = (inputs: TensorLike | readonly TensorLike[], attrs?: A, name?: string): Tensor => {
    const list: readonly TensorLike[] = Array.isArray(inputs) ? inputs : [inputs as TensorLike];
    const anchor = list.find((t): t is Tensor => t instanceof Tensor);
    if (!anchor) throw new GraphError(`${def.name}: at least one input must be a Tensor (to know its graph)`);
    return anchor.graph.apply(def.name, list, attrs ?? {}, name);
  };
  return Object.assign(apply, { def });
}
