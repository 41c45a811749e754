/**
 * How ops run: kernels registered per op and backend. 'js' kernels run any dtype and every op has
 * one; 'wasm' kernels run float32 over a WebAssembly memory where they pay; 'webgpu' kernels
 * generate WGSL compute shaders over a GPU buffer (the Device's memory). A kernel gets
 * buffers, shapes, attributes, scratch and `fail` — never graph nodes — so kernels know nothing
 * of graphs, and the runtime picks the backend per node in one place.
 */
import { GraphError } from '../core/errors.ts';
import type { Attrs } from '../core/ir.ts';
import type { OpDef } from '../ops/registry.ts';
import type { WasmKernels } from './wasm/module.ts';
import type { Expr } from './webgpu/expr.ts';

/**
 * The buffers kernels read and write: float32 programs use Float32Array, float64 programs Float64Array
 * (ints are stored in the program's precision).
 */
export type FloatArray = Float32Array | Float64Array;

/** The shapes and attributes of one node in a plan: enough to size scratch or pick a kernel. */
export interface ShapeContext<A extends Attrs = Attrs> {
  /** The shape of each input, in order. */
  readonly inputShapes: readonly (readonly number[])[];
  /** The shape of the output. */
  readonly outputShape: readonly number[];
  /** The node's attributes (an op's options, e.g. `{ axes, keepDims }`). */
  readonly attrs: A;
}

/** What a kernel factory is given once, when a plan binds. */
export interface KernelContext<A extends Attrs = Attrs> extends ShapeContext<A> {
  /** The input buffers, in the node's input order (views on the device memory). */
  readonly inputs: readonly FloatArray[];
  /** The output buffer, of the output shape's size. */
  readonly output: FloatArray;
  /** False in programs compiled for inference: dropout and the like behave accordingly. */
  readonly training: boolean;
  /** Working memory the kernel asked for with `scratch` (free again after the call), else empty. */
  readonly scratch: FloatArray;
  /**
   * The kernel's own state from one step to the next (e.g. a random stream), one object per node
   * of the plan: the factory runs again when the plan binds again (after the memory grows or
   * moves), and what it keeps here carries on instead of starting over.
   */
  readonly state: Record<string, unknown>;
  /** Throws a RunError naming the node and the user's line that built it: for bad values at run time. */
  readonly fail: (message: string) => never;
}

/** A wasm kernel also gets the module's kernels bound to the memory; pointers are byteOffsets. */
export interface WasmKernelContext<A extends Attrs = Attrs> extends KernelContext<A> {
  /** The WebAssembly module's kernels, bound to the device memory. */
  readonly wasm: WasmKernels;
}

/**
 * A kernel factory runs when a plan binds (once, and again if the memory grows or moves) and
 * returns the closure that runs on every step; do the
 * index arithmetic in the factory so the closure is a plain loop that allocates nothing.
 */
export type KernelFactory<A extends Attrs = Attrs, C extends KernelContext<A> = KernelContext<A>> = (ctx: C) => () => void;

/**
 * A kernel as registered for an op and a backend: the factory that binds it, and what the plan asks of
 * it before (scratch, whether it handles the shapes, whether it splits with the helper thread). A bare
 * `KernelFactory` is a kernel with none of the options.
 */
export interface Kernel<A extends Attrs = Attrs, C extends KernelContext<A> = KernelContext<A>> {
  /** Makes the closure that runs the op on every step (see {@link KernelFactory}). */
  readonly run: KernelFactory<A, C>;
  /** Elements of working memory the kernel needs beyond its output (e.g. packed operands). */
  readonly scratch?: (ctx: ShapeContext<A>) => number;
  /** Whether this kernel handles these shapes (default yes); if not, the js kernel runs. */
  readonly supports?: (ctx: ShapeContext<A>) => boolean;
  /** Whether it would split its work with the helper thread (so the memory must be shared first). */
  readonly parallel?: (ctx: ShapeContext<A>) => boolean;
}

/**
 * What a WebGPU kernel is given when a plan binds: where its buffers are in the device memory
 * (element offsets into one storage buffer, bound as `m: array<f32>`), not the values.
 */
export interface GpuKernelContext<A extends Attrs = Attrs> extends ShapeContext<A> {
  /** Element offsets of the inputs in the device memory (`m[inputs[k] + i]` is element i of input k). */
  readonly inputs: readonly number[];
  /** Element offset of the output. */
  readonly output: number;
  /** Working memory the kernel asked for with `scratch` (free again after the call). */
  readonly scratch: number;
  /** Elements the kernel asked for with `state`: kept from step to step, zero at first. */
  readonly state: number;
  /** False in programs compiled for inference: dropout and the like behave accordingly. */
  readonly training: boolean;
  /**
   * Where a kernel that finds a bad value (a label out of range) writes [code, value, index]:
   * the code is `faultCode`; the runtime reads it with the outputs and throws a RunError naming
   * the node.
   */
  readonly fault: number;
  /** This kernel's code in the fault slot (its position in the plan, from 1). */
  readonly faultCode: number;
}

/** One compute dispatch: a complete WGSL module (entry point `main`) and its workgroup grid. */
export interface GpuDispatch {
  /** The WGSL module: binds the device memory as `m` (group 0, binding 0) and has the entry point `main`. */
  readonly code: string;
  /** Workgroups along x, y and z (each at most 65535). */
  readonly workgroups: readonly [number, number, number];
}

/**
 * A WebGPU kernel: WGSL generated for one node of a plan (its shapes and buffer offsets known),
 * registered with `registerKernel(op, 'webgpu', kernel)`.
 */
export interface GpuKernel<A extends Attrs = Attrs> {
  /** The dispatches that compute the node, in order (later ones see what earlier ones wrote). */
  readonly dispatches: (ctx: GpuKernelContext<A>) => readonly GpuDispatch[];
  /** Elements of working memory the kernel needs beyond its output (partial sums of a split product). */
  readonly scratch?: (ctx: ShapeContext<A>) => number;
  /** Elements of memory the kernel keeps between steps (a random stream's counter). */
  readonly state?: (ctx: ShapeContext<A>) => number;
}

/** What the runtime asks of the WebGPU kernels beyond ops: the kernel of a fused elementwise chain. */
export interface GpuCodegen {
  elementwise(expr: Expr, outShape: readonly number[], offsets: readonly number[], output: number): GpuDispatch;
}

let codegen: GpuCodegen | null = null;

/** Registered by the WebGPU kernels (the entry deltagraph/webgpu). */
export function registerGpuCodegen(c: GpuCodegen): void {
  codegen = c;
}

/** The WebGPU code generator, or null when the kernels are not loaded. */
export function gpuCodegen(): GpuCodegen | null {
  return codegen;
}

export type Backend = 'js' | 'wasm' | 'webgpu';

interface Entry {
  js?: Kernel;
  wasm?: Kernel<Attrs, WasmKernelContext>;
  webgpu?: GpuKernel;
}

const kernels = new Map<string, Entry>();

/**
 * Registers how `op` runs on a backend: `'js'` (every op has one; float32 and float64) or `'wasm'`
 * (float32, where a SIMD kernel pays; it may decline shapes with `supports`). The plan runs the wasm
 * kernel where one is registered and supports the shapes, else the js one. An op gets one kernel per
 * backend.
 *
 * @example
 * registerKernel(myOp, 'js', ({ inputs: [x], output }) => () => {
 *   for (let i = 0; i < output.length; i++) output[i] = 2 * x[i];
 * });
 */
export function registerKernel<A extends Attrs>(op: OpDef<A>, backend: 'js', kernel: Kernel<A> | KernelFactory<A>): void;
/** Registers a float32 WebAssembly kernel for `op`: as the js form, its context also holds the module's kernels (`wasm`). */
export function registerKernel<A extends Attrs>(op: OpDef<A>, backend: 'wasm', kernel: Kernel<A, WasmKernelContext<A>> | KernelFactory<A, WasmKernelContext<A>>): void;
export function registerKernel<A extends Attrs>(op: OpDef<A>, backend: 'webgpu', kernel: GpuKernel<A>): void;
export function registerKernel(op: OpDef, backend: Backend, kernel: Kernel<Attrs, never> | KernelFactory<Attrs, never> | GpuKernel<never>): void {
  if (backend !== 'js' && backend !== 'wasm' && backend !== 'webgpu') throw new GraphError(`registerKernel: unknown backend '${String(backend)}' (js, wasm or webgpu)`);
  const entry = kernels.get(op.name) ?? {};
  if (entry[backend]) throw new GraphError(`registerKernel: op '${op.name}' has a ${backend} kernel already`);
  if (backend === 'webgpu') entry.webgpu = kernel as GpuKernel;
  else entry[backend] = (typeof kernel === 'function' ? { run: kernel } : kernel) as Kernel;
  kernels.set(op.name, entry);
}

/** The kernel of an op on a backend, if registered. */
export function kernelOf(op: string, backend: 'js'): Kernel | undefined;
export function kernelOf(op: string, backend: 'wasm'): Kernel<Attrs, WasmKernelContext> | undefined;
export function kernelOf(op: string, backend: 'webgpu'): GpuKernel | undefined;
export function kernelOf(op: string, backend: Backend): Kernel | Kernel<Attrs, WasmKernelContext> | GpuKernel | undefined {
  return kernels.get(op)?.[backend];
}
