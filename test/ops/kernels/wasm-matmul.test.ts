import { describe, expect, it } from 'vitest';
import { encodeModule } from '../../../src/ops/kernels/wasm/emit.ts';
import { gemmFunction, gemmNTFunction } from '../../../src/ops/kernels/wasm/matmul.ts';
import { wasmFeatures, type WasmKernels } from '../../../src/ops/kernels/wasm/runtime.ts';
import { matMulInto } from '../../../src/ops/kernels/matmul.ts';
import { compile, Graph, Memory } from '../../../src/index.ts';
import { Rng } from '../../../src/nn/index.ts';

// Relative to the largest |C|; float32 sums of K products drift by about √K·2⁻²⁴.
const TOLERANCE = 1e-5;

function kernels(fma: boolean): { k: WasmKernels; f32: Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const bytes = encodeModule([gemmFunction({ fma }), gemmNTFunction({ fma })], { minimumPages: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return { k: instance.exports as unknown as WasmKernels, f32: new Float32Array(memory.buffer) };
}

const shapes = [[1, 1, 1], [3, 5, 2], [4, 8, 8], [5, 9, 13], [10, 784, 30], [17, 3, 33], [8, 1, 9], [31, 64, 7], [9, 513, 12]];

describe('WebAssembly SIMD matmul agrees with the float64 reference', () => {
  const variants = wasmFeatures().fma ? [false, true] : [false];
  for (const fma of variants) {
    const { k, f32 } = kernels(fma);
    it.each(shapes.flatMap(([m, kk, n]) => ['A·B', 'Aᵀ·B', 'A·Bᵀ'].map((form) => [`${form} ${m}x${kk}x${n}${fma ? ' fma' : ''}`, form, m, kk, n] as const)))(
      '%s',
      (_, form, m, kk, n) => {
        const rng = new Rng(m * 1000 + kk * 10 + n);
        const a = f32.subarray(0, m * kk);
        const b = f32.subarray(4096, 4096 + kk * n);
        const c = f32.subarray(65536, 65536 + m * n + 4);
        for (let i = 0; i < a.length; i++) a[i] = rng.normal();
        for (let i = 0; i < b.length; i++) b[i] = rng.normal();
        c.fill(12345); // the kernel must overwrite, and write nothing past C
        const tA = form === 'Aᵀ·B';
        const tB = form === 'A·Bᵀ';
        if (tB) k.gemmNT(a.byteOffset, b.byteOffset, c.byteOffset, m, n, kk);
        else if (tA) k.gemm(a.byteOffset, b.byteOffset, c.byteOffset, m, n, kk, 1, m);
        else k.gemm(a.byteOffset, b.byteOffset, c.byteOffset, m, n, kk, kk, 1);
        const ref = new Float64Array(m * n);
        matMulInto(Float64Array.from(a), Float64Array.from(b), ref, m, kk, n, tA, tB);
        const scale = Math.max(...ref.map(Math.abs));
        const err = Math.max(...ref.map((v, i) => Math.abs(v - c[i])));
        expect(err / scale).toBeLessThanOrEqual(TOLERANCE);
        expect(Array.from(c.subarray(m * n))).toEqual([12345, 12345, 12345, 12345]);
      },
    );
  }

  it('gemmAcc adds alpha·A·B into C, across several K blocks', () => {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const bytes = encodeModule([gemmFunction({ fma: false, accumulate: true })], { minimumPages: 1 });
    const { gemmAcc } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as WasmKernels;
    const f32 = new Float32Array(memory.buffer);
    const [m, k, n] = [6, 600, 11]; // K spans three blocks of 256
    const rng = new Rng(9);
    const a = f32.subarray(0, m * k);
    const b = f32.subarray(8192, 8192 + k * n);
    const c = f32.subarray(20000, 20000 + m * n);
    a.forEach((_, i) => (a[i] = rng.normal()));
    b.forEach((_, i) => (b[i] = rng.normal()));
    c.forEach((_, i) => (c[i] = rng.normal()));
    const c0 = Float64Array.from(c);
    gemmAcc(a.byteOffset, b.byteOffset, c.byteOffset, m, n, k, k, 1, -0.25);
    const ref = new Float64Array(m * n);
    matMulInto(Float64Array.from(a), Float64Array.from(b), ref, m, k, n, false, false);
    const scale = Math.max(...ref.map(Math.abs));
    ref.forEach((v, i) => expect(Math.abs(c0[i] - 0.25 * v - c[i]) / scale).toBeLessThanOrEqual(TOLERANCE));
  });

  it('runs inside compiled float32 programs, equal to the float64 program within tolerance', () => {
    expect(new Memory('float32').wasm).not.toBeNull();
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
  it('gives the same bits as one thread, in all three forms', () => {
    const build = (memory: Memory) => {
      const g = new Graph({ seed: 4 });
      const a = g.input("a", [null, 170]);
      const w = g.parameter("w", [170, 90], "glorotNormal");
      const v = g.parameter('v', [145, 90], 'glorotNormal'); // every product above the split threshold
      const outputs = [a.matMul(w), a.matMul(w).matMul(v, false, true), a.matMul(a.matMul(w), true, false)];
      return compile(g, { outputs, memory });
    };
    const threaded = new Memory('float32');
    const single = new Memory('float32', { threads: false });
    const xs = Float32Array.from({ length: 166 * 170 }, (_, i) => Math.sin(i * 0.37));
    const r1 = build(threaded).run({ a: xs }).map((r) => Array.from(r));
    const r2 = build(single).run({ a: xs }).map((r) => Array.from(r));
    expect(r1).toEqual(r2);
  });
});
