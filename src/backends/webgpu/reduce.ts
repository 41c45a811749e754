/**
 * Reductions on the GPU. Output o reduces the elements r < R of its slice: one invocation per
 * output looping over its slice, or a workgroup per output (each invocation a strided share,
 * then a tree in workgroup memory) when slices are long and outputs few, as batch
 * normalisation's statistics over every pixel of a batch are.
 */
import { axesOf, count, logSumExp, max, sum } from '../../ops/reduce.ts';
import { registerKernel, type GpuDispatch, type ShapeContext } from '../registry.ts';
import { strides, stridedIndex } from './indexing.ts';
import { f32, grid, perElement, prelude } from './wgsl.ts';

/** A reduction's slices: output o and element r of its slice read m[input + index(o, r)]. */
export interface Slices {
  readonly outputs: number;
  readonly length: number;
  /** WGSL of the element's index from u32 variables named by `o` and `r`. */
  readonly index: (o: string, r: string) => string;
}

/** The slices of a reduction of `shape` over `axes`. */
export function slicesOf(shape: readonly number[], axes: readonly number[]): Slices {
  const own = strides(shape);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptShape = kept.map((d) => shape[d]);
  const reducedShape = axes.map((d) => shape[d]);
  return {
    outputs: keptShape.reduce((a, b) => a * b, 1),
    length: reducedShape.reduce((a, b) => a * b, 1),
    index: (o, r) => `(${stridedIndex(o, keptShape, kept.map((d) => own[d]))} + ${stridedIndex(r, reducedShape, axes.map((d) => own[d]))})`,
  };
}

const GROUP = 128;

/**
 * A reduction `acc = combine(acc, x)` from `init` over each slice, then `finish(acc)` into the
 * output. `combine` must be associative (the workgroup form adds shares in a tree).
 */
export function reduceDispatch(input: number, output: number, slices: Slices, init: string, combine: (acc: string, x: string) => string, finish = (acc: string) => acc): GpuDispatch {
  const { outputs, length, index } = slices;
  // A workgroup per output only for long slices and few outputs: its barriers are slow on emulators
  // (a bias gradient, 800 sums of 128, took 36% of a W2 step on SwiftShader that way).
  if (length <= 1024 || outputs >= 256) {
    return perElement(
      outputs,
      `  var acc = ${init};
  for (var r = 0u; r < ${length}u; r++) { acc = ${combine('acc', `m[${input}u + ${index('i', 'r')}]`)}; }
  m[${output}u + i] = ${finish('acc')};`,
    );
  }
  const code = `${prelude}
var<workgroup> shares: array<f32, ${GROUP}>;
@compute @workgroup_size(${GROUP})
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  initSpecials(min(lid.x, 0u));
  let o = wid.x + wid.y * groups.x;
  let t = lid.x;
  var acc = ${init};
  if (o < ${outputs}u) {
    for (var r = t; r < ${length}u; r += ${GROUP}u) { acc = ${combine('acc', `m[${input}u + ${index('o', 'r')}]`)}; }
  }
  shares[t] = acc;
  workgroupBarrier();
  for (var half = ${GROUP / 2}u; half > 0u; half >>= 1u) {
    if (t < half) { shares[t] = ${combine('shares[t]', 'shares[t + half]')}; }
    workgroupBarrier();
  }
  if (t == 0u && o < ${outputs}u) { m[${output}u + o] = ${finish('shares[0]')}; }
}
`;
  return { code, workgroups: grid(outputs, 1) };
}

type ReduceContext = ShapeContext<{ axes: number | readonly number[] | null; keepDims: boolean }>;
const slicesFor = ({ inputShapes: [shape], attrs }: ReduceContext) => slicesOf(shape, axesOf(attrs, shape.length));

registerKernel(sum, 'webgpu', {
  dispatches: (ctx) => [reduceDispatch(ctx.inputs[0], ctx.output, slicesFor(ctx), '0.0', (a, x) => `(${a} + ${x})`)],
});

registerKernel(max, 'webgpu', {
  dispatches: (ctx) => [reduceDispatch(ctx.inputs[0], ctx.output, slicesFor(ctx), '(-INF)', (a, x) => `maximum_(${a}, ${x})`)],
});

/** log Σ exp over each slice, shifted by its maximum: +∞ in a slice gives +∞, all −∞ gives −∞, NaN gives NaN (as the CPU kernels). */
registerKernel(logSumExp, 'webgpu', {
  dispatches: (ctx) => {
    const { outputs, length, index } = slicesFor(ctx);
    const at = (r: string) => `m[${ctx.inputs[0]}u + ${index('i', r)}]`;
    return [
      perElement(
        outputs,
        `  var top = -INF;
  for (var r = 0u; r < ${length}u; r++) { top = maximum_(top, ${at('r')}); }
  var total = 0.0;
  for (var r = 0u; r < ${length}u; r++) { total += exp_(${at('r')} - top); }
  m[${ctx.output}u + i] = select(top + log_(total), top, isInf(top));`,
      ),
    ];
  },
});

registerKernel(count, 'webgpu', {
  dispatches: ({ inputShapes: [shape], attrs, output }) => {
    const n = axesOf(attrs, shape.length).reduce((p, d) => p * shape[d], 1);
    return [perElement(1, `  m[${output}u] = ${f32(n)};`)];
  },
});
