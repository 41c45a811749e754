/**
 * Softmax-family kernels along one axis, each subtracting the maximum before exponentiating so
 * that no logit, however large, overflows.
 */
import type { FloatArray } from '../registry.ts';

/** Calls `row(start, stride)` for every 1-d slice along the axis of an (outer, length, inner) layout. */
export function forEachSlice(outer: number, length: number, inner: number, row: (start: number, stride: number) => void) {
  for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) row(o * length * inner + k, inner);
}

/** Returns log Σ exp over one slice, stably. */
export function sliceLogSumExp(x: FloatArray, start: number, stride: number, length: number): number {
  let m = -Infinity;
  for (let l = 0; l < length; l++) m = Math.max(m, x[start + l * stride]);
  if (m === -Infinity || m === Infinity) return m;
  let s = 0;
  for (let l = 0; l < length; l++) s += Math.exp(x[start + l * stride] - m);
  return m + Math.log(s);
}
