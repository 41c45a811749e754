/**
 * Compiles the generated kernels once per process and instantiates them over a memory. Relaxed
 * SIMD (a fused multiply-add) is used where the runtime has it: Node 20 has it behind a V8 flag
 * that can be set at run time; otherwise the kernels use a multiply and an add. Where
 * WebAssembly SIMD is missing altogether, `wasmKernels` is null and the JS kernels run.
 */
import { encodeModule } from './emit.ts';
import { gemmFunction, gemmNTFunction } from './matmul.ts';
import { elementwiseFunctions } from './elementwise.ts';
import { fusedFunctions, fusedKernelNames } from './fused.ts';
import { startHelper, type Helper } from './threads.ts';

export type BinaryKernel = (a: number, b: number, out: number, rows: number, cols: number, ars: number, brs: number) => void;
export type UnaryKernel = (x: number, out: number, n: number) => void;
export type FusedKernel = (...pointersAndCounts: number[]) => void;

export interface WasmKernels {
  /** C = Σ_p A(r,p)·B[p,:]; see matmul.ts. Byte pointers, element counts and strides. */
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, sar: number, sap: number): void;
  /** C ← C + alpha·(the gemm product); see matmul.ts. */
  gemmAcc(a: number, b: number, c: number, m: number, n: number, k: number, sar: number, sap: number, alpha: number): void;
  /** C = A·Bᵀ; see matmul.ts. */
  gemmNT(a: number, b: number, c: number, m: number, n: number, k: number): void;
  /** Binary ops by `<op>_<ac><bc>` and unary ops by name; see elementwise.ts. */
  readonly binary: Readonly<Record<string, BinaryKernel>>;
  readonly unary: Readonly<Record<string, UnaryKernel>>;
  /** out[j] = Σ_r x[r·cols + j]; see elementwise.ts. */
  sumRows(x: number, out: number, rows: number, cols: number): void;
  /** Kernels of fused ops by name; see fused.ts. */
  readonly fused: Readonly<Record<string, FusedKernel>>;
}

export interface WasmFeatures {
  simd: boolean;
  fma: boolean;
  /** The memory is shared and large multiplies are split with a helper thread. */
  threads: boolean;
}

/** A new memory the kernels can use: shared where they import a shared one. */
export function createWasmMemory(initialPages: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: MAXIMUM_PAGES, shared });
}

/** Environment switches, where there is an environment (Node); none in a browser. */
const env: Record<string, string | undefined> = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

/** The largest memory: 4 GiB (a shared memory must declare its maximum). */
export const MAXIMUM_PAGES = 65536;

/** Modules import a shared memory where SharedArrayBuffer exists, so a helper thread can share it. */
const shared = typeof SharedArrayBuffer !== 'undefined';

function moduleBytes(fma: boolean): Uint8Array<ArrayBuffer> {
  const functions = [gemmFunction({ fma }), gemmFunction({ fma, accumulate: true }), gemmNTFunction({ fma }), ...elementwiseFunctions(), ...fusedFunctions()];
  return encodeModule(functions, { minimumPages: 1, shared, maximumPages: MAXIMUM_PAGES });
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
  if (typeof WebAssembly !== 'object' || env.DELTAGRAPH_NO_WASM === '1') return compiled;
  let fmaBytes = moduleBytes(true);
  if (!WebAssembly.validate(fmaBytes)) {
    enableRelaxedSimd();
    if (!WebAssembly.validate(fmaBytes)) fmaBytes = new Uint8Array(0);
  }
  if (fmaBytes.length > 0 && env.DELTAGRAPH_NO_FMA !== '1') {
    compiled = { module: new WebAssembly.Module(fmaBytes), features: { simd: true, fma: true, threads: false } };
    return compiled;
  }
  const plain = moduleBytes(false);
  if (WebAssembly.validate(plain)) compiled = { module: new WebAssembly.Module(plain), features: { simd: true, fma: false, threads: false } };
  return compiled;
}

/** What this runtime gives the kernels (no SIMD: the plain JS kernels run). */
export function wasmFeatures(): WasmFeatures {
  const c = compileOnce();
  return c ? { ...c.features, threads: threadsWanted() } : { simd: false, fma: false, threads: false };
}

function threadsWanted(): boolean {
  return shared && env.DELTAGRAPH_THREADS !== '1';
}

/** Multiplies smaller than this many multiply-adds stay on one thread: below it the split did not pay (W1 measured slower split). */
const SPLIT_MACS = 1 << 20;

/** The kernels bound to `memory`, or null when WebAssembly SIMD is not available. */
export function wasmKernels(memory: WebAssembly.Memory, options: { threads?: boolean } = {}): WasmKernels | null {
  const c = compileOnce();
  if (!c) return null;
  const exports = new WebAssembly.Instance(c.module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
  const pick = (test: (name: string) => boolean) => Object.fromEntries(Object.entries(exports).filter(([k]) => test(k)));
  const [gemm, gemmAcc, gemmNT] = [exports.gemm, exports.gemmAcc, exports.gemmNT];
  // The helper thread starts with the first multiply large enough to split (W1-sized work never has one).
  let helper: Helper | null | undefined = threadsWanted() && options.threads !== false ? undefined : null;
  const helperFor = (macs: number, m: number): Helper | null => {
    if (macs < SPLIT_MACS || m < 5 || helper === null) return null;
    return (helper ??= startHelper(c.module, memory));
  };
  const elementwise = {
    binary: pick((k) => /_\d\d$/.test(k)),
    unary: pick((k) => !/_\d\d$/.test(k) && !k.startsWith('gemm') && k !== 'sumRows' && !fusedKernelNames.includes(k)),
    sumRows: exports.sumRows,
    fused: pick((k) => fusedKernelNames.includes(k)),
  };
  if (helper === null) return { gemm, gemmAcc, gemmNT, ...elementwise };
  // Split C by rows: this thread takes the first ~half (a multiple of 4 rows), the helper the rest.
  const split = (m: number) => Math.max(4, Math.round(m / 8) * 4);
  return {
    gemm(a, b, cc, m, n, k, sar, sap) {
      const helper = helperFor(m * n * k, m);
      if (!helper) return gemm(a, b, cc, m, n, k, sar, sap);
      const h = split(m);
      helper.start(1, [a + 4 * h * sar, b, cc + 4 * h * n, m - h, n, k, sar, sap]);
      gemm(a, b, cc, h, n, k, sar, sap);
      helper.wait();
    },
    gemmAcc(a, b, cc, m, n, k, sar, sap, alpha) {
      const helper = helperFor(m * n * k, m);
      if (!helper) return gemmAcc(a, b, cc, m, n, k, sar, sap, alpha);
      const h = split(m);
      helper.start(3, [a + 4 * h * sar, b, cc + 4 * h * n, m - h, n, k, sar, sap], alpha);
      gemmAcc(a, b, cc, h, n, k, sar, sap, alpha);
      helper.wait();
    },
    gemmNT(a, b, cc, m, n, k) {
      const helper = helperFor(m * n * k, m);
      if (!helper) return gemmNT(a, b, cc, m, n, k);
      const h = split(m);
      helper.start(2, [a + 4 * h * k, b, cc + 4 * h * n, m - h, n, k]);
      gemmNT(a, b, cc, h, n, k);
      helper.wait();
    },
    ...elementwise,
  };
}
