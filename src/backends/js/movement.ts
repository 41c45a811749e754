/** transpose in plain JS (reshape and stopGradient are aliases: no kernel). */
import { transpose } from '../../ops/movement.ts';
import { registerKernel } from '../registry.ts';
import { transposeIndexMap } from './indexing.ts';

registerKernel(transpose, 'js', ({ inputs: [x], output, inputShapes: [shape], attrs: { perm } }) => {
  const map = transposeIndexMap(shape, perm);
  return () => {
    for (let i = 0; i < output.length; i++) output[i] = x[map[i]];
  };
});
