/**
 * Reference elementwise kernels in plain JS, for float32 and float64 alike. Faster kernels can
 * replace them per op without changing anything else.
 */
import type { KernelFactory } from '../registry.ts';
import { broadcastIndexMap } from './indexing.ts';

export function unaryKernel(f: (x: number) => number): KernelFactory {
  return ({ inputs: [x], output: out }) =>
    () => {
      for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
    };
}

/** Elementwise binary op with numpy broadcasting; picks a loop by broadcasting pattern. */
export function binaryKernel(f: (a: number, b: number) => number): KernelFactory {
  return ({ inputs: [a, b], output: out, inputShapes: [sa, sb], outputShape }) => {
    const n = out.length;
    if (a.length === n && b.length === n) {
      return () => {
        for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
      };
    }
    if (a.length === n && b.length === 1) {
      return () => {
        const bv = b[0];
        for (let i = 0; i < n; i++) out[i] = f(a[i], bv);
      };
    }
    if (a.length === 1 && b.length === n) {
      return () => {
        const av = a[0];
        for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
      };
    }
    if (a.length === n && isSuffix(sb, outputShape)) {
      // b repeats along the leading axes (a bias row added to every sample, say)
      const m = b.length;
      return () => {
        for (let o = 0; o < n; o += m) for (let j = 0; j < m; j++) out[o + j] = f(a[o + j], b[j]);
      };
    }
    const ia = broadcastIndexMap(sa, outputShape);
    const ib = broadcastIndexMap(sb, outputShape);
    return () => {
      for (let i = 0; i < n; i++) out[i] = f(a[ia[i]], b[ib[i]]);
    };
  };
}

/** True when `inner` equals the trailing dimensions of `outer` once its leading 1s are dropped. */
function isSuffix(inner: readonly number[], outer: readonly number[]): boolean {
  let start = 0;
  while (start < inner.length && inner[start] === 1) start++;
  const tail = inner.slice(start);
  if (tail.length > outer.length) return false;
  const off = outer.length - tail.length;
  return tail.every((d, i) => d === outer[off + i]);
}

export const copyKernel: KernelFactory = ({ inputs: [x], output: out }) => () => out.set(x);
