/**
 * The wasm backend's module: compiles the generated kernels once per process and instantiates
 * them over a memory, with a helper thread when the memory is shared. Relaxed
 * SIMD (a fused multiply-add) is used where the runtime has it: Node 20 has it behind a V8 flag
 * that can be set at run time; otherwise the kernels use a multiply and an add. Where
 * WebAssembly SIMD is missing altogether, `wasmKernels` is null and the JS kernels run.
 */
import { encodeModule } from './emit.ts';
import { matMulFunctions } from './matmul.ts';
import { matMulDriver, type MatMulCall, type MatMulExports, type MatMulSpec } from './matmul-driver.ts';
import { elementwiseFunctions } from './elementwise.ts';
import { fusedFunctions, fusedKernelNames } from './fused.ts';
import { dataFunctions, dataKernelNames } from './data.ts';
import { poolFunctions, poolKernelNames } from './pool.ts';
import { helperAvailable, startHelper, type Handoff, type Helper, type HelperOptions, type HelperStats } from './threads.ts';

export type BinaryKernel = (a: number, b: number, out: number, rows: number, cols: number, ars: number, brs: number) => void;
export type UnaryKernel = (x: number, out: number, n: number) => void;
export type FusedKernel = (...pointersAndCounts: number[]) => void;

export interface WasmKernels {
  /**
   * Prepares C = op(A)·op(B) (or C += alpha·…) in any form at fixed pointers: the kernel, tile and
   * thread split are picked once for the shape; see matmul-driver.ts.
   */
  matMul(spec: MatMulSpec): MatMulCall;
  /** Binary ops by `<op>_<ac><bc>` and unary ops by name; see elementwise.ts. */
  readonly binary: Readonly<Record<string, BinaryKernel>>;
  readonly unary: Readonly<Record<string, UnaryKernel>>;
  /** out[j] = Σ_r x[r·cols + j]; see elementwise.ts. */
  sumRows(x: number, out: number, rows: number, cols: number): void;
  /** Kernels of fused ops by name; see fused.ts. */
  readonly fused: Readonly<Record<string, FusedKernel>>;
  /** dst row b ← src row indices[b] (i32 indices at `indices`), rows of `rowBytes`; see data.ts. */
  gatherRows(src: number, indices: number, n: number, rowBytes: number, dst: number): void;
  /** im2col / col2im of n NHWC images (byte pointers, n, and a pointer to the geometry as 13 i32); see data.ts. */
  im2col(images: number, cols: number, n: number, geometry: number): void;
  col2im(images: number, cols: number, n: number, geometry: number): void;
  /**
   * A hand-off point for a kernel that splits its own work (calls of this module's exports) with
   * the helper thread, under the same rules as the products; null without a helper.
   */
  handoff(): Handoff | null;
  /** Pooling kernels by name (byte pointers, then the geometry); see pool.ts. */
  readonly pool: Readonly<Record<string, FusedKernel>>;
  /** The i32 at `out` ← the index of the first non-finite float of n at src, or −1. */
  firstNonFinite(src: number, n: number, out: number): void;
  /** Whether large products are split with a helper thread. */
  readonly threaded: boolean;
  /** What became of the halves offered to the helper so far (null without one). */
  threadStats(): HelperStats | null;
  /** Ends the helper thread, if there is one. */
  dispose(): void;
}

/** What the WebAssembly runtime of this process offers; the wasm kernels use the fastest form available. */
export interface WasmFeatures {
  /** WebAssembly SIMD (128-bit vectors): the float32 kernels need it (else the js kernels run). */
  simd: boolean;
  /** Relaxed SIMD's fused multiply-add, used by the matrix kernels where present. */
  fma: boolean;
  /** Large multiplies are split with a helper thread (over a shared memory). */
  threads: boolean;
}

/**
 * A new memory the kernels can use. Unshared unless asked: copies into a shared buffer take a
 * slower path in V8 (a batch of scattered MNIST rows costs 3 µs more per step), so a Device's
 * memory moves to a shared one only when a plan has a product large enough for the helper thread.
 */
export function createWasmMemory(initialPages: number, shared = false): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: MAXIMUM_PAGES, shared });
}

/** Environment switches, where there is an environment (Node); none in a browser. */
const env: Record<string, string | undefined> = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

/** The largest memory: 4 GiB (a shared memory must declare its maximum). */
export const MAXIMUM_PAGES = 65536;

/** Whether this runtime can share a memory with a helper thread. */
const canShare = typeof SharedArrayBuffer !== 'undefined';

function moduleBytes(fma: boolean, shared: boolean): Uint8Array<ArrayBuffer> {
  const functions = [
    ...matMulFunctions(fma),
    ...elementwiseFunctions(),
    ...fusedFunctions(),
    ...dataFunctions(),
    ...poolFunctions(),
  ];
  return encodeModule(functions, { minimumPages: 1, shared, maximumPages: MAXIMUM_PAGES });
}

let compiled: { module: WebAssembly.Module; features: WasmFeatures } | null | undefined;
/** The same kernels importing a shared memory, compiled the first time a memory is shared. */
let compiledShared: WebAssembly.Module | undefined;

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
  let fmaBytes = moduleBytes(true, false);
  if (!WebAssembly.validate(fmaBytes)) {
    enableRelaxedSimd();
    if (!WebAssembly.validate(fmaBytes)) fmaBytes = new Uint8Array(0);
  }
  if (fmaBytes.length > 0 && env.DELTAGRAPH_NO_FMA !== '1') {
    compiled = { module: new WebAssembly.Module(fmaBytes), features: { simd: true, fma: true, threads: false } };
    return compiled;
  }
  const plain = moduleBytes(false, false);
  if (WebAssembly.validate(plain)) compiled = { module: new WebAssembly.Module(plain), features: { simd: true, fma: false, threads: false } };
  return compiled;
}

/** The compiled kernels for a memory, shared or not. */
function moduleFor(memory: WebAssembly.Memory): WebAssembly.Module {
  const c = compileOnce()!;
  if (!isShared(memory)) return c.module;
  return (compiledShared ??= new WebAssembly.Module(moduleBytes(c.features.fma, true)));
}

/** Whether a memory is shared (so a helper thread can work on it). */
export const isShared = (memory: WebAssembly.Memory) => canShare && memory.buffer instanceof SharedArrayBuffer;

/** What this runtime gives the kernels (no SIMD: the plain JS kernels run). */
export function wasmFeatures(): WasmFeatures {
  const c = compileOnce();
  return c ? { ...c.features, threads: threadsWanted() } : { simd: false, fma: false, threads: false };
}

/**
 * Whether a helper thread can run here: SharedArrayBuffer and a worker to start (Node's
 * worker_threads, or a Web Worker in a cross-origin isolated page), and DELTAGRAPH_THREADS is not 1.
 */
export function threadsWanted(): boolean {
  return helperAvailable();
}

/**
 * The kernels bound to `memory`, or null when WebAssembly SIMD is not available. Over a shared
 * memory with `threads`, a helper thread takes half of every product large enough to split
 * (`helper`: how it behaves, for tests).
 */
export function wasmKernels(memory: WebAssembly.Memory, options: { threads?: boolean; helper?: HelperOptions } = {}): WasmKernels | null {
  if (!compileOnce()) return null;
  const module = moduleFor(memory);
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
  const pick = (test: (name: string) => boolean) => Object.fromEntries(Object.entries(exports).filter(([k]) => test(k)));
  const helper = options.threads && threadsWanted() && isShared(memory) ? startHelper(module, memory, exports, options.helper) : null;
  return {
    matMul: matMulDriver(exports as MatMulExports, helper),
    binary: pick((k) => /_\d\d$/.test(k)),
    unary: pick((k) => !/_\d\d$/.test(k) && !/^(gemm|packB|countNonZero|sparseRows|transpose)/.test(k) && k !== 'sumRows' && !fusedKernelNames.includes(k) && !dataKernelNames.includes(k) && !poolKernelNames.includes(k)),
    sumRows: exports.sumRows,
    fused: pick((k) => fusedKernelNames.includes(k)),
    gatherRows: exports.gatherRows,
    im2col: exports.im2col,
    col2im: exports.col2im,
    pool: pick((k) => poolKernelNames.includes(k)),
    handoff: () => helper?.handoff() ?? null,
    firstNonFinite: exports.firstNonFinite,
    threaded: helper !== null,
    threadStats: () => helper?.stats() ?? null,
    dispose: () => helper?.terminate(),
  };
}
