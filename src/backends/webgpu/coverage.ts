import { listOps } from '../../ops/index.ts';
import { kernelOf } from '../registry.ts';

/** The names of the ops with a WebGPU kernel (the rest are refused when a program for a GPU device is compiled). */
export function webgpuOps(): string[] {
  return listOps()
    .filter((op) => kernelOf(op.name, 'webgpu') !== undefined)
    .map((op) => op.name);
}
