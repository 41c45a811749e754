/**
 * The backends: 'js' kernels for every op and dtype, 'wasm' kernels for float32 where WebAssembly
 * SIMD pays (importing this module registers both), and the runtime side of 'webgpu' (its WGSL
 * kernels are registered by webgpu/kernels.ts, the entry deltagraph/webgpu).
 */
import './js/index.ts';
import './wasm/index.ts';
export * from './webgpu/index.ts';

export { gpuCodegen, kernelOf, registerGpuCodegen, registerKernel, type GpuCodegen, type Backend, type FloatArray, type GpuDispatch, type GpuKernel, type GpuKernelContext, type Kernel, type KernelContext, type KernelFactory, type ShapeContext, type WasmKernelContext } from './registry.ts';
export { createWasmMemory, isShared, threadsWanted, wasmFeatures, wasmKernels, type WasmFeatures, type WasmKernels } from './wasm/module.ts';
export type { HelperStats } from './wasm/threads.ts';
