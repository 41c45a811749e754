import { describe, expect, it } from 'vitest';
import { compile, Graph, ShapeError } from '../../../src/index.ts';
import { isOp, ops } from '../../../src/ops/index.ts';
import { resolvePhase } from '../../../src/graph/passes/resolve-phase.ts';
import { passContext } from '../../../src/graph/passes/index.ts';

/** (x·2).inTrainPhase(x·3), summed: 2Σx in a training program, 3Σx in an inference one. */
function phased() {
  const g = new Graph();
  const x = g.input('x', [null, 3]);
  const y = x.mul(2).inTrainPhase(x.mul(3)).sum();
  return { g, x, y };
}

const feeds = { x: [1, 2, 3, 4, 5, 6] };

describe('inTrainPhase and the resolve-phase pass', () => {
  it('takes the first branch in a training program and the second in an inference one, with or without the pass', () => {
    const { g, y } = phased();
    for (const skipPasses of [[], ['resolve-phase' as const]]) {
      expect(compile(g, { outputs: [y], training: true, skipPasses }).run(feeds)[0][0]).toBe(42);
      expect(compile(g, { outputs: [y], skipPasses }).run(feeds)[0][0]).toBe(63);
    }
  });

  it('makes the node an alias of the branch taken, so the other is never computed', () => {
    const { g, y } = phased();
    const ir = g.ir();
    const phase = ir.nodes.find((n) => isOp(n, ops.inTrainPhase))!;
    for (const training of [true, false]) {
      const after = resolvePhase(ir, passContext(ir, { outputs: [y.id], updates: [] }, training));
      const node = after.nodes[phase.id];
      expect(node.op).toBe('stopGradient');
      expect(node.inputs).toEqual([phase.inputs[training ? 0 : 1]]);
    }
    // A program with the pass runs one kernel fewer (the multiply of the branch not taken) and no copy.
    const resolved = compile(g, { outputs: [y] });
    const unresolved = compile(g, { outputs: [y], skipPasses: ['resolve-phase'] });
    resolved.run(feeds);
    unresolved.run(feeds);
    expect(unresolved.stats.steps - resolved.stats.steps).toBe(2);
  });

  it('refuses branches of different shapes', () => {
    const g = new Graph();
    expect(() => g.input('a', [null, 3]).inTrainPhase(g.input('b', [null, 4]))).toThrow(ShapeError);
    expect(() => g.input('c', [2, 3]).inTrainPhase(g.input('d', [3]))).toThrow(/the two branches must have the same shape, got \[2,3\] and \[3\]/);
  });
});
