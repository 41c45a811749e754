/**
 * Elementwise ops in plain JS, for float32 and float64 alike: the reference the wasm kernels are
 * tested against. Binary ops pick a loop by broadcasting pattern once per plan.
 */
import * as op from '../../ops/elementwise.ts';
import { registerKernel, type KernelFactory } from '../registry.ts';
import { broadcastIndexMap, isSuffix } from './indexing.ts';

function unaryKernel(f: (x: number) => number): KernelFactory {
  return ({ inputs: [x], output: out }) =>
    () => {
      for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
    };
}

/** Elementwise binary op with numpy broadcasting; picks a loop by broadcasting pattern. */
function binaryKernel(f: (a: number, b: number) => number): KernelFactory {
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

/** max(x, 0), NaN kept: x ≤ 0 is false for NaN. */
export function relu(x: number): number {
  return x <= 0 ? 0 : x;
}

/** 1 where x > 0, else alpha; NaN kept. */
export function step(x: number, alpha: number): number {
  return x > 0 ? 1 : x <= 0 ? alpha : x;
}

/** x / (1 + |x|), and ±1 (its limit) at ±∞ where the quotient is ∞/∞. */
export function softsign(x: number): number {
  return Math.abs(x) === Infinity ? Math.sign(x) : x / (1 + Math.abs(x));
}

/** Stable for large |x|: never exponentiates a large positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const unary: [typeof op.neg, (x: number) => number][] = [
  [op.neg, (x) => -x],
  [op.exp, Math.exp],
  [op.log, Math.log],
  [op.sqrt, Math.sqrt],
  [op.square, (x) => x * x],
  [op.abs, Math.abs],
  [op.sign, Math.sign],
  [op.sigmoid, sigmoid],
  [op.tanh, Math.tanh],
  [op.relu, relu],
  [op.softplus, (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))],
  [op.softsign, softsign],
];
for (const [def, f] of unary) registerKernel(def, 'js', unaryKernel(f));
registerKernel(op.cast, 'js', ({ inputs: [x], output, attrs: { dtype }, fail }) => {
  if (dtype === 'float') return () => output.set(x);
  return () => {
    for (let i = 0; i < output.length; i++) {
      if (!Number.isFinite(x[i])) fail(`value ${x[i]} at index ${i} has no int value`);
      output[i] = Math.trunc(x[i]);
    }
  };
});
registerKernel(op.step, 'js', (ctx) => {
  const alpha = ctx.attrs.alpha ?? 0;
  return unaryKernel((x) => step(x, alpha))(ctx);
});

const binary: [typeof op.add, (a: number, b: number) => number][] = [
  [op.add, (a, b) => a + b],
  [op.sub, (a, b) => a - b],
  [op.mul, (a, b) => a * b],
  [op.div, (a, b) => a / b],
  [op.equal, (a, b) => (a === b ? 1 : 0)],
  [op.pow, Math.pow],
  [op.maximum, Math.max],
];
for (const [def, f] of binary) registerKernel(def, 'js', binaryKernel(f));

/** cond ≠ 0 ? a : b, each input broadcast to the output; a NaN condition gives NaN. */
registerKernel(op.where, 'js', ({ inputs: [cond, a, b], output, inputShapes, outputShape }) => {
  const [ic, ia, ib] = inputShapes.map((shape) => broadcastIndexMap(shape, outputShape));
  return () => {
    for (let i = 0; i < output.length; i++) {
      const c = cond[ic[i]];
      output[i] = c !== c ? c : c !== 0 ? a[ia[i]] : b[ib[i]];
    }
  };
});
