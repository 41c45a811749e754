/**
 * Reference elementwise kernels in plain JS, for float32 and float64 alike. Faster kernels can
 * replace them per op without changing anything else.
 */
import type { KernelFactory } from '../registry.ts';
import { broadcastIndexMap } from './indexing.ts';

/** `wasmName`: the WebAssembly kernel to use for float32 where available (see wasm/elementwise.ts). */
export function unaryKernel(f: (x: number) => number, wasmName?: string): KernelFactory {
  return ({ inputs: [x], output: out, wasm }) => {
    const fast = wasmName ? wasm?.unary[wasmName] : undefined;
    if (fast) {
      const [px, po, n] = [x.byteOffset, out.byteOffset, out.length];
      return () => fast(px, po, n);
    }
    return () => {
      for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
    };
  };
}

/**
 * The WebAssembly form of a broadcasting pattern, if it has one: out as rows × cols, with a and
 * b either moving along a row (1) or repeated (0), and their strides between rows.
 */
function wasmPattern(na: number, nb: number, sa: readonly number[], sb: readonly number[], outShape: readonly number[]) {
  const n = outShape.reduce((x, y) => x * y, 1);
  const cols = outShape.length > 0 ? outShape[outShape.length - 1] : 1;
  const rows = cols === 0 ? 0 : n / cols;
  if (na === n && nb === n) return { key: '11', rows: 1, cols: n, ars: 0, brs: 0 };
  if (na === n && nb === 1) return { key: '10', rows: 1, cols: n, ars: 0, brs: 0 };
  if (na === 1 && nb === n) return { key: '01', rows: 1, cols: n, ars: 0, brs: 0 };
  if (na === n && nb === cols && isSuffix(sb, outShape)) return { key: '11', rows, cols, ars: cols, brs: 0 };
  if (nb === n && na === cols && isSuffix(sa, outShape)) return { key: '11', rows, cols, ars: 0, brs: cols };
  if (na === n && nb === rows && isColumn(sb, outShape)) return { key: '10', rows, cols, ars: cols, brs: 1 };
  if (nb === n && na === rows && isColumn(sa, outShape)) return { key: '01', rows, cols, ars: 1, brs: cols };
  return null;
}

/** True when `inner` is `outer` with its last dimension 1 (a column to repeat along rows). */
function isColumn(inner: readonly number[], outer: readonly number[]): boolean {
  const off = outer.length - inner.length;
  return off >= 0 && inner.length > 0 && inner[inner.length - 1] === 1 && inner.slice(0, -1).every((d, i) => d === outer[off + i]) && outer.slice(0, off).every((d) => d === 1);
}

/** Elementwise binary op with numpy broadcasting; picks a loop by broadcasting pattern. */
export function binaryKernel(f: (a: number, b: number) => number, wasmName?: string): KernelFactory {
  return ({ inputs: [a, b], output: out, inputShapes: [sa, sb], outputShape, wasm }) => {
    const n = out.length;
    const pattern = wasm && wasmName ? wasmPattern(a.length, b.length, sa, sb, outputShape) : null;
    const fast = pattern ? wasm!.binary[`${wasmName}_${pattern.key}`] : undefined;
    if (pattern && fast) {
      const { rows, cols, ars, brs } = pattern;
      const [pa, pb, po] = [a.byteOffset, b.byteOffset, out.byteOffset];
      return () => fast(pa, pb, po, rows, cols, ars, brs);
    }
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
