import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, RunError, ShapeError, type Tensor } from '../../src/index.ts';

/** Values of `f` over constants, in float64. */
function values(f: (g: Graph) => Tensor): number[] {
  const g = new Graph();
  return Array.from(compile(g, { outputs: [f(g)], dtype: 'float64' }).run()[0]);
}
const range = (g: Graph, shape: number[], dtype: 'float' | 'int' = 'float') =>
  g.constant(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), shape, dtype);

describe('concat, slice, pad, gather', () => {
  it('concat joins along any axis, a list pairwise', () => {
    expect(values((g) => range(g, [2, 2]).concat(range(g, [1, 2]).add(10)))).toEqual([0, 1, 2, 3, 10, 11]);
    expect(values((g) => range(g, [2, 2]).concat(range(g, [2, 1]).add(10), 1))).toEqual([0, 1, 10, 2, 3, 11]);
    expect(values((g) => range(g, [1, 2]).concat([range(g, [1, 2]).add(5), range(g, [1, 2]).add(9)], -1))).toEqual([0, 1, 5, 6, 9, 10]);
    const g = new Graph();
    expect(g.input('a', [null, 3]).concat(g.input('b', [null, 4]), 1).shape).toEqual([null, 7]);
    expect(() => range(g, [2, 3]).concat(range(g, [2, 4]))).toThrow(/concat: dimension 1 differs \(3 vs 4\); only axis 0 may/);
    expect(range(g, [2], 'int').concat(range(g, [1], 'int')).dtype).toBe('int');
  });

  it('slice takes a box (size −1: to the end), pad surrounds with a value', () => {
    // [[0,1,2],[3,4,5],[6,7,8]]
    expect(values((g) => range(g, [3, 3]).slice([1, 1]))).toEqual([4, 5, 7, 8]);
    expect(values((g) => range(g, [3, 3]).slice([0, 1], [2, 1]))).toEqual([1, 4]);
    expect(values((g) => range(g, [2, 2]).pad([[1, 0], [0, 2]], -1))).toEqual([-1, -1, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1]);
    const g = new Graph();
    expect(() => range(g, [3, 3]).slice([2, 0], [2, -1])).toThrow(/slice: axis 0: begin 2 \+ size 2 runs past its length 3/);
    expect(() => g.input('x', [null, 4]).slice([1, 0])).toThrow(/slice: axis 0 has an unknown length: only begin 0 and size −1/);
    expect(() => range(g, [3]).pad([[1, -1]])).toThrow(/pad: paddings must be one \[before, after\] of whole numbers ≥ 0 per axis/);
  });

  it('slice and pad are each other’s gradient', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const [dSlice] = grad(x.slice([0, 1], [2, 2]).sum(), [x]);
    const [dPad] = grad(x.pad([[1, 1], [1, 0]]).mul(range(g, [4, 4])).sum(), [x]);
    const [a, b] = compile(g, { outputs: [dSlice, dPad], dtype: 'float64' }).run({ x: [1, 2, 3, 4, 5, 6] });
    expect([...a]).toEqual([0, 1, 1, 0, 1, 1]);
    expect([...b]).toEqual([5, 6, 7, 9, 10, 11]);
  });

  it('gather picks slices at int indices; an embedding lookup; repeated ids add up their gradients', () => {
    // table [[0,1],[2,3],[4,5]]
    expect(values((g) => range(g, [3, 2]).gather(g.constant([2, 0, 2], [3], 'int')))).toEqual([4, 5, 0, 1, 4, 5]);
    expect(values((g) => range(g, [3, 2]).gather(g.constant([1, 1, 0, 1], [2, 2], 'int'), 1))).toEqual([1, 1, 0, 1, 3, 3, 2, 3, 5, 5, 4, 5]);
    const g = new Graph();
    const table = g.parameter('embedding', [3, 2], [0, 1, 2, 3, 4, 5]);
    const ids = g.input('ids', [null, 4], 'int');
    const vectors = table.gather(ids);
    expect(vectors.shape).toEqual([null, 4, 2]);
    const [dTable] = grad(vectors.sum(), [table]);
    const program = compile(g, { outputs: [dTable], dtype: 'float64' });
    expect([...program.run({ ids: [2, 0, 2, 2, 1, 1, 0, 2] })[0]]).toEqual([2, 2, 2, 2, 4, 4]);
    expect(() => program.run({ ids: [0, 1, 3, 0] })).toThrow(RunError);
    expect(() => program.run({ ids: [0, 1, 3, 0] })).toThrow(/index 3 at position 2 is outside \[0, 3\)/);
    expect(() => table.gather(g.constant([0, 1]))).toThrow(ShapeError);
    expect(() => table.gather(g.constant([0, 1]))).toThrow(/gather: indices \(input 1\) must be an int tensor/);
  });
});
