import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Tensor } from '../../src/index.ts';

function values(f: (g: Graph) => Tensor): number[] {
  const g = new Graph();
  return Array.from(compile(g, { outputs: [f(g)], dtype: 'float64' }).run()[0]);
}

describe('maximum, minimum, where', () => {
  it('maximum and minimum pick elementwise, with broadcasting; NaN in either is NaN', () => {
    expect(values((g) => g.constant([1, 5, -2]).maximum(g.constant([3, 4, -2])))).toEqual([3, 5, -2]);
    expect(values((g) => g.constant([[1, 5], [-3, 0]]).minimum(0))).toEqual([0, 0, -3, 0]);
    expect(values((g) => g.constant([1, -1]).sqrt().maximum(g.constant([0, 0])))).toEqual([1, NaN]);
    const g = new Graph();
    expect(g.constant([1, 2], [2], 'int').maximum(g.constant([3, 0], [2], 'int')).dtype).toBe('int');
  });

  it('shares the gradient at a tie, dy/2 to each side', () => {
    const g = new Graph();
    const a = g.input('a', [3]);
    const b = g.input('b', [3]);
    const [da, db] = grad(a.maximum(b).sum(), [a, b]);
    const [ga, gb] = compile(g, { outputs: [da, db], dtype: 'float64' }).run({ a: [1, 2, 3], b: [0, 2, 4] });
    expect([...ga]).toEqual([1, 0.5, 0]);
    expect([...gb]).toEqual([0, 0.5, 1]);
  });

  it('where picks a where the condition is non-zero, else b; NaN in the branch not taken does not leak; a NaN condition is NaN', () => {
    const cond = (g: Graph) => g.constant([1, 0, 0.5, 0]);
    expect(values((g) => cond(g).where(g.constant([1, 2, 3, 4]), g.constant([10, 20, 30, 40])))).toEqual([1, 20, 3, 40]);
    expect(values((g) => cond(g).where(g.constant([1, 2, 3, 4]), -1))).toEqual([1, -1, 3, -1]);
    // b = log(−1, −1, −1, 0) = NaN, NaN, NaN, −∞: it shows where b is taken, and never leaks where a is
    expect(values((g) => cond(g).where(g.constant([1, 2, 3, 4]), g.constant([-1, -1, -1, 0]).log()))).toEqual([1, NaN, 3, -Infinity]);
    expect(values((g) => g.constant([1, 1, 1, 0]).where(g.constant([1, 2, 3, 0]), g.constant([-1, -1, -1, 0]).log()))).toEqual([1, 2, 3, -Infinity]);
    expect(values((g) => g.constant([-1, 1]).sqrt().where(1, 2))).toEqual([NaN, 1]);
    expect(values((g) => g.constant([1, 0], [2, 1]).where(g.constant([1, 2, 3]), g.constant([7, 8, 9])))).toEqual([1, 2, 3, 7, 8, 9]);
  });

  it('where sends the gradient to the branch taken only', () => {
    const g = new Graph();
    const a = g.input('a', [3]);
    const b = g.input('b', [3]);
    const [da, db] = grad(g.constant([1, 0, 1]).where(a.square(), b.mul(3)).sum(), [a, b]);
    const [ga, gb] = compile(g, { outputs: [da, db], dtype: 'float64' }).run({ a: [1, 2, 3], b: [4, 5, 6] });
    expect([...ga]).toEqual([2, 0, 6]);
    expect([...gb]).toEqual([0, 3, 0]);
  });
});
