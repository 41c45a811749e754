/**
 * Index maps computed once per plan, so that the per-step kernel loops are plain array walks.
 */
import { stridesOf } from '../../core/shape.ts';

/**
 * For each element of `outShape`, the index of the element of `inShape` it reads under numpy
 * broadcasting (inShape aligned at the right, size-1 dimensions repeated).
 */
export function broadcastIndexMap(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const offset = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  // Stride of the input per output axis; 0 where the input is broadcast along it.
  const strides = outShape.map((_, axis) => {
    const i = axis - offset;
    return i < 0 || inShape[i] === 1 ? 0 : inStrides[i];
  });
  return walk(outShape, strides);
}

/** For each element of `inShape`, the index of the element it reduces into after removing `axes`. */
export function reductionIndexMap(inShape: readonly number[], axes: readonly number[]): Int32Array {
  const kept = inShape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(kept);
  const strides = inShape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[i]));
  return walk(inShape, strides);
}

/** For each output element of a transpose by `perm`, the input element it reads. */
export function transposeIndexMap(inShape: readonly number[], perm: readonly number[]): Int32Array {
  const inStrides = stridesOf(inShape);
  return walk(
    perm.map((p) => inShape[p]),
    perm.map((p) => inStrides[p]),
  );
}

/** Walks `shape` in row-major order and records Σ index_k · strides_k for every element. */
function walk(shape: readonly number[], strides: readonly number[]): Int32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const map = new Int32Array(size);
  const rank = shape.length;
  const counter = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < size; i++) {
    map[i] = at;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      at += strides[axis];
      if (counter[axis] < shape[axis]) break;
      at -= strides[axis] * shape[axis];
      counter[axis] = 0;
    }
  }
  return map;
}

/** Splits a shape around `axis` into (outer, length, inner) for kernels that work along one axis. */
export function aroundAxis(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

/** True when `inner` equals the trailing dimensions of `outer` once its leading 1s are dropped. */
export function isSuffix(inner: readonly number[], outer: readonly number[]): boolean {
  let start = 0;
  while (start < inner.length && inner[start] === 1) start++;
  const tail = inner.slice(start);
  if (tail.length > outer.length) return false;
  const off = outer.length - tail.length;
  return tail.every((d, i) => d === outer[off + i]);
}

