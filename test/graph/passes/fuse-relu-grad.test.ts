import { describe, expect, it } from 'vitest';
import { compile, grad, Graph } from '../../../src/index.ts';
import { ancestors } from '../../../src/core/ir.ts';
import { softmaxCrossEntropy } from '../../../src/nn/losses.ts';
import '../../../src/nn/index.ts';

/** A dense ReLU net (W2's shape, smaller): each hidden layer's gradient is mul(dy, step(h)). */
function net() {
  const g = new Graph({ seed: 4 });
  const x = g.input('x', [null, 20]);
  const labels = g.input('labels', [null], 'int');
  const h = g.dense(g.dense(x, 16, { activation: 'relu' }), 12, { activation: 'relu' });
  const loss = softmaxCrossEntropy(g.dense(h, 5), labels);
  return { g, loss, grads: grad(loss, g.parameters) };
}

const feeds = (n: number) => ({
  x: Float64Array.from({ length: n * 20 }, (_, i) => (i % 4 === 0 ? 0 : Math.sin(i * 0.37) * 2)),
  labels: Float64Array.from({ length: n }, (_, i) => i % 5),
});

/** The ops of the nodes a program runs. */
const opsRun = (program: ReturnType<typeof compile>, outputs: readonly { id: number }[]) =>
  ancestors(program.ir.nodes, outputs.map((t) => t.id)).map((id) => program.ir.nodes[id].op);

describe('fuse-relu-grad pass', () => {
  it("makes each ReLU's gradient one reluGrad node: no step is left", () => {
    const { g, loss, grads } = net();
    const ran = opsRun(compile(g, { outputs: [loss, ...grads] }), [loss, ...grads]);
    expect(ran.filter((op) => op === 'reluGrad')).toHaveLength(2);
    expect(ran).not.toContain('step');
  });

  for (const dtype of ['float64', 'float32'] as const) {
    it(`gives the unfused gradients, bit for bit (${dtype})`, () => {
      const { g, loss, grads } = net();
      const outputs = [loss, ...grads];
      const fused = compile(g, { outputs, dtype }).run(feeds(6));
      const plain = compile(g, { outputs, dtype, skipPasses: ['fuse-relu-grad'] }).run(feeds(6));
      fused.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(plain[i])));
    });
  }

  it('leaves the masks a user writes (they may broadcast along the batch), and a mask read twice', () => {
    const g = new Graph({ seed: 5 });
    const [dy, y] = [g.input('dy', [null, 4]), g.input('y', [null, 4])];
    const written = dy.mul(y.step());
    const w = g.parameter('w', [4, 4]);
    const h = y.matMul(w).relu();
    const [dw] = grad(h.mul(h.step()).sum(), [w]); // step(h) read by the loss and by relu's gradient
    const outputs = [written, dw];
    const ran = opsRun(compile(g, { outputs }), outputs);
    expect(ran).not.toContain('reluGrad');
    expect(ran.filter((op) => op === 'step')).toHaveLength(2);
  });
});
