import { describe, expect, it } from 'vitest';
import { compile, Graph, grad, Rng, wasmFeatures, type Tensor, type WindowOptions } from '../../../src/index.ts';

// The float32 pooling kernels in WebAssembly SIMD against the float64 JS kernels (the reference):
// forward pass and gradient, over channel counts that fill whole vectors, leave a tail or are
// below one vector, strides, overlapping windows, padding and dilation.

type Pool = 'maxPool2d' | 'avgPool2d';
interface Case {
  x: [number, number, number, number];
  poolSize: number | [number, number];
  options: WindowOptions;
  /** Inputs drawn from a few whole numbers, so max pooling windows hold ties. */
  ties?: boolean;
}

const cases: [string, Case][] = [
  ['2x2, stride 2, 20 channels (W3)', { x: [3, 8, 8, 20], poolSize: 2, options: {} }],
  ['3x3, stride 2, same padding, 7 channels (a vector and a tail)', { x: [2, 9, 7, 7], poolSize: 3, options: { strides: 2, padding: 'same' } }],
  ['2x2, stride 1, same padding: windows inside the image and over its edge, 5 channels', { x: [2, 7, 7, 5], poolSize: 2, options: { strides: 1, padding: 'same' } }],
  ['3x3, stride 1 (overlapping), 1 channel', { x: [2, 6, 6, 1], poolSize: 3, options: { strides: 1 } }],
  ['explicit padding and dilation 2, 4 channels', { x: [2, 9, 8, 4], poolSize: [2, 3], options: { padding: [[1, 2], [2, 0]], dilations: 2, strides: [1, 2] } }],
  ['ties in every window, overlapping, 6 channels', { x: [2, 7, 7, 6], poolSize: 3, options: { strides: 2 }, ties: true }],
  ['ties, windows tiling the image, 7 channels', { x: [2, 8, 6, 7], poolSize: 2, options: {}, ties: true }],
];

function run(pool: Pool, c: Case, dtype: 'float32' | 'float64') {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', c.x);
  const y = x[pool](c.poolSize, c.options);
  const shape = y.shape as number[];
  const rng = new Rng(5);
  const w = g.constant(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
  const [dx] = grad(y.mul(w).sum(), [x]);
  const program = compile(g, { outputs: [y, dx], dtype });
  const rx = new Rng(2);
  const draw = () => Float64Array.from({ length: c.x.reduce((a, b) => a * b) }, () => (c.ties ? rx.int(3) : rx.normal()));
  program.run({ x: draw() }); // a first run leaves its values in the buffers the second one writes
  return { out: program.run({ x: draw() }).map((v) => Float64Array.from(v)), stats: program.stats };
}

const worst = (got: Float64Array, want: Float64Array) => {
  const scale = Math.max(1e-30, ...want.map(Math.abs));
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale);
  return e;
};

describe.skipIf(!wasmFeatures().simd)('pooling in WebAssembly SIMD (float32)', () => {
  for (const pool of ['maxPool2d', 'avgPool2d'] as const) {
    it.each(cases)(`${pool}, %s: forward and gradient agree with the float64 JS kernels`, (_, c) => {
      const want = run(pool, c, 'float64');
      const got = run(pool, c, 'float32');
      expect(got.stats.backends.js).toBe(1); // only the sum's gradient (broadcastAxes) ran in JS, the pool and its gradient in wasm
      for (let i = 0; i < 2; i++) expect(worst(got.out[i], want.out[i])).toBeLessThan(1e-6);
    });
  }

  it('a NaN wins its max pooling windows, and its gradient is NaN there only', () => {
    const g = new Graph();
    const x = g.input('x', [1, 4, 4, 5]);
    const y = (x as Tensor).log().maxPool2d(2);
    const [dx] = grad(y.sum(), [x]);
    const program = compile(g, { outputs: [y, dx], dtype: 'float32' });
    const image = new Float32Array(80).fill(1);
    image[3] = -1; // pixel (0,0), channel 3: log(−1) is NaN
    const [out, gradient] = program.run({ x: image });
    const nan = Array.from(out, (v, i) => (Number.isNaN(v) ? i : -1)).filter((i) => i >= 0);
    expect(nan).toEqual([3]);
    expect(Array.from(gradient, (v, i) => (Number.isFinite(v) ? -1 : i)).filter((i) => i >= 0)).toEqual([3, 8, 23, 28]);
  });
});
