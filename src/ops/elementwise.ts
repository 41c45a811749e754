/**
 * Elementwise ops: each one's forward function, kernel and gradient side by side. Gradients refer
 * to the forward output node where that is cheaper (σ' = y(1 − y) with y the sigmoid node).
 * Binary ops broadcast like numpy; autodiff reduces the broadcast axes of their gradients.
 */
import { broadcastShapes, type Shape } from '../graph/shape.ts';
import { binaryKernel, unaryKernel } from './kernels/elementwise.ts';
import { wasmBinaryOps, wasmUnaryOps } from './kernels/wasm/elementwise.ts';
import { registerOp, type VjpRule } from './registry.ts';
import type { Attrs } from '../graph/ir.ts';

const sameShape = (inputs: readonly Shape[]) => inputs[0];

/** Ops with a WebAssembly SIMD kernel for float32 (the JS loop runs otherwise). */
const inWasm = new Set<string>([...wasmUnaryOps, ...wasmBinaryOps]);

function unary<A extends Attrs = Attrs>(
  name: string,
  doc: string,
  f: (x: number, attrs: A) => number,
  vjp?: VjpRule<A>,
): void {
  registerOp<A>({
    name,
    arity: 1,
    doc,
    elementwise: true,
    shape: sameShape,
    kernel: (ctx) => {
      const attrs = ctx.attrs;
      return unaryKernel((x) => f(x, attrs), inWasm.has(name) ? name : undefined)(ctx);
    },
    vjp,
  });
}

unary('neg', '−x', (x) => -x, ({ dy }) => [dy.neg()]);
unary('exp', 'eˣ', Math.exp, ({ dy, output }) => [dy.mul(output)]);
unary('log', 'natural logarithm', Math.log, ({ dy, inputs: [x] }) => [dy.div(x)]);
unary('sqrt', '√x', Math.sqrt, ({ dy, output }) => [dy.div(output.mul(2))]);
unary('square', 'x²', (x) => x * x, ({ dy, inputs: [x] }) => [dy.mul(x.mul(2))]);
unary<{ exponent: number }>(
  'pow',
  'x^p for a constant p',
  (x, { exponent }) => Math.pow(x, exponent),
  ({ dy, inputs: [x], attrs: { exponent } }) => [
    exponent === 0 ? null : dy.mul(exponent === 1 ? 1 : x.pow(exponent - 1).mul(exponent)),
  ],
);
unary('abs', '|x|', Math.abs, ({ dy, inputs: [x] }) => [dy.mul(x.sign())]);
unary('sign', '−1, 0 or 1 (no gradient)', Math.sign, () => [null]);
unary('step', '1 where x > 0, else 0 (no gradient)', (x) => (x > 0 ? 1 : 0), () => [null]);
unary('sigmoid', '1 / (1 + e⁻ˣ)', sigmoid, ({ dy, output: y }) => [dy.mul(y.mul(y.neg().add(1)))]);
unary('tanh', 'hyperbolic tangent', Math.tanh, ({ dy, output: y }) => [dy.mul(y.square().neg().add(1))]);
// From the output (relu(x) > 0 iff x > 0), so the pre-activation is not kept for the backward
// pass and matMul + bias + relu can be fused.
unary('relu', 'max(x, 0)', relu, ({ dy, output: y }) => [dy.mul(y.step())]);
unary('softplus', 'ln(1 + eˣ), stable', (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), ({ dy, inputs: [x] }) => [dy.mul(x.sigmoid())]);

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** Stable for large |x|: never exponentiates a large positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function binary(name: string, doc: string, f: (a: number, b: number) => number, vjp?: VjpRule): void {
  registerOp({
    name,
    arity: 2,
    doc,
    broadcasting: true,
    elementwise: true,
    shape: ([a, b]) => broadcastShapes(a, b),
    kernel: binaryKernel(f, inWasm.has(name) ? name : undefined),
    vjp,
  });
}

binary('add', 'a + b', (a, b) => a + b, ({ dy }) => [dy, dy]);
binary('sub', 'a − b', (a, b) => a - b, ({ dy }) => [dy, dy.neg()]);
binary('mul', 'a · b (elementwise)', (a, b) => a * b, ({ dy, inputs: [a, b] }) => [dy.mul(b), dy.mul(a)]);
binary('div', 'a / b', (a, b) => a / b, ({ dy, inputs: [a, b], output }) => [dy.div(b), dy.mul(output).div(b).neg()]);
binary('equal', '1 where a = b, else 0 (no gradient)', (a, b) => (a === b ? 1 : 0), () => [null, null]);
