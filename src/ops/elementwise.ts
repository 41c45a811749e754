/**
 * Elementwise ops: what each computes and its gradient. Gradients refer to the forward output
 * node where that is cheaper (σ' = y(1 − y) with y the sigmoid node). Binary ops broadcast like
 * numpy; autodiff reduces the broadcast axes of their gradients.
 *
 * NaN and ±∞, the same in every kernel (JS and wasm, vector lanes and scalar tail, float32 and
 * float64): a NaN input gives a NaN output, ±∞ follow IEEE arithmetic, and a function with a
 * limit at ±∞ gives that limit. Each doc states the special values; the exceptions to "NaN in,
 * NaN out" are equal (NaN equals nothing) and pow (x⁰ = 1 for every x, as Math.pow and TF.js).
 */
import { RuleError } from '../core/errors.ts';
import { broadcastShapes } from '../core/shape-rules.ts';
import type { Attrs, DType } from '../core/ir.ts';
import type { Shape } from '../core/shape.ts';
import { floatResult, intIfAllInt, registerOp, type OpDef, type VjpRule } from './registry.ts';

const sameShape = (inputs: readonly Shape[]) => inputs[0];

/** `dtype` given: the op also takes int tensors (by default float only). */
function unary<A extends Attrs = Attrs>(name: string, doc: string, vjp?: VjpRule<A>, dtype?: (inputs: readonly DType[], attrs: A) => DType): OpDef<A> {
  return registerOp<A>({ name, arity: 1, doc, traits: ['elementwise'], shape: sameShape, vjp, dtype });
}

export const neg = unary('neg', '−x; NaN → NaN, ±∞ → ∓∞', ({ dy }) => [dy.neg()], intIfAllInt);
export const exp = unary('exp', 'eˣ; NaN → NaN, +∞ → +∞, −∞ → 0', ({ dy, output }) => [dy.mul(output)]);
export const log = unary('log', 'natural logarithm; NaN → NaN, +∞ → +∞, 0 → −∞, x < 0 → NaN', ({ dy, inputs: [x] }) => [dy.div(x)]);
export const sqrt = unary('sqrt', '√x; NaN → NaN, +∞ → +∞, x < 0 → NaN', ({ dy, output }) => [dy.div(output.mul(2))]);
export const square = unary('square', 'x²; NaN → NaN, ±∞ → +∞', ({ dy, inputs: [x] }) => [dy.mul(x.mul(2))], intIfAllInt);
export const abs = unary('abs', '|x|; NaN → NaN, ±∞ → +∞; gradient sign(x), 0 at 0', ({ dy, inputs: [x] }) => [dy.mul(x.sign())], intIfAllInt);
export const sign = unary('sign', '−1, 0 or 1; NaN → NaN (numpy, PyTorch; TF.js gives 0), ±∞ → ±1 (no gradient)', () => [null], intIfAllInt);
// The vjp of relu reads step of its output; alpha = 0 there. Graphs saved without alpha mean 0.
/** Attributes of `step`: the value where x ≤ 0 (default 0). */
export type StepAttrs = { alpha?: number };
export const step = registerOp<StepAttrs>({
  name: 'step',
  arity: 1,
  doc: '1 where x > 0, else alpha (default 0); NaN → NaN, as TF.js (no gradient)',
  traits: ['elementwise'],
  // int in, int out while alpha is whole (TF.js keeps int32)
  dtype: ([x], { alpha = 0 }) => (x === 'int' && Number.isInteger(alpha) ? 'int' : 'float'),
  shape: ([x], { alpha }) => {
    if (alpha !== undefined && typeof alpha !== 'number') throw new RuleError(`alpha must be a number, got ${String(alpha)}`);
    return x;
  },
  vjp: () => [null],
});
export const sigmoid = unary('sigmoid', '1 / (1 + e⁻ˣ); NaN → NaN, +∞ → 1, −∞ → 0', ({ dy, output: y }) => [dy.mul(y.mul(y.neg().add(1)))]);
export const tanh = unary('tanh', 'hyperbolic tangent; NaN → NaN, ±∞ → ±1', ({ dy, output: y }) => [dy.mul(y.square().neg().add(1))]);
// From the output (relu(x) > 0 iff x > 0), so the pre-activation is not kept for the backward
// pass and matMul + bias + relu can be fused.
export const relu = unary('relu', 'max(x, 0); NaN → NaN (as TF.js and PyTorch), +∞ → +∞, −∞ → 0; gradient 0 at 0', ({ dy, output: y }) => [dy.mul(y.step())], intIfAllInt);
export const softplus = unary('softplus', 'ln(1 + eˣ), stable; NaN → NaN, +∞ → +∞, −∞ → 0', ({ dy, inputs: [x] }) => [dy.mul(x.sigmoid())]);
// From x, not y: 1 / (1 + |x|)² as (1 − |y|)² loses digits as |y| → 1.
export const softsign = unary('softsign', 'x / (1 + |x|); NaN → NaN, ±∞ → ±1 (the limit, not ∞/∞)', ({ dy, inputs: [x] }) => [dy.div(x.abs().add(1).square())]);

function binary(name: string, doc: string, vjp: VjpRule | undefined, dtype: (inputs: readonly DType[]) => DType): OpDef {
  return registerOp({ name, arity: 2, doc, traits: ['broadcasting', 'elementwise'], shape: ([a, b]) => broadcastShapes(a, b), vjp, dtype });
}

export const add = binary('add', 'a + b; IEEE: NaN in either → NaN, ∞ − ∞ → NaN', ({ dy }) => [dy, dy], intIfAllInt);
export const sub = binary('sub', 'a − b; IEEE: NaN in either → NaN, ∞ − ∞ → NaN', ({ dy }) => [dy, dy.neg()], intIfAllInt);
export const mul = binary('mul', 'a · b (elementwise); IEEE: NaN in either → NaN, 0 · ∞ → NaN', ({ dy, inputs: [a, b] }) => [dy.mul(b), dy.mul(a)], intIfAllInt);
export const div = binary('div', 'a / b; IEEE: NaN in either → NaN, x/0 → ±∞, 0/0 and ∞/∞ → NaN', ({ dy, inputs: [a, b], output }) => [dy.div(b), dy.mul(output).div(b).neg()], floatResult);
/**
 * The larger of a and b elementwise (TF.js's maximum; minimum is −maximum(−a, −b)). At a tie the
 * gradient is shared, dy/2 to each, as max shares it among ties; NaN in either → NaN.
 */
export const maximum = binary('maximum', 'the larger of a and b; NaN in either → NaN (as Math.max, TF.js); a tie shares the gradient, dy/2 each', ({ dy, inputs: [a, b] }) => {
  const share = a.sub(b).step().add(a.equal(b).mul(0.5)); // 1 where a wins, ½ at a tie
  return [dy.mul(share), dy.mul(share.neg().add(1))];
}, intIfAllInt);
export const equal = binary('equal', '1 where a = b, else 0; NaN equals nothing, itself included (IEEE) (no gradient)', () => [null, null], floatResult);

/**
 * a^b, both tensors (numbers are scalar constants), as Math.pow and TF.js: NaN in either gives
 * NaN except a⁰ = 1; a negative base to a non-integer power is NaN. The exponent's gradient
 * dy·y·ln a is taken as 0 where a ≤ 0, where ln a is not real (as TF.js does); it is built from
 * relu and step so that it differentiates again.
 */
export const pow = binary('pow', 'a^b as Math.pow: NaN in either → NaN, except a⁰ = 1; exponent gradient 0 where a ≤ 0', ({ dy, inputs: [a, b], output: y }) => {
  const positive = a.step();
  const safeBase = a.relu().add(positive.neg().add(1)); // a where a > 0, else 1: its log is real
  return [dy.mul(a.pow(b.sub(1)).mul(b)), dy.mul(y).mul(safeBase.log().mul(positive))];
}, floatResult);

/**
 * a where cond ≠ 0, else b, all three broadcast together (TF.js's where, with a number condition:
 * 1/0 masks as made by equal or step). A NaN condition gives NaN; the branch not taken never
 * leaks into the result (a NaN or ∞ there is not multiplied by 0). The gradient flows to the
 * branch taken.
 */
export const where = registerOp({
  name: 'where',
  arity: 3,
  doc: 'a where cond ≠ 0, else b (broadcast); a NaN condition → NaN; NaN in the branch not taken is ignored',
  traits: ['broadcasting'],
  dtype: ([, a, b]) => (a === 'int' && b === 'int' ? 'int' : 'float'),
  shape: ([cond, a, b]) => broadcastShapes(cond, broadcastShapes(a, b)),
  vjp: ({ dy, inputs: [cond] }) => {
    const zeros = dy.mul(0).stopGradient();
    return [null, cond.where(dy, zeros), cond.where(zeros, dy)];
  },
});

/** Attributes of `cast`: the dtype to convert to. */
export type CastAttrs = { dtype: DType };
/**
 * Converts between dtypes: to 'float' exactly, to 'int' toward zero (as TF.js's cast to int32).
 * NaN and ±∞ have no int value: casting them to int is a run-time error naming the value; to
 * float they stay. Int tensors carry no gradient, so only float → float passes dy.
 */
export const cast = registerOp<CastAttrs>({
  name: 'cast',
  arity: 1,
  doc: "to 'float' (exact; NaN → NaN, ±∞ → ±∞) or 'int' (toward zero, as TF.js; NaN and ±∞ are a run-time error)",
  traits: ['elementwise'],
  dtype: (_, { dtype }) => {
    if (dtype !== 'float' && dtype !== 'int') throw new RuleError(`dtype must be 'float' or 'int', got ${String(dtype)}`);
    return dtype;
  },
  shape: sameShape,
  vjp: ({ dy, inputs: [x], attrs }) => [attrs.dtype === 'float' && x.dtype === 'float' ? dy : null],
});
