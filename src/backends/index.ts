/**
 * The backends: 'js' kernels for every op and dtype, 'wasm' kernels for float32 where WebAssembly
 * SIMD pays. Importing this module registers them all.
 */
import './js/index.ts';
import './wasm/index.ts';

export { kernelOf, registerKernel, type Backend, type FloatArray, type Kernel, type KernelContext, type KernelFactory, type ShapeContext, type WasmKernelContext } from './registry.ts';
export { createWasmMemory, isShared, threadsWanted, wasmFeatures, wasmKernels, type WasmFeatures, type WasmKernels } from './wasm/module.ts';
export type { HelperStats } from './wasm/threads.ts';
