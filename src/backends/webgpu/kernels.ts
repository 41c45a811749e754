/**
 * Registers a WGSL kernel generator for every op the runtime runs on a GPU (docs/webgpu.md lists
 * them), and the code generator of fused elementwise kernels. Generating code needs no GPU; it
 * runs when a plan binds on a Device made with `await Device.create({ backend: 'webgpu' })`.
 */
import './conv.ts';
import './elementwise.ts';
import './matmul.ts';
import './movement.ts';
import './reduce.ts';
import './softmax.ts';
