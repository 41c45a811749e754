/**
 * Ops whose value depends on the program rather than on their inputs alone: whether it trains.
 * `inTrainPhase(a, b)` is a in a training program and b in an inference one (Keras's
 * in_train_phase): how batchNorm normalises with the batch's statistics while training and with
 * its moving statistics otherwise. `compile` resolves it to the branch the program takes (the
 * resolve-phase pass), so the other branch is never computed; the kernel is there for a program
 * compiled without that pass.
 */
import { RuleError } from '../core/errors.ts';
import { formatShape } from '../core/shape.ts';
import { registerOp } from './registry.ts';

export const inTrainPhase = registerOp({
  name: 'inTrainPhase',
  arity: 2,
  doc: 'a in a training program, b in an inference program (same shapes); the gradient goes to the branch taken',
  shape: ([a, b]) => {
    const fits = a.length === b.length && a.every((d, i) => d === b[i]);
    if (!fits) throw new RuleError(`the two branches must have the same shape, got ${formatShape(a)} and ${formatShape(b)}`);
    return a;
  },
  vjp: ({ dy }) => {
    // Each branch's gradient is itself phase-dependent: dy where the program takes it, else 0.
    const zeros = dy.mul(0).stopGradient();
    return [dy.inTrainPhase(zeros), zeros.inTrainPhase(dy)];
  },
});
