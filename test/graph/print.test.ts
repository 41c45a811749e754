import { describe, expect, it } from 'vitest';
import { Graph, formatMath, grad, labelNode } from '../../src/index.ts';

/** The classic [4,3,2] sigmoid net with quadratic cost, written with graph ops. */
function classicNet() {
  const g = new Graph({ seed: 3 });
  const x = g.input('x', [null, 4]);
  const y = g.input('y', [null, 2]);
  const w1 = g.parameter('w1', [4, 3]);
  const b1 = g.parameter('b1', [3]);
  const w2 = g.parameter('w2', [3, 2]);
  const b2 = g.parameter('b2', [2]);
  const z1 = x.matMul(w1).add(b1);
  const a1 = z1.sigmoid();
  const z2 = a1.matMul(w2).add(b2);
  const a2 = z2.sigmoid();
  const loss = a2.sub(y).square().sum(1).mean().mul(0.5);
  return { g, x, y, w1, b1, w2, b2, z1, a1, z2, a2, loss };
}

describe('the listing a person reads', () => {
  it('labels each gradient with what it is, marks the backward pass, writes small constants in place', () => {
    const { g, loss, w1, w2 } = classicNet();
    const [dw1, dw2] = grad(loss, [w1, w2]);
    const text = g.toString([loss, dw1, dw2]);
    expect(text.split('\n')[0]).toBe('# forward pass');
    expect(text).toContain('\n# backward pass (autodiff)\n');
    expect(text).toMatch(new RegExp(`^%${dw1.id} \\(∂C/∂w1\\): \\[4,3\\] = matMul\\(%0, %\\d+\\) \\{transposeA=true\\}`, 'm'));
    expect(text).toMatch(new RegExp(`^%${dw2.id} \\(∂C/∂w2\\): \\[3,2\\] = matMul`, 'm'));
    expect(text).toMatch(/= mul\(%\d+, 0\.5\)/); // the ½ of the cost, in place
    expect(text).not.toMatch(/= constant\(/); // no line of its own for a small constant
    expect(text).not.toContain('=false');
  });

  it('a named loss names its gradients ∂loss/∂…; big constants print their first values', () => {
    const g = new Graph();
    const x = g.input('x', [null, 10]);
    const c = g.constant(Array.from({ length: 10 }, (_, i) => i / 4), [10]);
    const loss = g.apply('sum', [x.mul(c)], { axes: null, keepDims: false }, 'loss');
    const [dx] = grad(loss, [x]);
    const text = g.toString([dx]);
    expect(text).toMatch(/constant\(\[0, 0\.25, 0\.5, 0\.75, 1, 1\.25, …\] \(10 values\)\)/);
    expect(text).toMatch(/\(∂loss\/∂x\): \[null,10\]/);
  });

  it('draws the forward and the backward pass as clusters in DOT, with ids, values and flags', () => {
    const { g, loss, w1, a1 } = classicNet();
    const [dw1] = grad(loss, [w1]);
    labelNode(a1, 'a1');
    const dot = g.toDot([loss, dw1]);
    expect(dot).toContain(`n${a1.id} [label="%${a1.id} a1\\nsigmoid [null,3]", shape=box, style="rounded,filled", fillcolor="#dde8f5"];`);
    expect(dot).toMatch(/subgraph cluster_forward \{\n {4}label="forward pass"/);
    expect(dot).toMatch(/subgraph cluster_backward \{\n {4}label="backward pass \(autodiff\)"/);
    const backward = dot.slice(dot.indexOf('cluster_backward'));
    expect(backward).toContain(`n${dw1.id} [label="%${dw1.id} ∂C/∂w1\\nmatMul [4,3]\\ntransposeA", shape=box, style="rounded,filled", fillcolor="#ffe9a8"];`);
    expect(dot).toMatch(/n\d+ \[label="%\d+\\n0\.5", shape=plaintext\];/);
    expect(dot.slice(0, dot.indexOf('cluster_backward'))).not.toContain('∂C');
  });
});

describe('formatMath: the gradient read as maths', () => {
  it("the classic net's output error reads as BP1, the hidden error as BP2, the weight gradient as BP4", () => {
    const { g, loss, z1, a1, z2, a2, w1 } = classicNet();
    const [d1, d2, dw1] = grad(loss, [z1, z2, w1]);
    // Unlabelled, a shared subexpression is written once, under `where`.
    expect(formatMath(d2)).toBe('(%11 − y) ⊙ %11 ⊙ (1 − %11) / m\n  where %11 = σ(σ(x·w1 + b1)·w2 + b2)');
    labelNode(a1, 'a1');
    labelNode(a2, 'a2');
    labelNode(d2, 'δ2');
    labelNode(d1, 'δ1');
    expect(formatMath(d2)).toBe('(a2 − y) ⊙ a2 ⊙ (1 − a2) / m');
    expect(formatMath(d1)).toBe('δ2·w2ᵀ ⊙ a1 ⊙ (1 − a1)');
    expect(formatMath(dw1)).toBe('xᵀ·δ1');
    expect(g.toString([d2])).toContain('(δ2): [null,2] = mul(');
  });

  it("softmax cross-entropy's gradient reads (softmax(z) − onehot(y)) / m", () => {
    const g = new Graph();
    const x = g.input('x', [null, 4]);
    const labels = g.input('labels', [null], 'int');
    const z = x.matMul(g.parameter('w', [4, 3])).add(g.parameter('b', [3]));
    const [dz] = grad(z.softmaxCrossEntropy(labels).mean(), [z]);
    expect(formatMath(dz)).toBe('(softmax(x·w + b) − onehot(labels)) / m');
  });

  it('simplifies x·1, x + 0, −(−x) and folds constants', () => {
    const g = new Graph();
    const x = g.input('x', [null, 3]);
    const y = g.input('y', [null, 3]);
    expect(formatMath(x.mul(1).add(0))).toBe('x');
    expect(formatMath(x.neg().neg().mul(y))).toBe('x ⊙ y');
    expect(formatMath(x.mul(2).mul(g.constant(3)).sub(y.mul(6)))).toBe('6 · (x − y)');
    expect(formatMath(x.neg().add(1).add(1))).toBe('2 − x');
    expect(formatMath(x.div(4).add(y.div(4)))).toBe('0.25 · (x + y)');
    expect(formatMath(x.div(x.count()).add(y.div(x.count())))).toBe('(x + y) / count(x)');
    expect(formatMath(x.sum(0))).toBe('Σ_rows x');
    expect(formatMath(x.matMul(y, false, true).exp())).toBe('exp(x·yᵀ)');
  });
});
