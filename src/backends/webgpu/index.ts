/**
 * The WebGPU backend's runtime side, in every build: finding a GPU (context.ts), the device
 * memory (arena.ts), and what the runtime's fusion step needs (expr.ts, indexing.ts). The WGSL
 * kernels themselves are registered by kernels.ts, loaded through the package entry
 * `deltagraph/webgpu`, so that pages that never use a GPU do not download them.
 */
export { GpuArena, GpuRows } from './arena.ts';
export { GpuContext, GpuError, webgpuUnavailable, type GpuInfo } from './context.ts';
export { isFusable, fusableOps, type Expr } from './expr.ts';
export { broadcastAxesStrides, broadcastStrides } from './indexing.ts';
