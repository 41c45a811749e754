import { describe, expect, it } from 'vitest';
import { compile, defineOp, grad, Graph, GraphError } from '../../src/index.ts';

const run = (g: Graph, outputs: Parameters<typeof compile>[1]['outputs'], feeds = {}) =>
  compile(g, { outputs, dtype: 'float64' })
    .run(feeds)
    .map((a) => Array.from(a));

describe('grad', () => {
  it('gives exact small gradients', () => {
    const g = new Graph();
    const x = g.input('x', []);
    const y = g.input('y', []);
    const f = x.mul(x).mul(y).add(y.exp()); // x²y + eʸ
    const [dx, dy] = grad(f, [x, y]);
    expect(run(g, [dx, dy], { x: [3], y: [0] })).toEqual([[0], [10]]);
    expect(run(g, [dx, dy], { x: [3], y: [2] })).toEqual([[12], [9 + Math.exp(2)]]);
  });

  it('sums fan-in and reduces broadcast axes to the input shape', () => {
    const g = new Graph();
    const x = g.input('x', [3, 4]);
    const b = g.input('b', [4]);
    const c = g.input('c', [3, 1]);
    const f = x.add(b).mul(c).sum().add(b.sum());
    const [db, dc] = grad(f, [b, c]);
    expect(db.shape).toEqual([4]);
    expect(dc.shape).toEqual([3, 1]);
    const xs = Array.from({ length: 12 }, (_, i) => i);
    const [gb, gc] = run(g, [db, dc], { x: xs, b: [1, 1, 1, 1], c: [1, 2, 3] });
    expect(gb).toEqual([7, 7, 7, 7]); // Σ_rows c + 1
    expect(gc).toEqual([0 + 1 + 2 + 3 + 4, 4 + 5 + 6 + 7 + 4, 8 + 9 + 10 + 11 + 4]);
  });

  it('needs a seed for a non-scalar y, and uses it as the vector of a vector-Jacobian product', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const y = x.square();
    expect(() => grad(y, [x])).toThrow(/y %1 square has shape \[3\], not a scalar; .*seed/);
    const [dx] = grad(y, [x], { seed: g.constant([1, 10, 100]) });
    expect(run(g, [dx], { x: [1, 2, 3] })).toEqual([[2, 40, 600]]);
  });

  it('gives zeros for a tensor y does not depend on, and refuses int tensors', () => {
    const g = new Graph();
    const x = g.input('x', [null, 2]);
    const unused = g.input('u', [null, 2]);
    const [du] = grad(x.sum(), [unused]);
    expect(run(g, [du], { u: [5, 6, 7, 8] })).toEqual([[0, 0, 0, 0]]);
    expect(() => grad(x.sum(), [g.input('i', [2], 'int')])).toThrow(GraphError);
  });

  it('stops at stopGradient', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const [dx] = grad(x.stopGradient().mul(x).sum(), [x]);
    expect(run(g, [dx], { x: [3, -4] })).toEqual([[3, -4]]);
  });

  it('differentiates a gradient again: second derivatives of sigmoid, tanh and exp', () => {
    const g = new Graph();
    const x = g.input('x', [4]);
    const xs = [-2, -0.5, 0.3, 1.7];
    const second = (f: typeof x) => grad(grad(f.sum(), [x])[0].sum(), [x])[0];
    const [sig, th, ex] = run(g, [second(x.sigmoid()), second(x.tanh()), second(x.exp())], { x: xs });
    xs.forEach((v, i) => {
      const s = 1 / (1 + Math.exp(-v));
      expect(sig[i]).toBeCloseTo(s * (1 - s) * (1 - 2 * s), 14);
      const t = Math.tanh(v);
      expect(th[i]).toBeCloseTo(-2 * t * (1 - t * t), 14);
      expect(ex[i]).toBeCloseTo(Math.exp(v), 14);
    });
  });

  it('returns graph that prints, with BP4 as a transposed matMul', () => {
    const g = new Graph();
    const x = g.input('x', [null, 4]);
    const w = g.parameter('w', [4, 3]);
    const [dw] = grad(x.matMul(w).sigmoid().sum(), [w]);
    expect(dw.shape).toEqual([4, 3]);
    expect(dw.node.op).toBe('matMul');
    expect(dw.node.attrs).toEqual({ transposeA: true, transposeB: false });
    expect(g.toString()).toContain(`= matMul(%0, %`);
  });

  it('says which op has no gradient rule when a gradient must pass through it', () => {
    const g = new Graph();
    const opaque = defineOp({ name: 'opaqueTestOp', arity: 1, shape: ([s]) => s, kernel: ({ output }) => () => output.fill(1) });
    const x = g.input('x', [2]);
    expect(() => grad(opaque(x).sum(), [x])).toThrow(/op 'opaqueTestOp' \(%1 opaqueTestOp\) has no gradient rule/);
  });
});
