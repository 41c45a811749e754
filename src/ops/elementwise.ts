/**
 * Elementwise ops: what each computes and its gradient. Gradients refer to the forward output
 * node where that is cheaper (σ' = y(1 − y) with y the sigmoid node). Binary ops broadcast like
 * numpy; autodiff reduces the broadcast axes of their gradients.
 */
import { broadcastShapes } from '../core/shape-rules.ts';
import type { Attrs } from '../core/ir.ts';
import type { Shape } from '../core/shape.ts';
import { registerOp, type OpDef, type VjpRule } from './registry.ts';

const sameShape = (inputs: readonly Shape[]) => inputs[0];

function unary<A extends Attrs = Attrs>(name: string, doc: string, vjp?: VjpRule<A>): OpDef<A> {
  return registerOp<A>({ name, arity: 1, doc, traits: ['elementwise'], shape: sameShape, vjp });
}

export const neg = unary('neg', '−x', ({ dy }) => [dy.neg()]);
export const exp = unary('exp', 'eˣ', ({ dy, output }) => [dy.mul(output)]);
export const log = unary('log', 'natural logarithm', ({ dy, inputs: [x] }) => [dy.div(x)]);
export const sqrt = unary('sqrt', '√x', ({ dy, output }) => [dy.div(output.mul(2))]);
export const square = unary('square', 'x²', ({ dy, inputs: [x] }) => [dy.mul(x.mul(2))]);
export const pow = unary<{ exponent: number }>('pow', 'x^p for a constant p', ({ dy, inputs: [x], attrs: { exponent } }) => [
  exponent === 0 ? null : dy.mul(exponent === 1 ? 1 : x.pow(exponent - 1).mul(exponent)),
]);
export const abs = unary('abs', '|x|', ({ dy, inputs: [x] }) => [dy.mul(x.sign())]);
export const sign = unary('sign', '−1, 0 or 1 (no gradient)', () => [null]);
export const step = unary('step', '1 where x > 0, else 0 (no gradient)', () => [null]);
export const sigmoid = unary('sigmoid', '1 / (1 + e⁻ˣ)', ({ dy, output: y }) => [dy.mul(y.mul(y.neg().add(1)))]);
export const tanh = unary('tanh', 'hyperbolic tangent', ({ dy, output: y }) => [dy.mul(y.square().neg().add(1))]);
// From the output (relu(x) > 0 iff x > 0), so the pre-activation is not kept for the backward
// pass and matMul + bias + relu can be fused.
export const relu = unary('relu', 'max(x, 0)', ({ dy, output: y }) => [dy.mul(y.step())]);
export const softplus = unary('softplus', 'ln(1 + eˣ), stable', ({ dy, inputs: [x] }) => [dy.mul(x.sigmoid())]);
// From x, not y: 1 / (1 + |x|)² as (1 − |y|)² loses digits as |y| → 1.
export const softsign = unary('softsign', 'x / (1 + |x|)', ({ dy, inputs: [x] }) => [dy.div(x.abs().add(1).square())]);

function binary(name: string, doc: string, vjp?: VjpRule): OpDef {
  return registerOp({ name, arity: 2, doc, traits: ['broadcasting', 'elementwise'], shape: ([a, b]) => broadcastShapes(a, b), vjp });
}

export const add = binary('add', 'a + b', ({ dy }) => [dy, dy]);
export const sub = binary('sub', 'a − b', ({ dy }) => [dy, dy.neg()]);
export const mul = binary('mul', 'a · b (elementwise)', ({ dy, inputs: [a, b] }) => [dy.mul(b), dy.mul(a)]);
export const div = binary('div', 'a / b', ({ dy, inputs: [a, b], output }) => [dy.div(b), dy.mul(output).div(b).neg()]);
export const equal = binary('equal', '1 where a = b, else 0 (no gradient)', () => [null, null]);
