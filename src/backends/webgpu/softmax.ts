/**
 * The class-axis ops on the GPU, one invocation per slice (classes are few): each shifts by the
 * slice's maximum first, so NaN or +∞ in a slice gives a NaN slice and −∞ is probability 0, as
 * the CPU kernels. A label that is not a class id is reported through the fault slot (the run
 * then throws naming the node), and its row is left NaN.
 */
import { softmaxCrossEntropyGrad } from '../../ops/fused.ts';
import { axisOf, logSoftmax, oneHot, softmax, softmaxCrossEntropy } from '../../ops/softmax.ts';
import { registerKernel, type GpuKernelContext } from '../registry.ts';
import { f32, perElement } from './wgsl.ts';

/** (outer, length, inner) around an axis. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[axis], inner];
}

/** WGSL that sets `top` (the maximum) and `total` (Σ exp(x − top)) of the slice at `at(l)`. */
function shiftedSum(length: number, at: (l: string) => string): string {
  return `  var top = -INF;
  for (var l = 0u; l < ${length}u; l++) { top = maximum_(top, ${at('l')}); }
  var total = 0.0;
  for (var l = 0u; l < ${length}u; l++) { total += exp_(${at('l')} - top); }`;
}

/** WGSL that checks a label and reports it through the fault slot; `id` is then the class. */
export function checkLabel(ctx: GpuKernelContext, label: string, row: string, classes: number): string {
  return `  let label = ${label};
  let id = u32(max(label, 0.0));
  if (!(label >= 0.0 && label < ${classes}.0 && floor(label) == label)) {
    m[${ctx.fault}u] = ${ctx.faultCode}.0; m[${ctx.fault + 1}u] = label; m[${ctx.fault + 2}u] = f32(${row});`;
}

function slices(ctx: GpuKernelContext<{ axis: number }>) {
  const shape = ctx.inputShapes[0];
  const [outer, length, inner] = around(shape, axisOf(ctx.attrs.axis, shape.length));
  // Slice i starts at (i / inner)·length·inner + i mod inner, its elements inner apart.
  const start = inner === 1 ? `i * ${length}u` : `(i / ${inner}u) * ${length * inner}u + i % ${inner}u`;
  return { n: outer * inner, length, start, stride: inner };
}

registerKernel(softmax, 'webgpu', {
  dispatches: (ctx) => {
    const { n, length, start, stride } = slices(ctx);
    const x = (l: string) => `m[${ctx.inputs[0]}u + base + ${l} * ${stride}u]`;
    const y = (l: string) => `m[${ctx.output}u + base + ${l} * ${stride}u]`;
    return [
      perElement(
        n,
        `  let base = ${start};
${shiftedSum(length, x)}
  for (var l = 0u; l < ${length}u; l++) { ${y('l')} = div_(exp_(${x('l')} - top), total); }`,
      ),
    ];
  },
});

registerKernel(logSoftmax, 'webgpu', {
  dispatches: (ctx) => {
    const { n, length, start, stride } = slices(ctx);
    const x = (l: string) => `m[${ctx.inputs[0]}u + base + ${l} * ${stride}u]`;
    return [
      perElement(
        n,
        `  let base = ${start};
${shiftedSum(length, x)}
  let lse = select(select(top + log(total), top, isInf(top) && top < 0.0), NAN, isInf(top) && top > 0.0);
  for (var l = 0u; l < ${length}u; l++) { m[${ctx.output}u + base + l * ${stride}u] = ${x('l')} - lse; }`,
      ),
    ];
  },
});

registerKernel(softmaxCrossEntropy, 'webgpu', {
  dispatches: (ctx) => {
    const [shape, labelShape] = ctx.inputShapes;
    const classes = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const sparse = labelShape.length === shape.length - 1;
    const z = (j: string) => `m[${ctx.inputs[0]}u + i * ${classes}u + ${j}]`;
    const lse = `${shiftedSum(classes, z)}
  let lse = select(select(top + log(total), top, isInf(top) && top < 0.0), NAN, isInf(top) && top > 0.0);`;
    const loss = sparse
      ? `${checkLabel(ctx, `m[${ctx.inputs[1]}u + i]`, 'i', classes)}
    m[${ctx.output}u + i] = NAN; return;
  }
  m[${ctx.output}u + i] = lse - ${z('id')};`
      : `  var loss = 0.0;
  for (var j = 0u; j < ${classes}u; j++) {
    let y = m[${ctx.inputs[1]}u + i * ${classes}u + j];
    if (y != 0.0) { loss += y * (lse - ${z('j')}); }
  }
  m[${ctx.output}u + i] = loss;`;
    return [perElement(rows, `${lse}\n${loss}`)];
  },
});

registerKernel(softmaxCrossEntropyGrad, 'webgpu', {
  dispatches: (ctx) => {
    const shape = ctx.inputShapes[0];
    const classes = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const z = (j: string) => `m[${ctx.inputs[0]}u + i * ${classes}u + ${j}]`;
    const out = (j: string) => `m[${ctx.output}u + i * ${classes}u + ${j}]`;
    return [
      perElement(
        rows,
        `${checkLabel(ctx, `m[${ctx.inputs[1]}u + i]`, 'i', classes)}
    for (var j = 0u; j < ${classes}u; j++) { ${out('j')} = NAN; }
    return;
  }
${shiftedSum(classes, z)}
  let d = m[${ctx.inputs[2]}u + i];
  for (var j = 0u; j < ${classes}u; j++) { ${out('j')} = (div_(exp_(${z('j')} - top), total) - select(0.0, 1.0, j == id)) * d; }`,
      ),
    ];
  },
});

registerKernel(oneHot, 'webgpu', {
  dispatches: (ctx) => {
    const { depth, onValue = 1, offValue = 0 } = ctx.attrs;
    const n = ctx.inputShapes[0].reduce((a, b) => a * b, 1);
    return [
      perElement(
        n,
        `${checkLabel(ctx, `m[${ctx.inputs[0]}u + i]`, 'i', depth)}
    for (var j = 0u; j < ${depth}u; j++) { m[${ctx.output}u + i * ${depth}u + j] = NAN; }
    return;
  }
  for (var j = 0u; j < ${depth}u; j++) { m[${ctx.output}u + i * ${depth}u + j] = select(${f32(offValue)}, ${f32(onValue)}, j == id); }`,
      ),
    ];
  },
});
