import { describe, expect, it } from 'vitest';
import { compile, Graph, grad, Rng, wasmFeatures, type Tensor, type WindowOptions } from '../../../src/index.ts';

// The float32 convolution kernels run on the wasm matrix multiply; float64 runs the JS kernels
// (the reference). Forward pass and both gradients, over the paddings, strides and dilations.

const random = (n: number, seed: number) => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
};

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  options: WindowOptions;
}

const cases: [string, Case][] = [
  ['valid, stride 1 (W3 first layer)', { x: [3, 12, 12, 1], f: [5, 5, 1, 8], options: { padding: 'valid' } }],
  ['same, stride 2, several channels', { x: [2, 9, 7, 3], f: [3, 3, 3, 5], options: { padding: 'same', strides: [2, 2] } }],
  ['explicit padding, dilation 2', { x: [2, 10, 9, 4], f: [3, 2, 4, 6], options: { padding: [[1, 2], [0, 1]], dilations: [2, 2] } }],
  ['a large product (split with the helper where it runs)', { x: [4, 20, 20, 20], f: [5, 5, 20, 40], options: { padding: 'valid' } }],
];

/** y = conv(x, f), and the gradients of Σ y·w (w fixed random) with respect to x and f. */
function run(c: Case, dtype: 'float32' | 'float64') {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', c.x);
  const f = g.input('f', c.f);
  const y = x.conv2d(f, c.options);
  const shape = y.shape as number[];
  const w = g.constant(random(shape.reduce((a, b) => a * b, 1), 5), shape);
  const loss = y.mul(w).sum();
  const [dx, df] = grad(loss, [x, f]);
  const program = compile(g, { outputs: [y, dx, df], dtype });
  const out = program.run({ x: random(c.x.reduce((a, b) => a * b), 2), f: random(c.f.reduce((a, b) => a * b), 3) }).map((v) => Float64Array.from(v));
  return { out, backends: program.stats.backends };
}

const close = (got: Float64Array, want: Float64Array) => {
  let worst = 0;
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
  return worst;
};

describe.skipIf(!wasmFeatures().simd)('conv2d on the wasm matrix multiply (float32)', () => {
  it.each(cases)('%s: forward, input gradient and filter gradient agree with the float64 JS kernels', (_, c) => {
    const want = run(c, 'float64');
    const got = run(c, 'float32');
    expect(want.backends.wasm).toBe(0);
    expect(got.backends.wasm).toBeGreaterThanOrEqual(3); // conv2d and both gradient ops at least
    for (let i = 0; i < 3; i++) expect(close(got.out[i], want.out[i])).toBeLessThan(2e-6);
  });

  it('a NaN in the image reaches the outputs of its windows, and no other', () => {
    const g = new Graph();
    const x = g.input('x', [1, 5, 5, 1]);
    const f = g.input('f', [3, 3, 1, 2]);
    // Feeds must be finite: the NaN comes from log(−1), at the top-left pixel, which only the
    // first output pixel's window holds.
    const program = compile(g, { outputs: [(x as Tensor).log().conv2d(f, { padding: 'valid' })], dtype: 'float32' });
    const image = new Float32Array(25).fill(Math.E);
    image[0] = -1;
    const [y] = program.run({ x: image, f: new Float32Array(18).fill(0) });
    expect(Array.from(y.subarray(0, 2))).toEqual([Number.NaN, Number.NaN]);
    expect(Array.from(y.subarray(2))).toEqual(new Array(16).fill(0));
  });
});
