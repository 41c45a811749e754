/**
 * Compiles the generated kernels once per process and instantiates them over a memory. Relaxed
 * SIMD (a fused multiply-add) is used where the runtime has it: Node 20 has it behind a V8 flag
 * that can be set at run time; otherwise the kernels use a multiply and an add. Where
 * WebAssembly SIMD is missing altogether, `wasmKernels` is null and the JS kernels run.
 */
import { encodeModule } from './emit.ts';
import { gemmFunction, gemmNTFunction } from './matmul.ts';
import { elementwiseFunctions } from './elementwise.ts';

export type BinaryKernel = (a: number, b: number, out: number, rows: number, cols: number, ars: number, brs: number) => void;
export type UnaryKernel = (x: number, out: number, n: number) => void;

export interface WasmKernels {
  /** C = Σ_p A(r,p)·B[p,:]; see matmul.ts. Byte pointers, element counts and strides. */
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, sar: number, sap: number): void;
  /** C = A·Bᵀ; see matmul.ts. */
  gemmNT(a: number, b: number, c: number, m: number, n: number, k: number): void;
  /** Binary ops by `<op>_<ac><bc>` and unary ops by name; see elementwise.ts. */
  readonly binary: Readonly<Record<string, BinaryKernel>>;
  readonly unary: Readonly<Record<string, UnaryKernel>>;
}

export interface WasmFeatures {
  simd: boolean;
  fma: boolean;
}

function moduleBytes(fma: boolean): Uint8Array<ArrayBuffer> {
  return encodeModule([gemmFunction({ fma }), gemmNTFunction({ fma }), ...elementwiseFunctions()], { minimumPages: 1 });
}

let compiled: { module: WebAssembly.Module; features: WasmFeatures } | null | undefined;

/** Turns on relaxed SIMD in Node's V8 if the runtime allows it (it must precede compiling). */
function enableRelaxedSimd(): void {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
    const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString(flags: string): void } | undefined;
    v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // not Node, or the flag is gone: the validate() below decides
  }
}

function compileOnce(): { module: WebAssembly.Module; features: WasmFeatures } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (typeof WebAssembly !== 'object' || process.env.DELTAGRAPH_NO_WASM === '1') return compiled;
  let fmaBytes = moduleBytes(true);
  if (!WebAssembly.validate(fmaBytes)) {
    enableRelaxedSimd();
    if (!WebAssembly.validate(fmaBytes)) fmaBytes = new Uint8Array(0);
  }
  if (fmaBytes.length > 0 && process.env.DELTAGRAPH_NO_FMA !== '1') {
    compiled = { module: new WebAssembly.Module(fmaBytes), features: { simd: true, fma: true } };
    return compiled;
  }
  const plain = moduleBytes(false);
  if (WebAssembly.validate(plain)) compiled = { module: new WebAssembly.Module(plain), features: { simd: true, fma: false } };
  return compiled;
}

/** What this runtime gives the kernels (no SIMD: the plain JS kernels run). */
export function wasmFeatures(): WasmFeatures {
  return compileOnce()?.features ?? { simd: false, fma: false };
}

/** The kernels bound to `memory`, or null when WebAssembly SIMD is not available. */
export function wasmKernels(memory: WebAssembly.Memory): WasmKernels | null {
  const c = compileOnce();
  if (!c) return null;
  const exports = new WebAssembly.Instance(c.module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
  const pick = (test: (name: string) => boolean) => Object.fromEntries(Object.entries(exports).filter(([k]) => test(k)));
  return {
    gemm: exports.gemm,
    gemmNT: exports.gemmNT,
    binary: pick((k) => /_\d\d$/.test(k)),
    unary: pick((k) => !/_\d\d$/.test(k) && !k.startsWith('gemm')),
  };
}
