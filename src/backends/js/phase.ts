/** inTrainPhase in plain JS: a copy of the branch the program takes (compile's pass usually makes it an alias). */
import { inTrainPhase } from '../../ops/phase.ts';
import { registerKernel } from '../registry.ts';

registerKernel(inTrainPhase, 'js', ({ inputs: [a, b], output, training }) => {
  const taken = training ? a : b;
  return () => output.set(taken);
});
