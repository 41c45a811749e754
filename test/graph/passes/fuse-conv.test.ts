import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Program, type Tensor } from '../../../src/index.ts';
import { ancestors } from '../../../src/core/ir.ts';
import { softmaxCrossEntropy } from '../../../src/nn/losses.ts';
import '../../../src/nn/index.ts';

/** The ops the program runs, by node id. */
function scheduled(step: Program, roots: readonly Tensor[]): Map<number, string> {
  const ids = ancestors(step.ir.nodes, roots.map((t) => t.id));
  return new Map(ids.map((id) => [id, step.ir.nodes[id].op]));
}

/** Two conv layers (relu, then sigmoid with 'same' padding and stride 2) and a linear one, then a dense head. */
function net() {
  const g = new Graph({ seed: 5 });
  const x = g.input('x', [null, 9, 9, 2]);
  const labels = g.input('labels', [null], 'int');
  const biasInitializer = 'randomNormal' as const; // biases that differ per channel
  const c1 = g.conv2d(x, 6, { kernelSize: 3, activation: 'relu', biasInitializer });
  const c2 = g.conv2d(c1, 5, { kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid', biasInitializer });
  const c3 = g.conv2d(c2, 4, { kernelSize: 2, biasInitializer });
  const logits = g.dense(g.flatten(c3), 3);
  const loss = softmaxCrossEntropy(logits, labels);
  return { g, x, c1, c2, c3, loss, grads: grad(loss, g.parameters) };
}

const feeds = (n: number) => ({
  x: Float64Array.from({ length: n * 9 * 9 * 2 }, (_, i) => Math.sin(i + 1)),
  labels: Float64Array.from({ length: n }, (_, i) => i % 3),
});

describe('fuse-conv pass', () => {
  it('turns relu, sigmoid and linear conv layers into conv2dBiasActivation, in the training step too', () => {
    const { g, c1, c2, c3, loss, grads } = net();
    const step = compile(g, { outputs: [loss, ...grads] });
    const ran = scheduled(step, [loss, ...grads]);
    expect([c1, c2, c3].map((t) => [ran.get(t.id), step.ir.nodes[t.id].attrs.activation])).toEqual([
      ['conv2dBiasActivation', 'relu'],
      ['conv2dBiasActivation', 'sigmoid'],
      ['conv2dBiasActivation', 'linear'],
    ]);
    expect([...ran.values()]).not.toContain('conv2d');
    expect([...ran.values()]).not.toContain('relu');
    expect(step.ir.nodes[c2.id].attrs).toMatchObject({ strides: [2, 2], padding: 'same' });
  });

  it('keeps the activation apart when the pre-activation is read elsewhere, and leaves a product read elsewhere alone', () => {
    const { g, c1 } = net();
    const z = g.tensor(c1.node.inputs[0]); // add(conv2d(x, f), b)
    const step = compile(g, { outputs: [c1, z] });
    expect([step.ir.nodes[c1.id].op, step.ir.nodes[z.id].op, step.ir.nodes[z.id].attrs.activation]).toEqual(['relu', 'conv2dBiasActivation', 'linear']);
    const product = g.tensor(z.node.inputs[0]);
    const both = compile(g, { outputs: [c1, product] });
    expect([...scheduled(both, [c1, product]).values()]).toEqual(expect.arrayContaining(['conv2d', 'add', 'relu']));
  });

  for (const dtype of ['float64', 'float32'] as const) {
    it(`computes what the unfused layers compute, forward and gradients (${dtype}${dtype === 'float32' ? ', wasm kernels' : ', JS kernels'})`, () => {
      const { g, c1, c2, c3, loss, grads } = net();
      const outputs = [c1, c2, c3, loss, ...grads];
      const fused = compile(g, { outputs, dtype });
      const plain = compile(g, { outputs, dtype, skipPasses: ['fuse-conv'] });
      const a = fused.run(feeds(4)).map((v) => Array.from(v));
      const b = plain.run(feeds(4)).map((v) => Array.from(v));
      expect(fused.stats.steps).toBeLessThan(plain.stats.steps);
      if (dtype === 'float64') expect(a).toEqual(b);
      else a.forEach((out, i) => out.forEach((v, j) => expect(v).toBeCloseTo(b[i][j], 5)));
      expect(a[0].some((v) => v === 0) && a[0].some((v) => v > 0)).toBe(true); // relu both clips and passes
    });
  }
});
