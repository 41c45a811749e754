/**
 * WebGPU for the tests, in Node: the npm package webgpu (Dawn) over Mesa's llvmpipe (Vulkan on
 * the CPU, from bookworm-backports: scripts/ensure-webgpu.mjs installs it). One device per test
 * file, with the default limits but the buffer sizes (what production devices get). A machine
 * without an adapter fails here with what to install: GPU tests are never skipped in silence.
 * `runGpuKernel` runs one op's WGSL kernel on given values (NaN included, which feeds refuse),
 * its buffers always at the same offsets so that repeated runs of one shape reuse the pipeline.
 */
import { create, globals } from 'webgpu';
import { Device, getOp, kernelOf, type GpuKernelContext } from '../../../src/index.ts';
import '../../../src/webgpu.ts';
import { GpuSteps } from '../../../src/runtime/gpu-steps.ts';
import type { Attrs } from '../../../src/core/ir.ts';

Object.assign(globalThis, globals);
// Kept referenced for the whole run: a collected GPU object crashes Dawn's Node binding.
const gpu = create([]);
(globalThis as { __deltagraphGpu?: unknown }).__deltagraphGpu = gpu;

let shared: Promise<Device> | null = null;

/** The test device (made once per file). */
export function gpuDevice(): Promise<Device> {
  shared ??= Device.create({ backend: 'webgpu', gpu }).catch((e: Error) => {
    throw new Error(`WebGPU tests need a WebGPU adapter in Node: ${e.message}. Run \`node scripts/ensure-webgpu.mjs\` (as root it installs mesa-vulkan-drivers from bookworm-backports).`);
  });
  return shared;
}

/** Elements between the buffers of runGpuKernel (inputs, output, scratch, state, fault). */
const SLOT = 1 << 18;
let region: number | null = null;

/** Runs op's WGSL kernel on `values` (one array per input, of `shapes`); resolves to its output (and the fault slot). */
export async function runGpuKernel(op: string, values: readonly (readonly number[])[], shapes: readonly (readonly number[])[], attrs: Attrs = {}, options: { training?: boolean; steps?: number } = {}): Promise<{ output: number[]; fault: number[] }> {
  const device = await gpuDevice();
  const memory = device.memory;
  region ??= memory.alloc(SLOT * 12, () => 'the kernel test region');
  const outputShape = getOp(op).shape(shapes as number[][], attrs) as number[];
  const size = outputShape.reduce((a, b) => a * b, 1);
  const kernel = kernelOf(op, 'webgpu');
  if (!kernel) throw new Error(`op '${op}' has no webgpu kernel`);
  const context = { inputShapes: shapes as number[][], outputShape, attrs };
  const scratch = kernel.scratch?.(context) ?? 0;
  const state = kernel.state?.(context) ?? 0;
  if ([...values.map((v) => v.length), size, scratch].some((n) => n > SLOT)) throw new Error('runGpuKernel: a buffer is larger than a slot');
  const at = (k: number) => region! + k * SLOT;
  const ctx: GpuKernelContext = { ...context, inputs: values.map((_, k) => at(k)), output: at(8), scratch: at(9), state: at(10), training: options.training ?? false, fault: at(11), faultCode: 1 };
  const steps = new GpuSteps(device.gpu!, memory.gpu!, [{ label: `${op} under test`, dispatches: kernel.dispatches(ctx) }]);
  await steps.ready();
  // The output starts as a marker, so elements a kernel never writes show up.
  const writes: [number, Float32Array][] = [...values.map((v, k) => [at(k), Float32Array.from(v)] as [number, Float32Array]), [at(8), new Float32Array(size).fill(-12345)], [at(11), new Float32Array(3)]];
  if (state > 0) writes.push([at(10), new Float32Array(state)]);
  let result: Float32Array[] = [];
  for (let s = 0; s < (options.steps ?? 1); s++) {
    result = await steps.submit(s === 0 ? writes : [], [], [[at(8), size], [at(11), 3]])!;
  }
  await device.gpu!.checkErrors();
  return { output: Array.from(result[0]), fault: Array.from(result[1]) };
}

/** A new WebGPU device of its own (parameters by the same names as another test's do not clash). */
export async function newGpuDevice(): Promise<Device> {
  await gpuDevice();
  return Device.create({ backend: 'webgpu', gpu });
}
