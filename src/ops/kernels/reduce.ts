/**
 * Reference reduction kernels. A reduction over a contiguous block of axes walks the data as
 * (outer, length, inner); any other set of axes uses an index map built once per plan.
 */
import type { FloatArray, KernelFactory } from '../registry.ts';
import { reductionIndexMap } from './indexing.ts';

export interface ReduceAttrs {
  readonly [k: string]: unknown;
  readonly axes: readonly number[];
}

type Accumulate = { init: number; step: (acc: number, x: number) => number };

const sum: Accumulate = { init: 0, step: (acc, x) => acc + x };
const max: Accumulate = { init: -Infinity, step: (acc, x) => (x > acc || Number.isNaN(x) ? x : acc) };

/** (outer, length, inner) when `axes` is one contiguous block, else null. */
function block(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
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

export const sumKernel: KernelFactory<ReduceAttrs> = ({ inputs: [x], output, inputShapes: [shape], attrs, wasm }) => {
  const b = block(shape, attrs.axes);
  // Leading axes summed away (a bias gradient): row vectors added in WebAssembly.
  if (wasm && b && b[0] === 1 && b[1] > 0 && b[2] > 0) {
    const [px, po, rows, cols] = [x.byteOffset, output.byteOffset, b[1], b[2]];
    return () => wasm.sumRows(px, po, rows, cols);
  }
  return reduceInto(sum, x, output, shape, attrs.axes);
};

export const maxKernel: KernelFactory<ReduceAttrs> = ({ inputs: [x], output, inputShapes: [shape], attrs }) =>
  reduceInto(max, x, output, shape, attrs.axes);

/** log Σ exp(x): the maximum first, so exp never overflows. */
export const logSumExpKernel: KernelFactory<ReduceAttrs> = ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
  const findMax = reduceInto(max, x, output, shape, attrs.axes);
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
export const broadcastAxesKernel: KernelFactory<ReduceAttrs> = ({ inputs: [x], output, outputShape, attrs }) => {
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
