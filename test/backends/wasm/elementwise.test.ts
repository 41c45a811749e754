import { describe, expect, it } from 'vitest';
import { compile, Graph, Rng, type Tensor } from '../../../src/index.ts';
import { kernelOf } from '../../../src/backends/index.ts';
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
    expect(Object.keys(wasm.unary)).toEqual(expect.arrayContaining(['neg', 'abs', 'sqrt', 'square', 'step', 'relu', 'exp', 'sigmoid', 'softsign']));
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

describe('WebAssembly softsign: x / (1 + |x|) rounded twice, alike in the vector lanes and the scalar tail', () => {
  // Not one correctly rounded op, so not the float64 result rounded: float32 rounds 1 + |x| before
  // dividing. Each f32 op is IEEE-rounded in WebAssembly, and float64 then Math.fround rounds + and /
  // the same (53 ≥ 2·24 + 2 bits), so the kernel must equal this exactly. The JS kernel rounds once
  // (the float64 quotient, on store): within 1 ulp of it, not equal.
  const twoRoundings = (x: number) => Math.fround(x / Math.fround(1 + Math.abs(x)));
  const g = new Graph();
  const x = g.input('x', [null]);
  const program = compile(g, { outputs: [x.softsign()] });
  const bits = new Int32Array(1);
  const float = new Float32Array(bits.buffer);
  /** Float32 values in order as integers, so that neighbours differ by 1 (an ulp). */
  const ordinal = (v: number) => ((float[0] = v), bits[0] < 0 ? -(bits[0] & 0x7fffffff) : bits[0]);
  const jsKernel = (xs: Float32Array) => {
    const out = new Float32Array(xs.length);
    const run = kernelOf('softsign', 'js')!.run as (ctx: object) => () => void;
    run({ inputs: [xs], output: out, inputShapes: [[xs.length]], outputShape: [xs.length], attrs: {} })();
    return out;
  };

  it.each([4, 5, 6, 7, 1000, 1001, 1002, 1003].map((n) => [n, n % 4]))('n = %i (n mod 4 = %i), on the wasm kernel', (n) => {
    const rng = new Rng(n);
    // magnitudes over many binades (e^(3·N(0,1))), so 1 + |x| rounds in every way
    const xs = Float32Array.from({ length: n }, () => rng.normal() * Math.exp(3 * rng.normal()));
    const [r] = program.run({ x: Float64Array.from(xs) });
    expect(program.stats.backends).toEqual({ js: 0, wasm: 1, webgpu: 0 });
    expect(Array.from(r)).toEqual(Array.from(xs, twoRoundings));
    const js = jsKernel(xs);
    r.forEach((v, i) => expect(Math.abs(ordinal(v) - ordinal(js[i]))).toBeLessThanOrEqual(1));
    if (n > 1000) expect(r.some((v, i) => v !== js[i])).toBe(true); // the two roundings show
  });

  it('gives one value in every lane and in the tail, at zeros, limits and rounding edges', () => {
    // 1 + |x| exact at 2²⁴ − 1, a tie rounded down at −2²⁴ and up at 2²⁴ + 2 and 1 − 2⁻²⁴, lost at 2⁻²⁴
    for (const v of [0, -0, 1, -1, 0.5, -3, 1e-30, -1e-30, 3e38, -3e38, 2 ** 24 - 1, -(2 ** 24), 2 ** 24 + 2, 1 - 2 ** -24, 2 ** -24].map(Math.fround)) {
      for (const n of [4, 5, 6, 7]) {
        const [r] = program.run({ x: new Float64Array(n).fill(v) });
        expect(Array.from(r)).toEqual(new Array(n).fill(twoRoundings(v)));
      }
    }
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
