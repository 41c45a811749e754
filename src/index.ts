/**
 * deltagraph: networks as graphs of tensor ops, gradients by reverse-mode autodiff as more graph,
 * and a compiler that runs forward pass, backward pass and update as one program.
 *
 * @module deltagraph
 */
import './backends/index.ts';
import './nn/layers.ts';

export { DeltaGraphError, GraphError, NumericsError, RuleError, RunError, ShapeError } from './core/errors.ts';
export { ancestors, describeNode, type Attrs, type DType, type IR, type Node } from './core/ir.ts';
export { Rng, type RngPosition } from './core/rng.ts';
export { formatShape, type Dim, type Shape } from './core/shape.ts';
export type { Padding } from './ops/conv.ts';
export { getOp, hasTrait, isOp, listOps, ops, type OpDef, type Trait, type VjpContext, type VjpRule } from './ops/index.ts';
export * from './graph/index.ts';
export type { HelperStats } from './backends/wasm/threads.ts';
export { GpuError, kernelOf, registerKernel, wasmFeatures, type FloatArray, type GpuDispatch, type GpuInfo, type GpuKernel, type GpuKernelContext, type Kernel, type KernelContext, type KernelFactory, type ShapeContext, type WasmFeatures, type WasmKernelContext } from './backends/index.ts';
export * from './runtime/index.ts';
export { applyActivation, avgPool2d, batchNorm, conv2d, dense, dropout, embedding, flatten, globalAveragePooling2d, layerNorm, maxPool2d, type Activation, type BatchNormOptions, type Conv2dOptions, type DenseOptions, type EmbeddingOptions, type LayerNormOptions, type LayerRecord, type Pool2dOptions } from './nn/layers.ts';
