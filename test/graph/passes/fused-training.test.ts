import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Precision } from '../../../src/index.ts';
import { isOp, ops } from '../../../src/ops/index.ts';
import { softmaxCrossEntropy } from '../../../src/nn/losses.ts';

/** An SGD step of a relu layer, a sigmoid layer and a linear layer under softmax cross-entropy. */
function sgdStep(dtype: Precision, fused: boolean) {
  const g = new Graph({ seed: 11 });
  const x = g.input('x', [null, 6]);
  const labels = g.input('labels', [null], 'int');
  const h = g.dense(g.dense(x, 8, { activation: 'relu' }), 5, { activation: 'sigmoid' });
  const loss = softmaxCrossEntropy(g.dense(h, 3), labels);
  const params = g.parameters;
  const grads = grad(loss, params);
  const lr = g.input('lr', []);
  const updates = params.map((p, i) => [p, p.sub(grads[i].mul(lr))] as const);
  const skipPasses = fused ? [] : (['fuse-softmax-cross-entropy', 'fuse-dense'] as const);
  return { step: compile(g, { outputs: [loss], updates, dtype, skipPasses }), names: params.map((p) => p.name!) };
}

const feeds = {
  x: Float64Array.from({ length: 7 * 6 }, (_, i) => Math.fround(Math.sin(i * 0.9) * 2)),
  labels: [0, 2, 1, 1, 0, 2, 2],
  lr: [0.5],
};

describe('a training step with fused dense layers and fused softmax cross-entropy gradient', () => {
  it('runs the fused ops', () => {
    const ran = sgdStep('float32', true).step.ir.nodes.map((n) => n.op);
    expect(ran.filter((op) => op === ops.matMulBiasActivation.name)).toHaveLength(3);
    expect(ran.filter((op) => op === ops.softmaxCrossEntropyGrad.name)).toHaveLength(1);
  });

  it.each([
    ['float64', 1e-12],
    ['float32', 1e-5],
  ] as const)('follows the unfused trajectory over 8 SGD steps in %s (to %s relative)', (dtype, tolerance) => {
    const fused = sgdStep(dtype, true);
    const plain = sgdStep(dtype, false);
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(b)));
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const [a] = fused.step.run(feeds);
      const [b] = plain.step.run(feeds);
      close(a[0], b[0]);
      losses.push(b[0]);
    }
    expect(losses[7]).toBeLessThan(losses[0] * 0.9); // it trains: the comparison is not between two frozen nets
    for (const name of fused.names) {
      const a = fused.step.device.read(name);
      const b = plain.step.device.read(name);
      a.forEach((v, j) => close(v, b[j]));
    }
  });
});
