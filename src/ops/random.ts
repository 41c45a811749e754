/**
 * Random ops. They are impure (never merged with a look-alike node) and draw from a stream seeded
 * by an attribute, so a run is the same under the same graph seed.
 */
import { Rng } from '../nn/init.ts';
import { registerOp } from './registry.ts';
import type { DType } from '../graph/ir.ts';

registerOp<{ rate: number; seed: number }>({
  name: 'dropoutMask',
  arity: 1,
  doc: "x's shape of 0 (probability rate) or 1/(1 − rate) while training; all 1 otherwise (no gradient)",
  impure: true,
  dtype: (): DType => 'float',
  shape: ([x]) => x,
  kernel: ({ output, attrs: { rate, seed }, training }) => {
    if (!training) return () => output.fill(1);
    const rng = new Rng(seed);
    const keep = 1 / (1 - rate);
    return () => {
      for (let i = 0; i < output.length; i++) output[i] = rng.next() < rate ? 0 : keep;
    };
  },
  vjp: () => [null],
});
