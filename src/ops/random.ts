/**
 * Random ops. They are impure (never merged with a look-alike node) and draw from a stream seeded
 * by an attribute, so a run is the same under the same graph seed.
 */
import type { DType } from '../core/ir.ts';
import { registerOp } from './registry.ts';

/** Attributes of `dropoutMask`: the probability of dropping and the stream's seed. */
export type DropoutMaskAttrs = { rate: number; seed: number };
export const dropoutMask = registerOp<DropoutMaskAttrs>({
  name: 'dropoutMask',
  arity: 1,
  doc: "x's shape of 0 (probability rate) or 1/(1 − rate) while training; all 1 otherwise (no gradient)",
  traits: ['impure'],
  dtype: (): DType => 'float',
  shape: ([x]) => x,
  vjp: () => [null],
});
