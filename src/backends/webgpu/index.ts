/**
 * The WebGPU backend: importing this module registers a WGSL kernel generator for every op the
 * runtime runs on a GPU (see docs/webgpu.md for the list). Generating code needs no GPU; running
 * it needs a Device made with `await Device.create({ backend: 'webgpu' })`.
 */
import './conv.ts';
import './elementwise.ts';
import './matmul.ts';
import './movement.ts';
import './reduce.ts';
import './softmax.ts';

export { GpuArena, GpuRows } from './arena.ts';
export { GpuContext, GpuError, webgpuUnavailable, type GpuInfo } from './context.ts';
export { elementwiseDispatch, isFusable, broadcastAxesStrides, type Expr } from './elementwise.ts';
export { broadcastStrides } from './wgsl.ts';
