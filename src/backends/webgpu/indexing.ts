/**
 * Index arithmetic for the WGSL kernels, and for the runtime's fusion step: how an input is read
 * per dimension of an output (strides, 0 where it is broadcast) and the WGSL of that index.
 */

import { stridesOf as strides } from '../../core/shape.ts';

export { strides };

/**
 * The WGSL index of a strided read: Σ coord_d(i) · stride_d over the dimensions of `shape`
 * (the shape `i` walks in row-major order), with shortcuts for the common layouts.
 */
export function stridedIndex(index: string, shape: readonly number[], readStrides: readonly number[]): string {
  const own = strides(shape);
  const terms: string[] = [];
  if (readStrides.every((s, d) => s === own[d] || shape[d] === 1)) return index;
  if (readStrides.every((s, d) => s === 0 || shape[d] === 1)) return '0u';
  // A contiguous tail read for every value of the leading dimensions (a bias row): i mod its size.
  let tail = shape.length;
  while (tail > 0 && (readStrides[tail - 1] === own[tail - 1] || shape[tail - 1] === 1)) tail--;
  if (tail > 0 && readStrides.slice(0, tail).every((s, d) => s === 0 || shape[d] === 1)) return `(${index} % ${own[tail - 1]}u)`;
  for (let d = 0; d < shape.length; d++) {
    if (readStrides[d] === 0 || shape[d] === 1) continue;
    const coord = d === 0 ? `(${index} / ${own[0]}u)` : own[d] === 1 ? `(${index} % ${shape[d]}u)` : `((${index} / ${own[d]}u) % ${shape[d]}u)`;
    terms.push(readStrides[d] === 1 ? coord : `${coord} * ${readStrides[d]}u`);
  }
  return terms.length ? `(${terms.join(' + ')})` : '0u';
}

/** The strides with which an input of `inShape` is read per dimension of `outShape` under numpy broadcasting. */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const own = strides(inShape);
  const offset = outShape.length - inShape.length;
  return outShape.map((_, d) => {
    const k = d - offset;
    return k < 0 || inShape[k] === 1 ? 0 : own[k];
  });
}

/** The strides with which broadcastAxes reads x (the reduced shape) per dimension of its output. */
export function broadcastAxesStrides(xShape: readonly number[], outShape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const own = strides(xShape);
  let k = 0;
  return outShape.map((_, d) => {
    if (axes.includes(d)) {
      if (keepDims) k++;
      return 0;
    }
    const s = xShape[k] === 1 ? 0 : own[k];
    k++;
    return s;
  });
}
