import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Tensor } from '../../src/index.ts';

/** Runs f on int input x (fed `xs`) in both precisions; returns the dtype and the values. */
function onInts(xs: number[], f: (x: Tensor, g: Graph) => Tensor) {
  const g = new Graph();
  const x = g.input('x', [xs.length], 'int');
  const y = f(x, g);
  const [r32, r64] = (['float32', 'float64'] as const).map((dtype) => Array.from(compile(g, { outputs: [y], dtype }).run({ x: xs })[0]));
  expect(r32).toEqual(r64);
  return { dtype: y.dtype, values: r64 };
}

describe('int arithmetic: whole-number results stay int', () => {
  const xs = [7, -7, 3];
  it.each([
    ['add', (x: Tensor) => x.add(x), [14, -14, 6]],
    ['sub', (x: Tensor, g: Graph) => x.sub(g.constant([1, 2, 3], [3], 'int')), [6, -9, 0]],
    ['mul', (x: Tensor) => x.mul(x), [49, 49, 9]],
    ['neg', (x: Tensor) => x.neg(), [-7, 7, -3]],
    ['abs', (x: Tensor) => x.abs(), [7, 7, 3]],
    ['square', (x: Tensor) => x.square(), [49, 49, 9]],
    ['sign', (x: Tensor) => x.sign(), [1, -1, 1]],
    ['relu', (x: Tensor) => x.relu(), [7, 0, 3]],
    ['step', (x: Tensor) => x.step(), [1, 0, 1]],
    ['sum', (x: Tensor) => x.sum(), [3]],
    ['max', (x: Tensor) => x.max(), [7]],
    ['min', (x: Tensor) => x.min(), [-7]],
    ['transpose', (x: Tensor) => x.reshape([3, 1]).transpose(), [7, -7, 3]],
  ] as const)('%s (the values of TF.js int32)', (_, f, expected) => {
    expect(onInts(xs, f)).toEqual({ dtype: 'int', values: expected });
  });
});

describe('int promotion to float', () => {
  it('an int meeting a float, or a number, is float (as TF.js: int32 + 2 is float32)', () => {
    expect(onInts([7, -7, 3], (x, g) => x.add(g.constant([0.5, 0.5, 0.5])))).toEqual({ dtype: 'float', values: [7.5, -6.5, 3.5] });
    expect(onInts([7, -7, 3], (x) => x.add(2))).toEqual({ dtype: 'float', values: [9, -5, 5] });
    expect(onInts([7, -7, 3], (x) => x.step(0.5))).toEqual({ dtype: 'float', values: [1, 0.5, 1] });
  });

  it('div, pow and mean give float: 7/2 = 3.5 (TF.js floors int32 division to 3)', () => {
    const two = (g: Graph) => g.constant([2, 2, 2], [3], 'int');
    expect(onInts([7, -7, 3], (x, g) => x.div(two(g)))).toEqual({ dtype: 'float', values: [3.5, -3.5, 1.5] });
    expect(onInts([2, -2, 3], (x, g) => x.pow(g.constant([-1, 2, 0], [3], 'int')))).toEqual({ dtype: 'float', values: [0.5, 4, 1] });
    expect(onInts([7, -7, 3], (x) => x.mean())).toEqual({ dtype: 'float', values: [1] });
  });

  it('ops without an int meaning refuse int tensors and say how to convert', () => {
    const g = new Graph();
    const x = g.input('x', [3], 'int');
    expect(() => x.exp()).toThrow(/exp: input 0 is int; exp takes float tensors \(x.cast\('float'\) converts\)/);
    expect(() => x.cast('float').exp()).not.toThrow();
  });

  it('int values are exact to 2²⁴ in float32 programs and to 2⁵³ in float64', () => {
    const g = new Graph();
    const x = g.input('x', [2], 'int');
    const s = x.sum();
    expect(compile(g, { outputs: [s] }).run({ x: [2 ** 24 - 1, 1] })[0][0]).toBe(2 ** 24);
    expect(compile(g, { outputs: [s], dtype: 'float64' }).run({ x: [2 ** 53 - 2, 1] })[0][0]).toBe(2 ** 53 - 1);
  });
});

describe('cast', () => {
  it("to 'int' toward zero (TF.js cast to int32: [1.7, −1.7, 2.5] → [1, −1, 2]); to 'float' exactly", () => {
    const g = new Graph();
    const x = g.constant([1.7, -1.7, 2.5]);
    const i = x.cast('int');
    expect(i.dtype).toBe('int');
    const [asInt, back] = compile(g, { outputs: [i, i.cast('float').mul(0.5)], dtype: 'float64' }).run();
    expect(Array.from(asInt)).toEqual([1, -1, 2]);
    expect(Array.from(back)).toEqual([0.5, -0.5, 1]);
  });

  it('refuses NaN and ±∞ (no int value) at run time, and an unknown dtype where it is built', () => {
    const g = new Graph();
    const made = g.constant([1, 0]).log().cast('int'); // log 0 = −∞ inside the graph
    expect(() => compile(g, { outputs: [made] }).run()).toThrow(/value -Infinity at index 1 has no int value/);
    expect(() => g.constant([1]).cast('int32' as 'int')).toThrow(/cast: dtype must be 'float' or 'int', got int32/);
  });

  it('int constants hold whole numbers', () => {
    const g = new Graph();
    expect(() => g.constant([1, 2.5], [2], 'int')).toThrow(/an int constant holds whole numbers, got 2.5 at index 1/);
  });
});

describe('gradients beside int tensors', () => {
  it('flow to the float input of a mixed product (dy·a), and not through a cast to int', () => {
    const g = new Graph();
    const w = g.input('w', [3]);
    const counts = g.constant([2, 0, -3], [3], 'int');
    const [dw] = grad(w.mul(counts).sum(), [w]);
    const [stopped] = grad(w.cast('int').cast('float').mul(w).sum(), [w]);
    const [a, b] = compile(g, { outputs: [dw, stopped], dtype: 'float64' }).run({ w: [0.5, 1.5, -2.5] });
    expect(Array.from(a)).toEqual([2, 0, -3]);
    expect(Array.from(b)).toEqual([0, 1, -2]); // d/dw of trunc(w)·w through the float factor only
  });
});
