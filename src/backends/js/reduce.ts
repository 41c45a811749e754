/**
 * Reductions in plain JS. A reduction over a contiguous block of axes walks the data as
 * (outer, length, inner); any other set of axes uses an index map built once per plan.
 */
import { normalizeAxes } from '../../core/shape-rules.ts';
import { axesOf, broadcastAxes, count, logSumExp, max, sum, type ReductionAttrs } from '../../ops/reduce.ts';
import { registerKernel, type FloatArray, type KernelFactory } from '../registry.ts';
import { reductionIndexMap } from './indexing.ts';

/** The reduced axes, sorted and non-negative, as every kernel here takes them. */
type AxesAttrs = { readonly axes: readonly number[] };

type Accumulate = { init: number; step: (acc: number, x: number) => number };

const add: Accumulate = { init: 0, step: (acc, x) => acc + x };
const larger: Accumulate = { init: -Infinity, step: (acc, x) => (x > acc || Number.isNaN(x) ? x : acc) };

/** (outer, length, inner) when `axes` is one contiguous block, else null. */
export function block(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return [shape.reduce((a, b) => a * b, 1), 1, 1];
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return null;
  const prod = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return [prod(0, axes[0]), prod(axes[0], axes[axes.length - 1] + 1), prod(axes[axes.length - 1] + 1, shape.length)];
}

function reduceInto(acc: Accumulate, x: FloatArray, out: FloatArray, shape: readonly number[], axes: readonly number[]) {
  const b = block(shape, axes);
  const { init, step } = acc;
  if (b && b[2] === 1) {
    // The last axes reduced (a sum per row): one running value per output.
    const [outer, length] = b;
    return () => {
      for (let o = 0; o < outer; o++) {
        let value = init;
        for (let l = o * length, end = l + length; l < end; l++) value = step(value, x[l]);
        out[o] = value;
      }
    };
  }
  if (b) {
    const [outer, length, inner] = b;
    return () => {
      out.fill(init);
      for (let o = 0; o < outer; o++) {
        const base = o * length * inner;
        const ob = o * inner;
        for (let l = 0; l < length; l++) {
          const row = base + l * inner;
          for (let k = 0; k < inner; k++) out[ob + k] = step(out[ob + k], x[row + k]);
        }
      }
    };
  }
  const map = reductionIndexMap(shape, axes);
  return () => {
    out.fill(init);
    for (let i = 0; i < x.length; i++) out[map[i]] = step(out[map[i]], x[i]);
  };
}

const sumKernel: KernelFactory<AxesAttrs> = ({ inputs: [x], output, inputShapes: [shape], attrs }) =>
  reduceInto(add, x, output, shape, attrs.axes);

const maxKernel: KernelFactory<AxesAttrs> = ({ inputs: [x], output, inputShapes: [shape], attrs }) =>
  reduceInto(larger, x, output, shape, attrs.axes);

/** log Σ exp(x): the maximum first, so exp never overflows. */
const logSumExpKernel: KernelFactory<AxesAttrs> = ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
  const findMax = reduceInto(larger, x, output, shape, attrs.axes);
  const map = reductionIndexMap(shape, attrs.axes);
  const sums = new Float64Array(output.length);
  return () => {
    findMax();
    sums.fill(0);
    for (let i = 0; i < x.length; i++) {
      const m = output[map[i]];
      sums[map[i]] += m === -Infinity ? 0 : Math.exp(x[i] - m);
    }
    for (let j = 0; j < output.length; j++) {
      const m = output[j];
      if (m !== -Infinity && m !== Infinity) output[j] = m + Math.log(sums[j]);
    }
  };
};

/** Repeats x (the reduced shape) along `axes` of the output shape: the inverse of a reduction. */
const broadcastAxesKernel: KernelFactory<AxesAttrs> = ({ inputs: [x], output, outputShape, attrs }) => {
  const b = block(outputShape, attrs.axes);
  if (b) {
    // (outer, length, inner): x's row o of `inner` values repeated `length` times.
    const [outer, length, inner] = b;
    if (inner === 1) {
      return () => {
        for (let o = 0, i = 0; o < outer; o++) {
          const value = x[o];
          for (let l = 0; l < length; l++) output[i++] = value;
        }
      };
    }
    return () => {
      for (let o = 0, i = 0; o < outer; o++) {
        for (let l = 0; l < length; l++) for (let k = o * inner, end = k + inner; k < end; k++) output[i++] = x[k];
      }
    };
  }
  const map = reductionIndexMap(outputShape, attrs.axes);
  return () => {
    for (let i = 0; i < output.length; i++) output[i] = x[map[i]];
  };
};

/** A kernel over sorted axes, given the attributes the user wrote. */
function withAxes(kernel: KernelFactory<AxesAttrs>): KernelFactory<ReductionAttrs> {
  return (ctx) => kernel({ ...ctx, attrs: { axes: axesOf(ctx.attrs, ctx.inputShapes[0].length) } });
}

registerKernel(sum, 'js', withAxes(sumKernel));
registerKernel(max, 'js', withAxes(maxKernel));
registerKernel(logSumExp, 'js', withAxes(logSumExpKernel));
registerKernel(count, 'js', ({ output, inputShapes: [shape], attrs }) => {
  const n = axesOf(attrs, shape.length).reduce((p, a) => p * shape[a], 1);
  return () => {
    output[0] = n;
  };
});
registerKernel(broadcastAxes, 'js', (ctx) => broadcastAxesKernel({ ...ctx, attrs: { axes: normalizeAxes(ctx.attrs.axes, ctx.outputShape.length) } }));
