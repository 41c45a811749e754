/** dropoutMask in plain JS: a new mask each training step, from a stream seeded by the node. */
import { Rng } from '../../core/rng.ts';
import { dropoutMask } from '../../ops/random.ts';
import { registerKernel } from '../registry.ts';

registerKernel(dropoutMask, 'js', ({ output, attrs: { rate, seed }, training, state }) => {
  if (!training) return () => output.fill(1);
  // One stream per node and plan, going on when the plan binds again (else masks would repeat).
  const rng = (state.rng ??= new Rng(seed)) as Rng;
  const keep = 1 / (1 - rate);
  return () => {
    for (let i = 0; i < output.length; i++) output[i] = rng.next() < rate ? 0 : keep;
  };
});
