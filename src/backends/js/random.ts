/** dropoutMask in plain JS: a new mask each training step, from a stream seeded by the node. */
import { Rng } from '../../core/rng.ts';
import { dropoutMask } from '../../ops/random.ts';
import { registerKernel } from '../registry.ts';

registerKernel(dropoutMask, 'js', ({ output, attrs: { rate, seed }, training }) => {
  if (!training) return () => output.fill(1);
  const rng = new Rng(seed);
  const keep = 1 / (1 - rate);
  return () => {
    for (let i = 0; i < output.length; i++) output[i] = rng.next() < rate ? 0 : keep;
  };
});
