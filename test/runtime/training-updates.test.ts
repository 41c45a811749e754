import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, GraphError } from '../../src/index.ts';

/** A step counter and a running sum of x's mean, kept by training programs that compute y. */
function counted() {
  const g = new Graph();
  const x = g.input('x', [null, 2]);
  const w = g.parameter('w', [2], [1, 2]);
  const y = x.mul(w).sum();
  const steps = g.parameter('steps', [], [0], { trainable: false });
  const total = g.parameter('total', [2], 'zeros', { trainable: false });
  g.addTrainingUpdate(steps, steps.add(1), y);
  g.addTrainingUpdate(total, total.add(x.mean(0)), y);
  return { g, x, w, y, steps, total };
}

const feeds = { x: [1, 2, 3, 4] };

describe('training updates (addTrainingUpdate) in compiled programs', () => {
  it('are applied after each run of a training program that computes their node, with its own updates', () => {
    const { g, w, y } = counted();
    const [dw] = grad(y, [w]);
    const step = compile(g, { outputs: [y], updates: [[w, w.sub(dw.mul(0.1))]], dtype: 'float64' });
    expect(step.training).toBe(true);
    expect(step.run(feeds)[0][0]).toBe(1 + 4 + 3 + 8);
    step.run(feeds);
    expect(step.device.read('steps')[0]).toBe(2);
    expect(Array.from(step.device.read('total'))).toEqual([4, 6]);
    expect(Array.from(step.device.read('w'))).toEqual([expect.closeTo(0.2, 12), expect.closeTo(0.8, 12)]);
  });

  it('are not applied by inference programs, nor by training programs that do not compute their node', () => {
    const { g, x, y } = counted();
    const inference = compile(g, { outputs: [y], dtype: 'float64' });
    const other = compile(g, { outputs: [x.sum()], training: true, device: inference.device });
    // A training program with no updates of its own (training: true) still keeps the state.
    const training = compile(g, { outputs: [y], training: true, device: inference.device });
    inference.run(feeds);
    other.run(feeds);
    expect(inference.device.read('steps')[0]).toBe(0);
    training.run(feeds);
    expect(inference.device.read('steps')[0]).toBe(1);
  });

  it('are refused for trainable parameters, a second time, or with a value of another shape', () => {
    const { g, w, y, steps } = counted();
    expect(() => g.addTrainingUpdate(w, w.add(1), y)).toThrow(GraphError);
    expect(() => g.addTrainingUpdate(w, w.add(1), y)).toThrow(/addTrainingUpdate: the state must be a parameter made with \{ trainable: false \}, got Tensor %\d+ parameter 'w' \[2\] float/);
    expect(() => g.addTrainingUpdate(steps, steps.add(2), y)).toThrow(/'steps' already has a training update/);
    const other = g.parameter('other', [3], 'zeros', { trainable: false });
    expect(() => g.addTrainingUpdate(other, y, y)).toThrow(/the new value of 'other' \[3\] must be a float tensor of that shape/);
    expect(() => compile(g, { outputs: [y], updates: [[steps, steps.mul(2)]] })).toThrow(/parameter 'steps' is updated twice \(by the updates given and by its training update: leave it out of updates\)/);
    expect(() => g.addTrainingUpdate(other, new Graph().parameter('z', [3]), y)).toThrow(/belongs to another graph/);
  });
});
