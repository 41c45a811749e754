import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Program, type Tensor } from '../../../src/index.ts';
import { isOp, ops } from '../../../src/ops/index.ts';
import { ancestors } from '../../../src/core/ir.ts';
import { fuseSoftmaxCrossEntropy } from '../../../src/graph/passes/fuse-softmax-cross-entropy.ts';
import { passContext } from '../../../src/graph/passes/index.ts';

function scheduledOps(step: Program, roots: readonly Tensor[]): string[] {
  return ancestors(step.ir.nodes, roots.map((t) => t.id)).map((id) => step.ir.nodes[id].op);
}

/** The mean softmax cross-entropy of logits z and its gradient, as a training step has them. */
function lossAndGradient(shape: (number | null)[] = [null, 4]) {
  const g = new Graph();
  const z = g.input('z', shape);
  const labels = g.input('labels', shape.slice(0, -1), 'int');
  const loss = z.softmaxCrossEntropy(labels).mean();
  const [dz] = grad(loss, [z]);
  return { g, z, labels, loss, dz };
}

const feeds = {
  z: Float64Array.from({ length: 5 * 4 }, (_, i) => 3 * Math.sin(i * 1.7)),
  labels: [0, 3, 1, 1, 2],
};

describe('fuse-softmax-cross-entropy pass', () => {
  it('turns dy·(softmax(z) − onehot(labels)) into one softmaxCrossEntropyGrad', () => {
    const { g, loss, dz } = lossAndGradient();
    expect(dz.node.inputs.map((i) => g.ir().nodes[i].op)).toEqual(['broadcastAxes', 'sub']); // mul(dy by rows, p − y), as the vjp builds it
    const step = compile(g, { outputs: [loss, dz] });
    expect(step.ir.nodes[dz.id].op).toBe('softmaxCrossEntropyGrad');
    const ran = scheduledOps(step, [loss, dz]);
    for (const op of ['softmax', 'oneHot', 'sub', 'mul']) expect(ran).not.toContain(op);
    expect(ran.filter((op) => op === ops.broadcastAxes.name)).toHaveLength(1); // dy over the batch; not dy over the classes
  });

  it('is not done when the softmax, the one-hot rows or their difference is needed elsewhere', () => {
    for (const extra of ['softmax', 'oneHot', 'difference'] as const) {
      const { g, z, labels, loss, dz } = lossAndGradient();
      const other = { softmax: z.softmax(-1), oneHot: labels.oneHot(4), difference: z.softmax(-1).sub(labels.oneHot(4)) }[extra];
      expect(g.ir().nodes.filter((n) => n.op === other.node.op)).toHaveLength(1); // the same node as the gradient's (hash-consing)
      const step = compile(g, { outputs: [loss, dz, other] });
      expect(step.ir.nodes.some((n) => isOp(n, ops.softmaxCrossEntropyGrad))).toBe(false);
      expect(scheduledOps(step, [dz])).toEqual(expect.arrayContaining(['softmax', 'oneHot', 'sub', 'mul']));
    }
  });

  it('is not done for one-hot rows with other on/off values (the fused kernel subtracts 1 at the label)', () => {
    const g = new Graph();
    const z = g.input('z', [null, 4]);
    const labels = g.input('labels', [null], 'int');
    const dy = g.input('dy', [null]);
    const rows = g.apply(ops.broadcastAxes, [dy, z], { axes: [1], keepDims: false });
    const d = rows.mul(z.softmax(-1).sub(labels.oneHot(4, 0.9, 0.05)));
    const step = compile(g, { outputs: [d] });
    expect(step.ir.nodes.some((n) => isOp(n, ops.softmaxCrossEntropyGrad))).toBe(false);
    const run = { ...feeds, dy: [1, 2, 3, 4, 5] };
    expect(Array.from(step.run(run)[0])).toEqual(Array.from(compile(g, { outputs: [d], skipPasses: ['fuse-softmax-cross-entropy'] }).run(run)[0]));
  });

  it('is not done for probability-row labels', () => {
    const g = new Graph();
    const z = g.input('z', [null, 4]);
    const [dz] = grad(z.softmaxCrossEntropy(g.input('p', [null, 4])).mean(), [z]);
    expect(compile(g, { outputs: [dz] }).ir.nodes.some((n) => isOp(n, ops.softmaxCrossEntropyGrad))).toBe(false);
  });

  it('gives the unfused gradient: float64 exactly, float32 within 1e-6; also for logits of rank 3', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const { g, loss, dz } = lossAndGradient();
      const fused = compile(g, { outputs: [loss, dz], dtype }).run(feeds);
      const plain = compile(g, { outputs: [loss, dz], dtype, skipPasses: ['fuse-softmax-cross-entropy'] }).run(feeds);
      if (dtype === 'float64') expect(Array.from(fused[1])).toEqual(Array.from(plain[1]));
      else plain[1].forEach((v, i) => expect(Math.abs(fused[1][i] - v)).toBeLessThanOrEqual(1e-6));
    }
    const { g, loss, dz } = lossAndGradient([2, 3, 4]);
    const rank3 = { z: { data: Array.from({ length: 24 }, (_, i) => Math.cos(i * 2.3)), shape: [2, 3, 4] }, labels: { data: [0, 3, 1, 1, 2, 3], shape: [2, 3] } };
    const fused = compile(g, { outputs: [dz], dtype: 'float64' });
    expect(fused.ir.nodes[dz.id].op).toBe('softmaxCrossEntropyGrad');
    expect(Array.from(fused.run(rank3)[0])).toEqual(Array.from(compile(g, { outputs: [loss, dz], dtype: 'float64', skipPasses: ['fuse-softmax-cross-entropy'] }).run(rank3)[1]));
  });

  it('is a pure IR → IR function that keeps untouched nodes shared', () => {
    const { g, loss, dz } = lossAndGradient();
    const ir = g.ir();
    const after = fuseSoftmaxCrossEntropy(ir, passContext(ir, { outputs: [loss.id, dz.id], updates: [] }));
    expect(ir.nodes[dz.id].op).toBe('mul');
    expect(after.nodes.filter((n, i) => n !== ir.nodes[i]).map((n) => [n.id, n.op])).toEqual([[dz.id, 'softmaxCrossEntropyGrad']]);
    expect(after.nodes.length).toBe(ir.nodes.length);
  });

  it('refuses an unknown pass name', () => {
    const { g, dz } = lossAndGradient();
    expect(() => compile(g, { outputs: [dz], skipPasses: ['fuse-everything' as 'fuse-dense'] })).toThrow(/unknown pass 'fuse-everything'.*fuse-updates, fuse-softmax-cross-entropy, fuse-dense/);
  });
});
