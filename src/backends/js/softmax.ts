/**
 * The class-axis ops in plain JS: softmax, logSoftmax, softmaxCrossEntropy, oneHot. Each
 * subtracts the maximum before exponentiating, so that no logit, however large, overflows.
 */
import { axisOf, logSoftmax, oneHot, softmax, softmaxCrossEntropy } from '../../ops/softmax.ts';
import { registerKernel, type FloatArray } from '../registry.ts';
import { aroundAxis } from './indexing.ts';

/** Calls `row(start, stride)` for every 1-d slice along the axis of an (outer, length, inner) layout. */
function forEachSlice(outer: number, length: number, inner: number, row: (start: number, stride: number) => void) {
  for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) row(o * length * inner + k, inner);
}

/**
 * Returns log Σ exp over one slice, stably (shifted by the maximum). A +∞ entry shifts to ∞ − ∞,
 * so the slice gets NaN, as in the softmax kernel and the wasm kernels; all −∞ gives −∞.
 */
export function sliceLogSumExp(x: FloatArray, start: number, stride: number, length: number): number {
  let m = -Infinity;
  for (let l = 0; l < length; l++) m = Math.max(m, x[start + l * stride]);
  if (m === Infinity) return NaN;
  if (m === -Infinity) return m;
  let s = 0;
  for (let l = 0; l < length; l++) s += Math.exp(x[start + l * stride] - m);
  return m + Math.log(s);
}

/** A label that is a class id, or a run-time failure naming the row and the label. */
export function classId(label: number, row: number, classes: number, fail: (message: string) => never): number {
  if (!(Number.isInteger(label) && label >= 0 && label < classes)) fail(`label ${label} of row ${row} is not a class id in [0, ${classes})`);
  return label;
}

registerKernel(softmax, 'js', ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
  const [outer, length, inner] = aroundAxis(shape, axisOf(attrs.axis, shape.length));
  return () =>
    forEachSlice(outer, length, inner, (start, stride) => {
      let m = -Infinity;
      for (let l = 0; l < length; l++) m = Math.max(m, x[start + l * stride]);
      let sum = 0;
      for (let l = 0; l < length; l++) sum += output[start + l * stride] = Math.exp(x[start + l * stride] - m);
      for (let l = 0; l < length; l++) output[start + l * stride] /= sum;
    });
});

registerKernel(logSoftmax, 'js', ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
  const [outer, length, inner] = aroundAxis(shape, axisOf(attrs.axis, shape.length));
  return () =>
    forEachSlice(outer, length, inner, (start, stride) => {
      const lse = sliceLogSumExp(x, start, stride, length);
      for (let l = 0; l < length; l++) output[start + l * stride] = x[start + l * stride] - lse;
    });
});

registerKernel(softmaxCrossEntropy, 'js', ({ inputs: [z, labels], output, inputShapes: [shape, labelShape], fail }) => {
  const classes = shape[shape.length - 1];
  const rows = output.length;
  const sparse = labelShape.length === shape.length - 1;
  return () => {
    for (let r = 0; r < rows; r++) {
      const start = r * classes;
      const lse = sliceLogSumExp(z, start, 1, classes);
      if (sparse) {
        output[r] = lse - z[start + classId(labels[r], r, classes, fail)];
      } else {
        let loss = 0;
        for (let j = 0; j < classes; j++) {
          const y = labels[start + j];
          if (y !== 0) loss += y * (lse - z[start + j]);
        }
        output[r] = loss;
      }
    }
  };
});

registerKernel(oneHot, 'js', ({ inputs: [ids], output, attrs: { depth, onValue = 1, offValue = 0 }, fail }) => () => {
  output.fill(offValue);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(Number.isInteger(id) && id >= 0 && id < depth)) fail(`value ${id} at index ${i} is not a class id in [0, ${depth})`);
    output[i * depth + id] = onValue;
  }
});
