/**
 * deltagraph/webgpu: the WGSL kernels of the WebGPU backend. Import it once, then make a device
 * with `await Device.create({ backend: 'webgpu' })` (docs/webgpu.md).
 *
 * @example
 * import { Device } from 'deltagraph';
 * import 'deltagraph/webgpu';
 * const device = await Device.create({ backend: 'webgpu' });
 */
import './backends/webgpu/kernels.ts';

/** The ops that have a WGSL kernel once this entry is loaded. */
export { webgpuOps } from './backends/webgpu/coverage.ts';
