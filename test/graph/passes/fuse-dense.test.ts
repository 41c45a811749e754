import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Program, type Tensor } from '../../../src/index.ts';
import { isOp, ops } from '../../../src/ops/index.ts';
import { ancestors } from '../../../src/core/ir.ts';
import { fuseDense } from '../../../src/graph/passes/fuse-dense.ts';
import { passContext } from '../../../src/graph/passes/index.ts';
import { binaryCrossEntropy, softmaxCrossEntropy } from '../../../src/nn/losses.ts';

/** The ops the program runs, by node id. */
function scheduled(step: Program, roots: readonly Tensor[]): Map<number, string> {
  const ids = ancestors(step.ir.nodes, roots.map((t) => t.id));
  return new Map(ids.map((id) => [id, step.ir.nodes[id].op]));
}

function net() {
  const g = new Graph({ seed: 5 });
  const x = g.input('x', [null, 4]);
  const labels = g.input('labels', [null], 'int');
  const h1 = g.dense(x, 6, { activation: 'relu' });
  const h2 = g.dense(h1, 5, { activation: 'sigmoid' });
  const logits = g.dense(h2, 3);
  const loss = softmaxCrossEntropy(logits, labels);
  return { g, x, h1, h2, logits, loss, grads: grad(loss, g.parameters) };
}

describe('fuse-dense pass', () => {
  it('turns relu, sigmoid and linear dense layers into matMulBiasActivation, forward and in the training step', () => {
    const { h1, h2, logits, loss, grads } = net();
    const step = compile(h1.graph, { outputs: [loss, ...grads] });
    const ran = scheduled(step, [loss, ...grads]);
    expect([h1, h2, logits].map((t) => [ran.get(t.id), step.ir.nodes[t.id].attrs.activation])).toEqual([
      ['matMulBiasActivation', 'relu'],
      ['matMulBiasActivation', 'sigmoid'],
      ['matMulBiasActivation', 'linear'],
    ]);
    // the unfused products and sums are not scheduled; the products left are the backward ones
    const g = h1.graph;
    const preActivations = [h1, h2].map((t) => t.node.inputs[0]);
    const products = [...preActivations, logits.id].map((id) => g.tensor(id).node.inputs[0]);
    for (const id of [...preActivations, ...products]) expect(ran.has(id)).toBe(false);
    expect([...ran.values()]).not.toContain('relu');
    expect([...ran.values()]).not.toContain('sigmoid');
    expect([...ran].filter(([, op]) => op === ops.matMul.name).every(([id]) => Object.values(step.ir.nodes[id].attrs).some(Boolean))).toBe(true);
  });

  it('keeps the activation apart when the pre-activation is read elsewhere, fusing the product and bias alone', () => {
    const { g, h1 } = net();
    const z = g.tensor(h1.node.inputs[0]); // add(matMul(x, W), b)
    const step = compile(g, { outputs: [h1, z] });
    const ran = scheduled(step, [h1, z]);
    expect(ran.get(h1.id)).toBe('relu');
    expect(ran.get(z.id)).toBe('matMulBiasActivation');
    expect(step.ir.nodes[z.id].attrs.activation).toBe('linear');
  });

  it('leaves the layer alone when the product is read elsewhere, or is transposed', () => {
    const { g, h1 } = net();
    const product = g.tensor(g.tensor(h1.node.inputs[0]).node.inputs[0]);
    const step = compile(g, { outputs: [h1, product] });
    expect([...scheduled(step, [h1, product]).values()]).toEqual(expect.arrayContaining(['matMul', 'add', 'relu']));
    expect(step.ir.nodes.some((n) => isOp(n, ops.matMulBiasActivation))).toBe(false);

    const g2 = new Graph();
    const x = g2.input('x', [3, 4]);
    const w = g2.input('w', [5, 4]);
    const out = x.matMul(w, false, true).add(g2.input('b', [5])).relu();
    expect(compile(g2, { outputs: [out] }).ir.nodes[out.id].op).toBe('relu');
  });

  it('fuses the linear form under a sigmoid output whose logits a loss reads', () => {
    const g = new Graph({ seed: 2 });
    const x = g.input('x', [null, 4]);
    const out = g.dense(x, 3, { activation: 'sigmoid' });
    const loss = binaryCrossEntropy(out, g.input('y', [null], 'int'));
    const step = compile(g, { outputs: [loss, out] });
    expect(step.ir.nodes[out.id].op).toBe('sigmoid');
    expect(step.ir.nodes[out.node.inputs[0]].attrs).toEqual({ activation: 'linear' });
  });

  it('computes what the unfused layers compute (float64: exactly)', () => {
    const { g, h1, h2, logits } = net();
    const feeds = { x: Float64Array.from({ length: 5 * 4 }, (_, i) => Math.sin(i + 1)) };
    const outputs = [h1, h2, logits];
    const fused = compile(g, { outputs, dtype: 'float64' }).run(feeds);
    const plain = compile(g, { outputs, dtype: 'float64', skipPasses: ['fuse-dense'] }).run(feeds);
    expect(fused.map((a) => Array.from(a))).toEqual(plain.map((a) => Array.from(a)));
    expect(fused[0].some((v) => v === 0) && fused[0].some((v) => v > 0)).toBe(true); // relu both clips and passes
  });

  it('is a pure IR → IR function that keeps untouched nodes shared', () => {
    const { g, logits } = net();
    const ir = g.ir();
    const after = fuseDense(ir, passContext(ir, { outputs: [logits.id], updates: [] }));
    expect(ir.nodes.some((n) => isOp(n, ops.matMulBiasActivation))).toBe(false);
    const changed = after.nodes.filter((n, i) => n !== ir.nodes[i]);
    expect(changed.map((n) => [n.id, n.attrs.activation])).toEqual([
      [ir.nodes.find((n) => isOp(n, ops.relu))!.id, 'relu'],
      [ir.nodes.find((n) => isOp(n, ops.sigmoid))!.id, 'sigmoid'],
      [logits.id, 'linear'],
    ]);
    expect(after.nodes.length).toBe(ir.nodes.length);
  });
});
