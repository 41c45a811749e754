/**
 * deltagraph: networks as graphs of tensor ops, gradients by reverse-mode autodiff as more graph,
 * and a compiler that runs forward pass, backward pass and update as one program.
 */
export * from './graph/index.ts';
export { defineOp, type OpFunction } from './ops/define.ts';
export { listOps } from './ops/registry.ts';
export type { FloatArray, KernelContext, KernelFactory, OpDef, VjpContext, VjpRule } from './ops/registry.ts';
export { Rng, type Initializer, type InitializerFn, type InitializerName } from './nn/init.ts';
