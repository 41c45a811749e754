/**
 * Nodes without inputs. Their values live in storage the compiler provides (the feed buffer of an
 * input, the parameter in the program's memory, the constant's own buffer), so their kernels do
 * nothing.
 */
import type { DType } from '../graph/ir.ts';
import type { Shape } from '../graph/shape.ts';
import { registerOp } from './registry.ts';

type SourceAttrs = { shape: Shape };

for (const [name, doc] of [
  ['input', 'a value fed at run time'],
  ['parameter', 'a trainable value kept in the program memory'],
  ['constant', 'a fixed value'],
] as const) {
  registerOp<SourceAttrs>({
    name,
    arity: 0,
    doc,
    shape: (_, { shape }) => shape,
    // The builder sets a source's dtype itself; this rule is never asked.
    dtype: (): DType => 'float',
    kernel: () => () => {},
  });
}
