/** Registers every built-in op (each file registers its family when imported). */
import './sources.ts';
import './elementwise.ts';
import './reduce.ts';
import './matmul.ts';
import './movement.ts';
import './nn.ts';
import './random.ts';

export { defineOp } from './define.ts';
export { getOp, listOps, registerOp } from './registry.ts';
export type { FloatArray, KernelContext, KernelFactory, OpDef, VjpContext, VjpRule } from './registry.ts';
