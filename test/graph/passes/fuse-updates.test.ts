import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Precision } from '../../../src/index.ts';
import { isOp, ops } from '../../../src/ops/index.ts';
import { fuseUpdates } from '../../../src/graph/passes/fuse-updates.ts';
import { passContext } from '../../../src/graph/passes/index.ts';

function sgdStep(dtype: Precision, keepGradients: boolean) {
  const g = new Graph({ seed: 3 });
  const x = g.input('x', [null, 6]);
  const y = g.input('y', [null, 3]);
  const out = g.dense(g.dense(x, 5, { activation: 'sigmoid' }), 3, { activation: 'sigmoid' });
  const loss = out.sub(y).square().sum(1).mean();
  const params = g.parameters;
  const grads = grad(loss, params);
  const lr = g.input('lr', []);
  const updates = params.map((p, i) => [p, p.sub(grads[i].mul(lr))] as const);
  const step = compile(g, { outputs: keepGradients ? [loss, ...grads] : [loss], updates, dtype });
  return { g, step, updates };
}

const feeds = {
  x: Float32Array.from({ length: 4 * 6 }, (_, i) => Math.cos(i)),
  y: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]),
  lr: [0.7],
};

describe('fuse-updates pass', () => {
  it('turns W ← W − η·(Xᵀ·Δ) into one subScaledMatMul, done in place', () => {
    const { step } = sgdStep('float32', false);
    const ran = step.ir.nodes.map((n) => n.op);
    expect(ran.filter((op) => op === ops.subScaledMatMul.name)).toHaveLength(2); // the two kernels, not the biases
    step.run(feeds);
    expect(step.stats.updatesInPlace).toBe(4);
  });

  it('leaves updates alone when the gradient is needed elsewhere', () => {
    const { step } = sgdStep('float32', true);
    expect(step.ir.nodes.some((n) => isOp(n, ops.subScaledMatMul))).toBe(false);
  });

  it('gives the same training trajectory as the unfused step (float64: exactly up to rounding)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const fused = sgdStep(dtype, false).step;
      const plain = sgdStep(dtype, true).step;
      for (let i = 0; i < 5; i++) {
        fused.run(feeds);
        plain.run(feeds);
      }
      for (const name of ['dense_1/kernel', 'dense_2/kernel', 'dense_1/bias']) {
        const a = fused.device.read(name);
        const b = plain.device.read(name);
        a.forEach((v, j) => expect(Math.abs(v - b[j])).toBeLessThanOrEqual((dtype === 'float64' ? 1e-14 : 1e-6) * Math.max(1, Math.abs(b[j]))));
      }
    }
  });

  it('is a pure IR → IR function that keeps untouched nodes shared', () => {
    const { g, updates } = sgdStep('float64', false);
    const ir = g.ir();
    const ids = updates.map(([p, v]) => [p.id, v.id] as const);
    const after = fuseUpdates(ir, passContext(ir, { outputs: [], updates: ids }));
    expect(after).not.toBe(ir);
    expect(ir.nodes.some((n) => isOp(n, ops.subScaledMatMul))).toBe(false); // the input is unchanged
    const changed = after.nodes.filter((n, i) => n !== ir.nodes[i]);
    expect(changed.map((n) => n.op)).toEqual(['subScaledMatMul', 'subScaledMatMul']);
    expect(after.nodes.length).toBe(ir.nodes.length);
  });
});
