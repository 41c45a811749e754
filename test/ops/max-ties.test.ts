import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, Rng, type Tensor } from '../../src/index.ts';

/** The gradient of Σ w·f(x) at x (float64), w weighting each output element. */
function gradientAt(shape: number[], x: number[], f: (x: Tensor) => Tensor, w?: number[]): number[] {
  const g = new Graph();
  const input = g.input('x', shape);
  const y = f(input);
  const weights = w ? g.constant(w, y.shape as number[]) : g.constant(1);
  const [dx] = grad(y.mul(weights).sum(), [input]);
  return Array.from(compile(g, { outputs: [dx], dtype: 'float64' }).run({ x })[0]);
}

describe('max and min share the gradient equally among ties (dy/k each)', () => {
  it('over every element: [1,3,3,0] gives [0, ½, ½, 0] (TF.js: [0, 1, 1, 0])', () => {
    expect(gradientAt([4], [1, 3, 3, 0], (x) => x.max())).toEqual([0, 0.5, 0.5, 0]);
    expect(gradientAt([4], [1, 3, 3, 3], (x) => x.max())).toEqual([0, 1 / 3, 1 / 3, 1 / 3]);
    expect(gradientAt([3], [2, 2, 2], (x) => x.max())).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('along one axis, with and without keepDims, each row its own ties and its own dy', () => {
    const x = [2, 5, 5, 5, 1, 1, 0, 1]; // [2,4]: row 0 ties three 5s, row 1 three 1s
    for (const keepDims of [false, true]) {
      const w = [1, 2];
      expect(gradientAt([2, 4], x, (t) => t.max(1, keepDims), w)).toEqual([0, 1 / 3, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 0, 2 / 3]);
    }
    // along axis 0: columns [2,1] [5,1] [5,0] [5,1], no ties; then a column that ties
    expect(gradientAt([2, 4], x, (t) => t.max(0))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(gradientAt([2, 2], [4, 7, 4, 1], (t) => t.max(0), [3, 5])).toEqual([1.5, 5, 1.5, 0]);
  });

  it('over several axes: a tie across rows and columns of [2,2,2]', () => {
    const x = [9, 1, 2, 9, 3, 3, 0, 3]; // slices over axes [0,2] for each j: {9,1,3,3} and {2,9,0,3}
    expect(gradientAt([2, 2, 2], x, (t) => t.max([0, 2]))).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
    expect(gradientAt([2, 2, 2], x.map((v) => (v === 9 ? 3 : v)), (t) => t.max([0, 2]))).toEqual([1 / 3, 0, 0, 1 / 2, 1 / 3, 1 / 3, 0, 1 / 2]);
  });

  it('min (−max(−x)) inherits the rule', () => {
    expect(gradientAt([5], [4, -2, 7, -2, 0], (x) => x.min())).toEqual([0, 0.5, 0, 0.5, 0]);
    expect(gradientAt([2, 3], [1, 1, 2, 0, 5, 0], (x) => x.min(1), [1, 4])).toEqual([0.5, 0.5, 0, 2, 0, 2]);
  });

  it('the shares of a slice add up to its dy (a subgradient: moving every element by c moves the max by c)', () => {
    const rng = new Rng(3);
    // integers in [0, 3): many ties
    const x = Array.from({ length: 60 }, () => Math.floor(3 * rng.uniform(0, 1)));
    const w = Array.from({ length: 6 }, (_, i) => i + 1);
    const d = gradientAt([6, 10], x, (t) => t.max(1), w);
    for (let r = 0; r < 6; r++) expect(d.slice(r * 10, r * 10 + 10).reduce((a, b) => a + b)).toBeCloseTo(w[r], 12);
  });

  it('at a tie of two, equals the central difference in any direction ((u + v)/2 both ways)', () => {
    // max(a + hu, a + hv) − max(a − hu, a − hv) = h·max(u,v) + h·min(u,v): half of it per h is the mean
    const rng = new Rng(5);
    const x = [0.5, 2, -1, 2, 0.25, 0.75]; // a tie of two at 2
    const g = new Graph();
    const input = g.input('x', [6]);
    const y = input.max();
    const [dx] = grad(y, [input]);
    const program = compile(g, { outputs: [y, dx], dtype: 'float64' });
    const analytic = Array.from(program.run({ x })[1]);
    for (let k = 0; k < 5; k++) {
      const u = x.map(() => rng.normal());
      const h = 1e-6;
      const at = (s: number) => program.run({ x: x.map((v, i) => v + s * h * u[i]) })[0][0];
      const numeric = (at(1) - at(-1)) / (2 * h);
      expect(analytic.reduce((sum, a, i) => sum + a * u[i], 0)).toBeCloseTo(numeric, 8);
    }
  });
});
