import { describe, expect, it } from 'vitest';
import { compile, grad, Graph } from '../../../src/index.ts';
import { ancestors } from '../../../src/core/ir.ts';
import { softmaxCrossEntropy } from '../../../src/nn/losses.ts';
import '../../../src/nn/index.ts';

/** conv ReLU → max pool (2x2, and 3x3 stride 2: overlapping windows) → conv ReLU → max pool → dense. */
function net(pool: { poolSize: number; strides?: number }) {
  const g = new Graph({ seed: 3 });
  const x = g.input('x', [null, 12, 12, 1]);
  const labels = g.input('labels', [null], 'int');
  let h = g.maxPool2d(g.conv2d(x, 4, { kernelSize: 3, activation: 'relu', biasInitializer: 'randomNormal' }), pool);
  h = g.maxPool2d(g.conv2d(h, 3, { kernelSize: 2, activation: 'relu', biasInitializer: 'randomNormal' }), { poolSize: 2 });
  const loss = softmaxCrossEntropy(g.dense(g.flatten(h), 3), labels);
  return { g, loss, grads: grad(loss, g.parameters) };
}

/** Images with ties (whole windows of one value, zeros under the ReLU) and signs either way. */
const feeds = (n: number) => ({
  x: Float64Array.from({ length: n * 144 }, (_, i) => (i % 5 === 0 ? 0 : Math.round(3 * Math.sin(i * 0.7)) / 2)),
  labels: Float64Array.from({ length: n }, (_, i) => i % 3),
});

describe('mask-before-pool pass', () => {
  it("takes each ReLU's gradient on the pooled gradient: no step or mul of the convolutions' size is left", () => {
    const { g, loss, grads } = net({ poolSize: 2 });
    const step = compile(g, { outputs: [loss, ...grads], skipPasses: ['fuse-relu-grad'] }); // which would fuse the masks
    const ran = ancestors(step.ir.nodes, [loss, ...grads].map((t) => t.id)).map((id) => step.ir.nodes[id]);
    const steps = ran.filter((n) => n.op === 'step');
    expect(steps.map((n) => n.shape.slice(1))).toEqual([[2, 2, 3], [5, 5, 4]]); // the pools' outputs, not [5,5,3] and [10,10,4]
    for (const pooled of ran.filter((n) => n.op === 'maxPool2dGrad')) expect(step.ir.nodes[pooled.inputs[2]].op).toBe('mul');
    // inputs still come before their readers
    for (const n of step.ir.nodes) for (const i of n.inputs) expect(i).toBeLessThan(n.id);
  });

  for (const pool of [{ poolSize: 2 }, { poolSize: 3, strides: 2 }]) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`computes the gradients the unmasked graph computes (pool ${pool.poolSize}${pool.strides ? ' stride 2' : ''}, ${dtype})`, () => {
        const { g, loss, grads } = net(pool);
        const outputs = [loss, ...grads];
        const masked = compile(g, { outputs, dtype }).run(feeds(4));
        const plain = compile(g, { outputs, dtype, skipPasses: ['mask-before-pool'] }).run(feeds(4));
        // the same values: only a zero's sign may differ where overlapping windows add masked shares
        masked.forEach((values, i) => expect(Array.from(values).map((v) => v + 0)).toEqual(Array.from(plain[i]).map((v) => v + 0)));
      });
    }
  }
});
