/** Data movement in plain JS (reshape and stopGradient are aliases: no kernel). */
import { normalizeAxes } from '../../core/shape-rules.ts';
import { stridesOf } from '../../core/shape.ts';
import { concat, gather, gatherGrad, pad, slice, transpose } from '../../ops/movement.ts';
import { registerKernel } from '../registry.ts';
import { aroundAxis, transposeIndexMap } from './indexing.ts';

registerKernel(transpose, 'js', ({ inputs: [x], output, inputShapes: [shape], attrs: { perm } }) => {
  const map = transposeIndexMap(shape, perm);
  return () => {
    for (let i = 0; i < output.length; i++) output[i] = x[map[i]];
  };
});

registerKernel(concat, 'js', ({ inputs: [a, b], output, inputShapes: [sa, sb], attrs }) => {
  const axis = normalizeAxes(attrs.axis, sa.length)[0];
  // Row o of the output is row o of a (ra values) then row o of b (rb values).
  const [outer, la, inner] = aroundAxis(sa, axis);
  const ra = la * inner;
  const rb = sb[axis] * inner;
  return () => {
    for (let o = 0, at = 0; o < outer; o++) {
      for (let i = o * ra, end = i + ra; i < end; i++) output[at++] = a[i];
      for (let i = o * rb, end = i + rb; i < end; i++) output[at++] = b[i];
    }
  };
});

/** For each element of the box `small`, its index in `big` when the box starts at `begin`. */
function boxIndexMap(small: readonly number[], big: readonly number[], begin: readonly number[]): Int32Array {
  const strides = stridesOf(big);
  const size = small.reduce((p, d) => p * d, 1);
  const map = new Int32Array(size);
  const counter = small.map(() => 0);
  let at = begin.reduce((s, b, i) => s + b * strides[i], 0);
  for (let i = 0; i < size; i++) {
    map[i] = at;
    for (let axis = small.length - 1; axis >= 0; axis--) {
      counter[axis]++;
      at += strides[axis];
      if (counter[axis] < small[axis]) break;
      at -= strides[axis] * small[axis];
      counter[axis] = 0;
    }
  }
  return map;
}

registerKernel(slice, 'js', ({ inputs: [x], output, inputShapes: [shape], outputShape, attrs: { begin } }) => {
  const map = boxIndexMap(outputShape, shape, begin);
  return () => {
    for (let i = 0; i < output.length; i++) output[i] = x[map[i]];
  };
});

registerKernel(pad, 'js', ({ inputs: [x], output, inputShapes: [shape], outputShape, attrs: { paddings, constantValue } }) => {
  const map = boxIndexMap(shape, outputShape, paddings.map((p) => p[0]));
  return () => {
    output.fill(constantValue);
    for (let i = 0; i < x.length; i++) output[map[i]] = x[i];
  };
});

/** Calls `copy(from, to)` for every picked slice: x's slice `from` of the axis, the output's slice `to`. */
function eachPick(indices: ArrayLike<number>, outer: number, length: number, fail: (message: string) => never, copy: (from: number, to: number) => void): void {
  const n = indices.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      const index = indices[j];
      if (!(Number.isInteger(index) && index >= 0 && index < length)) fail(`index ${index} at position ${j} is outside [0, ${length})`);
      copy(o * length + index, o * n + j);
    }
  }
}

registerKernel(gather, 'js', ({ inputs: [x, indices], output, inputShapes: [shape], attrs, fail }) => {
  const [outer, length, inner] = aroundAxis(shape, normalizeAxes(attrs.axis, shape.length)[0]);
  return () =>
    eachPick(indices, outer, length, fail, (from, to) => {
      for (let k = 0; k < inner; k++) output[to * inner + k] = x[from * inner + k];
    });
});

registerKernel(gatherGrad, 'js', ({ inputs: [dy, indices], output, inputShapes: [, , shape], attrs, fail }) => {
  const [outer, length, inner] = aroundAxis(shape, normalizeAxes(attrs.axis, shape.length)[0]);
  return () => {
    output.fill(0);
    eachPick(indices, outer, length, fail, (to, from) => {
      for (let k = 0; k < inner; k++) output[to * inner + k] += dy[from * inner + k];
    });
  };
});
