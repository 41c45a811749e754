import { describe, expect, it } from 'vitest';
import { encodeModule } from '../../../src/backends/wasm/emit.ts';
import { GEMM_TILES, gemmName } from '../../../src/backends/wasm/gemm.ts';
import { matMulFunctions } from '../../../src/backends/wasm/matmul.ts';
import { elementwiseFunctions } from '../../../src/backends/wasm/elementwise.ts';
import { gemmTile, matMulDriver, matMulScratch, type MatMulCall, type MatMulExports, type MatMulSpec } from '../../../src/backends/wasm/matmul-driver.ts';
import { matMulInto } from '../../../src/backends/js/matmul.ts';
import { compile, Device, Graph, Rng, wasmFeatures } from '../../../src/index.ts';
import { forms } from './forms.ts';

// Relative to the largest |C|; float32 sums of K products drift by about √K·2⁻²⁴.
const TOLERANCE = 1e-5;

type Prepare = (spec: MatMulSpec) => MatMulCall;

/** The driver over a fresh module's kernels, one thread; the exports; memory as float32 for filling. */
function kernels(fma: boolean): { matMul: Prepare; exports: MatMulExports; f32: Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const functions = [...matMulFunctions(fma), ...elementwiseFunctions()];
  const instance = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(functions, { minimumPages: 1 })), { env: { memory } });
  const exports = instance.exports as MatMulExports;
  return { matMul: matMulDriver(exports, null), exports, f32: new Float32Array(memory.buffer) };
}

/**
 * C = op(A)·op(B) (or C − ¼·op(A)·op(B)) of random matrices, by `run` (the driver unless given):
 * the largest error relative to the largest |product|, and the 4 floats past C (12345 unless
 * something wrote there).
 */
function multiply(matMul: Prepare, f32: Float32Array, m: number, kk: number, n: number, tA: boolean, tB: boolean, accumulate: boolean, run?: (spec: MatMulSpec, alpha: number) => void): { err: number; past: number[] } {
  const rng = new Rng(m * 1000 + kk * 10 + n);
  const a = f32.subarray(0, m * kk);
  const b = f32.subarray(1 << 18, (1 << 18) + kk * n);
  const c = f32.subarray(1 << 19, (1 << 19) + m * n + 4);
  const scratch = f32.subarray(3 << 19, (3 << 19) + matMulScratch(m, n, kk, tA, tB, accumulate));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  for (let i = 0; i < b.length; i++) b[i] = rng.normal();
  for (let i = 0; i < c.length; i++) c[i] = accumulate ? rng.normal() : 12345; // a store must overwrite
  c.fill(12345, m * n); // and nothing is written past C
  const c0 = Float64Array.from(c);
  const spec = { a: a.byteOffset, b: b.byteOffset, c: c.byteOffset, scratch: scratch.byteOffset, m, n, k: kk, transposeA: tA, transposeB: tB, accumulate };
  if (run) run(spec, -0.25);
  else matMul(spec)(-0.25);
  const ref = new Float64Array(m * n);
  matMulInto(Float64Array.from(a), Float64Array.from(b), ref, m, kk, n, tA, tB);
  const want = ref.map((v, i) => (accumulate ? c0[i] - 0.25 * v : v));
  const scale = Math.max(...ref.map(Math.abs));
  const err = Math.max(...want.map((v, i) => Math.abs(v - c[i])));
  return { err: err / scale, past: Array.from(c.subarray(m * n)) };
}

// Small shapes take gemm/gemmNT, M ≥ 32 with N ≥ 16 the packed kernel with A in slivers, A·Bᵀ
// with short K the packed kernel reading A directly; odd sizes hit every edge tile. A·B with few
// rows and many multiply-adds (10x784x30, 9x2001x13) is summed in two K ranges.
const shapes = [[1, 1, 1], [3, 5, 2], [4, 8, 8], [5, 9, 13], [10, 784, 30], [17, 3, 33], [8, 1, 9], [31, 64, 7], [9, 513, 12], [33, 300, 17], [70, 10, 30], [64, 520, 40], [37, 7, 101], [10, 10, 30], [9, 2001, 13]];

describe('WebAssembly SIMD matmul agrees with the float64 reference', () => {
  const variants = wasmFeatures().fma ? [false, true] : [false];
  for (const fma of variants) {
    const { matMul, exports, f32 } = kernels(fma);
    for (const accumulate of [false, true]) {
      const cases = shapes.flatMap(([m, kk, n]) => forms.map(([form, tA, tB]) => [`${accumulate ? 'C − ¼·' : ''}${form} ${m}x${kk}x${n}${fma ? ' fma' : ''}`, tA, tB, m, kk, n] as const));
      it.each(cases)('%s', (_, tA, tB, m, kk, n) => {
        const { err, past } = multiply(matMul, f32, m, kk, n, tA, tB, accumulate);
        expect(err).toBeLessThanOrEqual(TOLERANCE);
        expect(past).toEqual([12345, 12345, 12345, 12345]);
      });
    }
    // Each gemm tile straight from its export: every row and column remainder, in one K block and two.
    for (const tile of GEMM_TILES) {
      it(`${gemmName(tile, false)}: every edge tile, M 1–7 × N 1–26${fma ? ' fma' : ''}`, () => {
        const failures: string[] = [];
        for (const kk of [3, 260]) {
          for (let m = 1; m <= 7; m++) {
            for (let n = 1; n <= 26; n++) {
              for (const [form, tA] of [['A·B', false], ['Aᵀ·B', true]] as const) {
                for (const accumulate of [false, true]) {
                  const gemm = exports[gemmName(tile, accumulate)];
                  const direct = (s: MatMulSpec, alpha: number) => gemm(s.a, s.b, s.c, m, n, kk, tA ? 1 : kk, tA ? m : 1, alpha, s.scratch);
                  const { err, past } = multiply(matMul, f32, m, kk, n, tA, false, accumulate, direct);
                  if (!(err <= TOLERANCE) || past.some((v) => v !== 12345)) failures.push(`${accumulate ? 'C − ¼·' : ''}${form} ${m}x${kk}x${n}: error ${err}, past C ${past}`);
                }
              }
            }
          }
        }
        expect(failures).toEqual([]);
      });
    }
  }

  it('picks the gemm tile that wastes least: 2×4 for 10 rows × 30 columns, 3×3 for 10 columns', () => {
    expect(gemmTile(10, 30)).toEqual({ rows: 2, vectors: 4 });
    expect(gemmTile(128, 10)).toEqual({ rows: 3, vectors: 3 });
    expect(gemmTile(13, 21)).toEqual({ rows: 3, vectors: 3 });
    expect(gemmTile(64, 50)).toEqual({ rows: 3, vectors: 3 });
  });

  it('runs inside compiled float32 programs, equal to the float64 program within tolerance', () => {
    expect(wasmFeatures().simd).toBe(true);
    const g = new Graph();
    const a = g.input('a', [null, 37]);
    const w = g.parameter('w', [37, 21], 'glorotNormal');
    const v = g.parameter('v', [19, 21], 'glorotNormal');
    const out = [a.matMul(w), a.matMul(w).matMul(v, false, true), a.matMul(a, true, false)];
    const xs = Float64Array.from({ length: 9 * 37 }, (_, i) => Math.sin(i));
    const r32 = compile(g, { outputs: out, dtype: 'float32' }).run({ a: xs });
    const r64 = compile(g, { outputs: out, dtype: 'float64' }).run({ a: xs });
    r64.forEach((ref, i) => {
      const scale = Math.max(...ref.map(Math.abs));
      ref.forEach((x, j) => expect(Math.abs(x - r32[i][j]) / scale).toBeLessThanOrEqual(TOLERANCE));
    });
  });
});

describe('matmul split across two threads', () => {
  it('gives the same bits as one thread, in every form, packed (split by panels) or not (split by rows, or along K when rows are few)', () => {
    const build = (device: Device) => {
      const g = new Graph({ seed: 4 });
      const a = g.input('a', [null, 170]);
      const w = g.parameter('w', [170, 90], 'glorotNormal');
      const v = g.parameter('v', [145, 90], 'glorotNormal');
      const narrow = g.parameter('narrow', [170, 12], 'glorotNormal'); // N < 16: not packed
      const u = g.parameter('u', [40, 170], 'glorotNormal');
      const few = g.input('few', [null, 3000]); // 7 rows: split along K
      const tall = g.parameter('tall', [3000, 40], 'glorotNormal');
      // every product above the split threshold
      const outputs = [a.matMul(w), a.matMul(w).matMul(v, false, true), a.matMul(a.matMul(w), true, false), a.matMul(narrow), a.matMul(a, true, false).matMul(u, true, true), few.matMul(tall)];
      return compile(g, { outputs, device });
    };
    const threaded = new Device();
    const single = new Device({ threads: false });
    const feeds = { a: Float32Array.from({ length: 600 * 170 }, (_, i) => Math.sin(i * 0.37)), few: Float32Array.from({ length: 7 * 3000 }, (_, i) => Math.cos(i * 0.11)) };
    const r1 = build(threaded).run(feeds).map((r) => Array.from(r));
    const r2 = build(single).run(feeds).map((r) => Array.from(r));
    expect(r1).toEqual(r2);
  });
});
