import { describe, expect, it } from 'vitest';
import { encodeModule } from '../../../src/backends/wasm/emit.ts';
import { matMulFunctions } from '../../../src/backends/wasm/matmul.ts';
import { elementwiseFunctions } from '../../../src/backends/wasm/elementwise.ts';
import { densityLimit, matMulDriver, matMulScratch, skippableSides, sparseLayout, type MatMulExports, type MatMulSpec } from '../../../src/backends/wasm/matmul-driver.ts';
import { matMulInto } from '../../../src/backends/js/matmul.ts';
import { Rng, wasmFeatures } from '../../../src/index.ts';
import { forms } from './forms.ts';

/** A fresh module's matmul kernels over 32 MiB, the driver on one thread, and the memory as floats. */
function kernels(fma: boolean) {
  const memory = new WebAssembly.Memory({ initial: 512 });
  const functions = [...matMulFunctions(fma), ...elementwiseFunctions()];
  const exports = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(functions, { minimumPages: 1 })), { env: { memory } }).exports as MatMulExports;
  return { matMul: matMulDriver(exports, null), exports, f32: new Float32Array(memory.buffer) };
}

/** A matrix of normal values, each kept with probability `density` and else an exact zero (some −0). */
function sparse(rng: Rng, size: number, density: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => (rng.uniform() < density ? rng.normal() : i % 7 === 0 ? -0 : 0));
}

const A = 0;
const B = 1 << 20;
const C = 2 << 20;
const SCRATCH = 3 << 20;

/** C (+)= op(A)·B with the zeros skipped or not: C's bits after the run, and C itself. */
function run(k: ReturnType<typeof kernels>, spec: Omit<MatMulSpec, 'a' | 'b' | 'c' | 'scratch'>, a: Float32Array, b: Float32Array, c0: Float32Array, skipZeros: MatMulSpec['skipZeros'], alpha: number) {
  k.f32.set(a, A / 4);
  k.f32.set(b, B / 4);
  k.f32.fill(0, B / 4 + b.length, B / 4 + b.length + 8); // the slack a last tile may read past B
  k.f32.set(c0, C / 4);
  k.matMul({ ...spec, a: A, b: B, c: C, scratch: SCRATCH, skipZeros })(alpha);
  const c = k.f32.slice(C / 4, C / 4 + c0.length);
  return { bits: new Uint32Array(c.buffer), c };
}

// Shapes that take each dense kernel (packed: M ≥ 32, N ≥ 16, K ≥ 64, or A·Bᵀ with K < 64; else
// gemm's tiles), N and M across every width of the last tile (1–27 columns past 28s), K in one
// block of 256 and several.
const shapes: [number, number, number][] = [[40, 70, 16], [33, 300, 17], [64, 520, 40], [128, 784, 100], [36, 600, 61], [300, 25, 20], [25, 1000, 20], [50, 10, 30], [9, 300, 3], [70, 257, 33], [45, 40, 8]];

describe('zero-skipping products give the dense products\u2019 bits', () => {
  const variants = wasmFeatures().fma ? [false, true] : [false];
  for (const fma of variants) {
    const k = kernels(fma);
    for (const [m, kk, n] of shapes) {
      for (const [form, transposeA, transposeB] of forms) {
        for (const accumulate of [false, true]) {
          // zeros in A (C = op(A)·op(B) skips them) or in B (Cᵀ = op(B)ᵀ·op(A)ᵀ does)
          for (const sparseSide of ['A', 'B'] as const) {
            const name = `${accumulate ? 'C + α·' : ''}${form} ${m}x${kk}x${n}, zeros in ${sparseSide}${fma ? ', fma' : ''}`;
            it(name, () => {
              const rng = new Rng(m * 7 + kk * 3 + n);
              const spec = { m, n, k: kk, transposeA, transposeB, accumulate };
              const always = skippableSides(m, n, kk, transposeA, transposeB, accumulate, () => 1);
              expect(SCRATCH / 4 + Math.max(matMulScratch(m, n, kk, transposeA, transposeB, accumulate), ...always.map((side) => side.floats))).toBeLessThan(k.f32.length);
              for (const density of [0, 0.05, 0.3, 0.9]) {
                const [a, b] = [m * kk, kk * n].map((size, i) => (['A', 'B'][i] === sparseSide ? sparse(rng, size, density) : Float32Array.from({ length: size }, () => rng.normal())));
                // some −0 in C: adding +0 (a row or block without nonzeros, alpha > 0) makes them +0
                const c0 = Float32Array.from({ length: m * n + 4 }, (_, i) => (!accumulate ? 12345 : i % 13 === 0 ? -0 : rng.normal()));
                // alpha 1: what conv's filter gradient accumulates with (and every form's sums agree there)
                for (const alpha of accumulate ? [1, -0.03] : [1]) {
                  const dense = run(k, spec, a, b, c0, 'never', alpha);
                  const skipping = run(k, spec, a, b, c0, 'always', alpha);
                  expect(skipping.bits).toEqual(dense.bits);
                  // and both are the product (nothing written past C)
                  const ref = new Float64Array(m * n);
                  matMulInto(Float64Array.from(a), Float64Array.from(b), ref, m, kk, n, transposeA, transposeB);
                  const scale = Math.max(1, ...ref.map(Math.abs));
                  const want = ref.map((v, i) => (accumulate ? c0[i] + alpha * v : v));
                  expect(Math.max(...want.map((v, i) => Math.abs(v - skipping.c[i]))) / scale).toBeLessThan(1e-5);
                  expect(Array.from(skipping.c.subarray(m * n))).toEqual(Array.from(c0.subarray(m * n)));
                }
              }
            });
          }
        }
      }
    }
  }
});

describe('countNonZero', () => {
  it('counts exactly up to its cap (±0 are zeros, NaN is not), and past it says only that it is past', () => {
    const k = kernels(false);
    const count = k.exports.countNonZero;
    const rng = new Rng(9);
    for (const n of [0, 3, 4, 1023, 1024, 1025, 5000]) {
      const values = Float32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? NaN : i % 3 === 0 ? -0 : rng.uniform() < 0.5 ? 0 : 1));
      const want = values.filter((v) => v !== 0).length;
      k.f32.set(values, A / 4);
      expect(count(A, n, n)).toBe(want);
      expect(count(A, n, want)).toBe(want); // at the cap: still exact
      if (want > 0) expect(count(A, n, want - 1)).toBeGreaterThan(want - 1);
      if (n >= 5000) expect(count(A, n, 10)).toBeLessThan(want); // stopped early
    }
  });
});

describe('the density limit', () => {
  it('is where the driver switches: below it the product skips zeros, above it not, with the same bits', () => {
    const k = kernels(wasmFeatures().fma);
    let skipped = 0;
    const counting = { ...k.exports, sparseProduct: (...args: number[]) => (skipped++, k.exports.sparseProduct(...args)) };
    const matMul = matMulDriver(counting, null);
    const [m, kk, n] = [128, 300, 160];
    const rng = new Rng(5);
    const b = Float32Array.from({ length: kk * n + 4 }, () => rng.normal());
    for (const [density, skips] of [[densityLimit(n) * 0.8, 1], [densityLimit(n) * 1.25, 0]] as const) {
      const a = sparse(rng, m * kk, density);
      k.f32.set(a, A / 4);
      k.f32.set(b, B / 4);
      const spec = { a: A, b: B, c: C, scratch: SCRATCH, m, n, k: kk, transposeA: false, transposeB: false, accumulate: false };
      skipped = 0;
      matMul(spec)();
      expect(skipped).toBe(skips);
      const auto = k.f32.slice(C / 4, C / 4 + m * n);
      matMulDriver(k.exports, null)({ ...spec, skipZeros: 'never' })();
      expect(new Uint32Array(k.f32.slice(C / 4, C / 4 + m * n).buffer)).toEqual(new Uint32Array(auto.buffer));
    }
  });

  it('skips zeros only below it, and the scratch holds the nonzeros up to it', () => {
    expect(densityLimit(20)).toBe(0); // the convolutions' channels: never pays
    expect(densityLimit(100)).toBe(0); // W3's dense layer: gains nothing
    expect(densityLimit(800)).toBeGreaterThan(0.19); // MNIST's pixels (81% zeros) under W2's first layer
    expect(densityLimit(800)).toBeLessThan(0.5); // a ReLU layer's output: about half zeros, dense is faster
    const layout = sparseLayout(128, 784, densityLimit(800));
    expect(layout.capacity).toBeGreaterThan(densityLimit(800) * 128 * 784);
  });
});
