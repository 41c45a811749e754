import { describe, expect, it } from 'vitest';
import { compile, Graph, Rng, type Tensor } from '../../../src/index.ts';
import { wasmArena } from './arena.ts';

// A single float32 add, sub, mul, div or sqrt is correctly rounded, so the WebAssembly kernel must
// equal the float64 result rounded to float32 exactly, whatever the broadcasting pattern.
const patterns: [number[], number[]][] = [
  [[3, 5], [3, 5]], // equal shapes, with a tail (15 = 3·4 + 3)
  [[4, 8], []], // scalar b
  [[], [4, 8]], // scalar a
  [[6, 7], [7]], // a row added to every row
  [[7], [6, 7]],
  [[6, 7], [6, 1]], // a column
  [[6, 1], [6, 7]],
  [[2, 3, 5], [2, 3, 1]],
  [[2, 3, 4], [3, 1]], // not a wasm pattern: the JS loop
];

function check(build: (g: Graph, a: Tensor, b: Tensor) => Tensor, sa: number[], sb: number[], positive = false) {
  const rng = new Rng(sa.length * 10 + sb.length);
  const values = (shape: number[]) => Float64Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => Math.fround(positive ? rng.uniform(0.5, 2) : rng.normal()));
  const g = new Graph();
  const a = g.input('a', sa);
  const b = g.input('b', sb);
  const out = build(g, a, b);
  const feeds = { a: values(sa), b: values(sb) };
  const r32 = compile(g, { outputs: [out], dtype: 'float32' }).run(feeds)[0];
  const r64 = compile(g, { outputs: [out], dtype: 'float64' }).run(feeds)[0];
  expect(Array.from(r32)).toEqual(Array.from(r64, Math.fround));
}

describe('WebAssembly elementwise kernels equal correctly rounded float32', () => {
  it('are in use for float32 memories', () => {
    const { wasm } = wasmArena(1);
    expect(Object.keys(wasm.binary)).toEqual(expect.arrayContaining(['add_11', 'sub_10', 'mul_01', 'div_11']));
    expect(Object.keys(wasm.unary)).toEqual(expect.arrayContaining(['neg', 'abs', 'sqrt', 'square', 'step', 'relu', 'exp', 'sigmoid']));
  });

  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    it.each(patterns.map(([sa, sb]) => [`${op} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`, sa, sb] as const))('%s', (_, sa, sb) => {
      check((_g, a, b) => a[op](b), sa, sb, op === 'div');
    });
  }

  it.each(['neg', 'abs', 'sqrt', 'square', 'step', 'relu'] as const)('%s', (op) => {
    for (const n of [1, 4, 7, 33]) check((_g, a) => a[op](), [n], [1], op === 'sqrt');
    // relu and step at exactly 0, and signs kept
    const g = new Graph();
    const x = g.input('x', [6]);
    const r = compile(g, { outputs: [x[op]()] }).run({ x: [-2, -0, 0, 0.5, 3, -1e-30] })[0];
    const expected = { neg: [2, 0, -0, -0.5, -3, 1e-30], abs: [2, 0, 0, 0.5, 3, 1e-30], sqrt: [NaN, -0, 0, Math.sqrt(0.5), Math.sqrt(3), NaN], square: [4, 0, 0, 0.25, 9, 0], step: [0, 0, 0, 1, 1, 0], relu: [0, 0, 0, 0.5, 3, 0] }[op];
    expect(Array.from(r)).toEqual(expected.map(Math.fround));
  });
});

describe('WebAssembly exp and sigmoid (polynomial e^x) are within 5e-7 relative of the exact values', () => {
  const g = new Graph();
  const x = g.input('x', [null]);
  const program = compile(g, { outputs: [x.exp(), x.sigmoid()] });
  // 100,003 points: not a multiple of 4, so the scalar tail runs too.
  const xs = Float64Array.from({ length: 100003 }, (_, i) => Math.fround(-87 + (175 * i) / 100002));

  it('exp on [−87, 88]', () => {
    const [e] = program.run({ x: xs });
    let worst = 0;
    xs.forEach((v, i) => (worst = Math.max(worst, Math.abs(e[i] - Math.exp(v)) / Math.exp(v))));
    expect(worst).toBeLessThanOrEqual(5e-7);
  });

  it('sigmoid on [−87, 88], and its limits', () => {
    const [, s] = program.run({ x: xs });
    let worst = 0;
    xs.forEach((v, i) => {
      const exact = 1 / (1 + Math.exp(-v));
      worst = Math.max(worst, Math.abs(s[i] - exact) / exact);
    });
    expect(worst).toBeLessThanOrEqual(5e-7);
    const [e2, s2] = program.run({ x: [0, 1000, -1000, 90] });
    expect(Array.from(s2)).toEqual([0.5, 1, 0, 1]);
    expect(Array.from(e2)).toEqual([1, Infinity, 0, Infinity]);
  });
});

describe('WebAssembly sum over leading axes', () => {
  it.each([
    [[37, 13], 0],
    [[5, 3, 4], [0, 1]],
    [[1, 6], 0],
    [[9, 1], 0],
  ] as const)('%j over %j', (shape, axes) => {
    const g = new Graph();
    const x = g.input('x', [...shape]);
    const out = x.sum(axes as number | number[]);
    const xs = Float64Array.from({ length: shape.reduce((a: number, b: number) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i)));
    const r32 = compile(g, { outputs: [out] }).run({ x: xs })[0];
    const r64 = compile(g, { outputs: [out], dtype: 'float64' }).run({ x: xs })[0];
    expect(r32.length).toBe(r64.length);
    r64.forEach((v, i) => expect(Math.abs(v - r32[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
  });
});
