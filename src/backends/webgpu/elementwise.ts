/**
 * Elementwise ops on the GPU as expressions: each op is a WGSL expression of its arguments, so a
 * chain of them (the runtime's fusion step groups it) is one kernel that reads each input once
 * and writes one output, with no buffer in between. An argument is another expression or a load
 * of an input with strides per output dimension (0 where it is broadcast: a bias row, a scalar,
 * or broadcastAxes, the gradient of a reduction).
 */
import { broadcastAxes } from '../../ops/reduce.ts';
import * as op from '../../ops/elementwise.ts';
import { reluGrad } from '../../ops/fused.ts';
import type { OpDef } from '../../ops/registry.ts';
import { registerGpuCodegen, registerKernel, type GpuDispatch, type GpuKernel } from '../registry.ts';
import { fusableOps, type Expr } from './expr.ts';
import { broadcastAxesStrides, broadcastStrides, stridedIndex } from './indexing.ts';
import { f32, perElement } from './wgsl.ts';


type Emit = (args: readonly string[], attrs: Readonly<Record<string, unknown>>) => string;

/** WGSL for each elementwise op, by name; the functions with a trailing _ are in the prelude. */
const emitters: Readonly<Record<string, Emit>> = {
  neg: ([x]) => `(-${x})`,
  exp: ([x]) => `exp_(${x})`,
  log: ([x]) => `log_(${x})`,
  sqrt: ([x]) => `sqrt_(${x})`,
  square: ([x]) => `(${x} * ${x})`,
  abs: ([x]) => `abs(${x})`,
  sign: ([x]) => `sign_(${x})`,
  step: ([x], { alpha }) => `step_(${x}, ${f32(typeof alpha === 'number' ? alpha : 0)})`,
  reluGrad: ([dy, y]) => `(${dy} * step_(${y}, 0.0))`,
  sigmoid: ([x]) => `sigmoid_(${x})`,
  tanh: ([x]) => `tanh_(${x})`,
  relu: ([x]) => `relu_(${x})`,
  softplus: ([x]) => `softplus_(${x})`,
  softsign: ([x]) => `softsign_(${x})`,
  add: ([a, b]) => `(${a} + ${b})`,
  sub: ([a, b]) => `(${a} - ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  div: ([a, b]) => `div_(${a}, ${b})`,
  maximum: ([a, b]) => `maximum_(${a}, ${b})`,
  equal: ([a, b]) => `equal_(${a}, ${b})`,
  pow: ([a, b]) => `pow_(${a}, ${b})`,
  where: ([c, a, b]) => `where_(${c}, ${a}, ${b})`,
  // Int values are whole floats: to int rounds toward zero (NaN and ±∞ are refused on the CPU, kept here).
  cast: ([x], { dtype }) => (dtype === 'int' ? `select(trunc(${x}), ${x}, isNan(${x}) || isInf(${x}))` : x),
};


/** Values each leaf is read as; the strides walk `outShape`. */
function emit(expr: Expr, offsets: readonly number[], outShape: readonly number[], loads: Map<string, string>): string {
  if (expr.kind === 'load') {
    const at = `m[${offsets[expr.input]}u + ${stridedIndex('i', outShape, expr.strides)}]`;
    // The same load read twice (x·x, or a fan-out inside the group) is one variable.
    let name = loads.get(at);
    if (!name) loads.set(at, (name = `v${loads.size}`));
    return name;
  }
  const emitter = emitters[expr.op];
  return emitter(expr.args.map((a) => emit(a, offsets, outShape, loads)), expr.attrs);
}

/** One kernel for an expression: output element i = expr at i, for the `outShape` it walks. */
export function elementwiseDispatch(expr: Expr, outShape: readonly number[], offsets: readonly number[], output: number): GpuDispatch {
  const n = outShape.reduce((a, b) => a * b, 1);
  const loads = new Map<string, string>();
  const value = emit(expr, offsets, outShape, loads);
  const body = [...loads].map(([at, name]) => `  let ${name} = ${at};`).join('\n');
  return perElement(n, `${body}\n  m[${output}u + i] = ${value};`);
}

/** The kernel of one unfused elementwise op: its inputs loaded with numpy broadcasting. */
function single(name: string): GpuKernel {
  return {
    dispatches: ({ inputs, inputShapes, outputShape, output, attrs }) => {
      const args: Expr[] = inputShapes.map((s, k) => ({ kind: 'load', input: k, strides: broadcastStrides(s, outputShape) }));
      return [elementwiseDispatch({ kind: 'op', op: name, attrs, args }, outputShape, inputs, output)];
    },
  };
}

const elementwiseOps: Readonly<Record<string, OpDef>> = { ...(op as unknown as Record<string, OpDef>), reluGrad: reluGrad as unknown as OpDef };
for (const name of fusableOps) {
  if (!emitters[name]) throw new Error(`webgpu: the fusable op '${name}' has no WGSL emitter`);
  registerKernel(elementwiseOps[name], 'webgpu', single(name));
}
registerGpuCodegen({ elementwise: elementwiseDispatch });

registerKernel(broadcastAxes, 'webgpu', {
  dispatches: ({ inputs, inputShapes: [xShape], outputShape, output, attrs: { axes, keepDims } }) => {
    const normalized = axes.map((a) => (a < 0 ? a + outputShape.length : a));
    return [elementwiseDispatch({ kind: 'load', input: 0, strides: broadcastAxesStrides(xShape, outputShape, normalized, keepDims) }, outputShape, inputs, output)];
  },
});
