/**
 * Fused ops: made by the passes after autodiff from the patterns users write, so that a training
 * step does fewer, larger passes over memory. Users never write them. Their gradients are
 * composed from the rules of the primitives they fuse, not restated.
 */
import { RuleError } from '../core/errors.ts';
import type { DType } from '../core/ir.ts';
import { formatShape, type Shape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { conv2d, type WindowAttrs } from './conv.ts';
import { add, mul, relu, sigmoid, sub } from './elementwise.ts';
import { matMul, matMulShape, type MatMulAttrs } from './matmul.ts';
import { registerOp, type OpDef } from './registry.ts';

/** The gradients a primitive's rule gives for `inputs` under `dy` (rules that do not read their output). */
function chain(op: OpDef<never>, dy: Tensor, inputs: readonly Tensor[], output: Tensor, attrs: object = {}): (Tensor | null)[] {
  return [...(op as unknown as OpDef).vjp!({ dy, inputs, output, attrs: attrs as never })];
}

/**
 * c − s·op(a)·op(b) with s a scalar: a whole SGD step W ← W − η·Xᵀ·Δ in one pass over W. Made by
 * the fuse-updates pass from sub(W, mul(matMul(…), η)).
 */
export const subScaledMatMul = registerOp<MatMulAttrs>({
  name: 'subScaledMatMul',
  arity: 4,
  doc: 'c − s·op(a)·op(b), s a scalar (a fused SGD step)',
  overwrites: 0,
  shape: ([c, a, b, s], attrs) => {
    const product = matMulShape([a, b], attrs);
    if (s.some((d) => d !== 1)) throw new RuleError(`s must be a scalar, got ${formatShape(s)}`);
    if (c.length !== 2 || c.some((d, i) => d !== null && product[i] !== null && d !== product[i])) {
      throw new RuleError(`c ${formatShape(c)} must have the product's shape ${formatShape(product)}`);
    }
    return c;
  },
  vjp: ({ dy, inputs: [c, a, b, s], output, attrs }) => {
    const product = a.matMul(b, attrs.transposeA, attrs.transposeB);
    const [dc, dScaled] = chain(sub, dy, [c, product.mul(s)], output);
    const [dProduct, ds] = chain(mul, dScaled!, [product, s], output);
    const [da, db] = chain(matMul, dProduct!, [a, b], output, attrs);
    return [dc, da, db, ds];
  },
});

/** The activations a fused dense layer applies: their rules read only their output. */
const activations = { linear: null, relu, sigmoid } as const;
export type DenseActivation = keyof typeof activations;
export const denseActivations = Object.keys(activations) as DenseActivation[];

/** Attributes of `matMulBiasActivation`: the activation applied after the bias. */
export type DenseActivationAttrs = { activation: DenseActivation };
/**
 * act(x·W + b) with b a row added to every row: a dense layer in one op, the product's buffer
 * taking the bias and the activation in place. Made by the fuse-dense pass from
 * act(add(matMul(x, W), b)). As TF.js's fused matMul.
 */
export const matMulBiasActivation = registerOp<DenseActivationAttrs>({
  name: 'matMulBiasActivation',
  arity: 3,
  doc: 'act(x·W + b), b a row vector, act linear, relu or sigmoid (a fused dense layer)',
  shape: ([x, w, b], { activation }) => {
    if (!Object.hasOwn(activations, activation)) {
      throw new RuleError(`activation must be ${denseActivations.join(', ')}, got '${String(activation)}'`);
    }
    const product = matMulShape([x, w], { transposeA: false, transposeB: false });
    if (b.length !== 1 || (b[0] !== null && product[1] !== null && b[0] !== product[1])) {
      throw new RuleError(`b ${formatShape(b)} must be a row of the product's ${product[1]} columns`);
    }
    return product;
  },
  vjp: ({ dy, inputs: [x, w, b], output: y, attrs }) => {
    const act = activations[attrs.activation];
    // The activation's rule reads its output y, never its input, so the fused z is not needed.
    const [dz] = act ? chain(act, dy, [y], y) : [dy];
    const [, db] = chain(add, dz!, [y, b], y);
    const [dx, dw] = chain(matMul, dz!, [x, w], y, { transposeA: false, transposeB: false });
    return [dx, dw, db];
  },
});

export type ConvBiasActivationAttrs = WindowAttrs & { activation: DenseActivation };

/**
 * act(conv2d(x, filter) + b) with b one value per output channel: a conv layer in one op, the
 * bias and the activation applied to the product while it is still in cache. Made by the
 * fuse-conv pass from act(add(conv2d(x, f), b)).
 */
export const conv2dBiasActivation = registerOp<ConvBiasActivationAttrs>({
  name: 'conv2dBiasActivation',
  arity: 3,
  doc: 'act(conv2d(x, filter) + b), b one value per output channel, act linear, relu or sigmoid (a fused conv layer)',
  shape: ([x, f, b], { activation, ...window }) => {
    if (!Object.hasOwn(activations, activation)) {
      throw new RuleError(`activation must be ${denseActivations.join(', ')}, got '${String(activation)}'`);
    }
    const y = conv2d.shape([x, f], window);
    const channels = y[3];
    if (b.length !== 1 || (b[0] !== null && channels !== null && b[0] !== channels)) {
      throw new RuleError(`b ${formatShape(b)} must hold one value per output channel (${channels})`);
    }
    return y;
  },
  vjp: ({ dy, inputs: [x, f, b], output: y, attrs: { activation, ...window } }) => {
    const act = activations[activation];
    const [dz] = act ? chain(act, dy, [y], y) : [dy];
    const [, db] = chain(add, dz!, [y, b], y);
    const [dx, df] = chain(conv2d, dz!, [x, f], y, window);
    return [dx, df, db];
  },
});

/**
 * dy·(softmax(z) − onehot(labels)) row by row, dy one number per row: the logits gradient of
 * softmaxCrossEntropy with class-id labels in one pass, without the softmax, the one-hot rows or
 * their difference ever stored. Made by the fuse-softmax-cross-entropy pass after autodiff, so
 * it has no gradient of its own.
 */
export const softmaxCrossEntropyGrad = registerOp({
  name: 'softmaxCrossEntropyGrad',
  arity: 3,
  doc: 'dy·(softmax(z) − onehot(labels)) per row (the fused gradient of softmaxCrossEntropy)',
  dtype: ([z, , dy]): DType => {
    if (z !== 'float' || dy !== 'float') throw new RuleError('z (input 0) and dy (input 2) must be float');
    return 'float';
  },
  shape: ([z, labels, dy]): Shape => {
    if (z.length < 1) throw new RuleError('z must have a class axis (rank ≥ 1)');
    const lead = z.slice(0, -1);
    const fitsLead = (s: Shape) => s.length === lead.length && s.every((d, i) => d === null || lead[i] === null || d === lead[i]);
    if (!fitsLead(labels) || !fitsLead(dy)) throw new RuleError(`labels and dy must have one value per row, shape ${formatShape(lead)}`);
    return z;
  },
});

/**
 * dy·step(y) with dy and y of one shape: a ReLU's gradient (its rule reads the output y) in one
 * pass, without step(y) ever stored; the same values as mul(dy, step(y)), NaN in y included.
 * Made by the fuse-relu-grad pass after autodiff, so it has no gradient of its own. As TF's ReluGrad.
 */
export const reluGrad = registerOp({
  name: 'reluGrad',
  arity: 2,
  doc: 'dy·step(y), dy and y of one shape (a ReLU\'s gradient in one pass); NaN in either → NaN, ±∞·0 → NaN where y ≤ 0 (as mul and step)',
  traits: ['elementwise'],
  dtype: ([dy, y]): DType => {
    if (dy !== 'float' || y !== 'float') throw new RuleError('dy (input 0) and y (input 1) must be float');
    return 'float';
  },
  shape: ([dy, y]): Shape => {
    if (dy.length !== y.length || dy.some((d, i) => d !== null && y[i] !== null && d !== y[i])) {
      throw new RuleError(`dy ${formatShape(dy)} and y ${formatShape(y)} must have one shape`);
    }
    return dy;
  },
});
