/**
 * Ops along the class axis: softmax, logSoftmax, softmaxCrossEntropy, oneHot.
 * softmaxCrossEntropy is one op so that it is stable at any logits and its gradient is the
 * classic softmax(z) − y (BP1 for a softmax output), not a chain through log and exp.
 *
 * NaN and ±∞ along the axis, in every kernel: all three shift by the slice's maximum, so a NaN
 * or a +∞ (∞ − ∞) makes the whole slice NaN, as in TF.js; a −∞ is probability 0 (logSoftmax −∞,
 * cross-entropy +∞ if it is the label's logit); a slice of only −∞ is NaN (0/0).
 *
 * softmax and logSoftmax take any axis (TF.js only the last; the values are the same).
 */
import { GraphError, RuleError } from '../core/errors.ts';
import { callSite } from '../core/site.ts';
import type { DType } from '../core/ir.ts';
import { normalizeAxes } from '../core/shape-rules.ts';
import { formatShape, type Shape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { broadcastAxesOf } from './reduce.ts';
import { registerOp } from './registry.ts';

export type AxisAttrs = { axis: number };
/** The axis as a non-negative number (the rule has checked it). */
export const axisOf = (axis: number, rank: number) => normalizeAxes(axis, rank)[0];

export const softmax = registerOp<AxisAttrs>({
  name: 'softmax',
  arity: 1,
  doc: 'exp(x) / Σ exp(x) along any axis, stable; NaN or +∞ in a slice → NaN slice, −∞ → 0',
  shape: ([x], { axis }) => (axisOf(axis, x.length), x),
  vjp: ({ dy, output: y, attrs: { axis } }) => [y.mul(dy.sub(dy.mul(y).sum(axis, true)))],
});

export const logSoftmax = registerOp<AxisAttrs>({
  name: 'logSoftmax',
  arity: 1,
  doc: 'x − log Σ exp(x) along any axis, stable; NaN or +∞ in a slice → NaN slice, −∞ → −∞',
  shape: ([x], { axis }) => (axisOf(axis, x.length), x),
  vjp: ({ dy, output: y, attrs: { axis } }) => [dy.sub(y.exp().mul(dy.sum(axis, true)))],
});

export const softmaxCrossEntropy = registerOp({
  name: 'softmaxCrossEntropy',
  arity: 2,
  doc: 'cross-entropy of softmax(logits) against class ids or probability rows, per sample; NaN or +∞ logit → NaN',
  dtype: ([logits]): DType => {
    if (logits !== 'float') throw new RuleError('logits (input 0) must be float');
    return 'float';
  },
  shape: ([logits, labels]): Shape => {
    if (logits.length < 1) throw new RuleError('logits must have a class axis (rank ≥ 1)');
    const lead = logits.slice(0, -1);
    const fits = (s: Shape) => s.length === logits.length && s.every((d, i) => d === null || logits[i] === null || d === logits[i]);
    const fitsLead = labels.length === lead.length && labels.every((d, i) => d === null || lead[i] === null || d === lead[i]);
    if (!fits(labels) && !fitsLead) {
      throw new RuleError(`labels must be int class ids of shape ${formatShape(lead)} or probability rows of shape ${formatShape(logits)}`);
    }
    return lead;
  },
  vjp: ({ dy, inputs: [logits, labels] }) => {
    const classAxis = logits.rank - 1;
    const dyRows = broadcastAxesOf(dy, logits, [classAxis], false);
    const p = logits.softmax(-1);
    if (labels.dtype === 'int' || labels.rank === logits.rank - 1) {
      return [dyRows.mul(p.sub(labels.oneHot(logits.shape[classAxis] as number))), null];
    }
    // For rows y that sum to s: ∂/∂z = s·softmax(z) − y (s = 1 for one-hot or probability rows).
    const dz = p.mul(labels.sum(-1, true)).sub(labels);
    return [dyRows.mul(dz), dyRows.mul(logits.logSoftmax(-1).neg())];
  },
});

/** oneHot's attributes; graphs saved before on/off values existed have depth only (1 and 0). */
export type OneHotAttrs = { depth: number; onValue?: number; offValue?: number };

/** Whether a oneHot node makes plain 1/0 rows (what the cross-entropy rewrites assume). */
export const isPlainOneHot = ({ onValue = 1, offValue = 0 }: OneHotAttrs) => onValue === 1 && offValue === 0;

/**
 * Class ids → rows of `depth` values, onValue at the id and offValue elsewhere (TF.js's oneHot).
 * Deliberately stricter and looser than TF.js: an id that is not a whole number in [0, depth) is
 * an error at run time naming the value and its index (TF.js gives a row of offValue, so a bad
 * label silently becomes a wrong loss); ids may be a float tensor holding whole numbers (labels
 * often arrive as floats; TF.js wants int32); depth 1 is allowed (TF.js asks for ≥ 2).
 */
export const oneHot = registerOp<OneHotAttrs>({
  name: 'oneHot',
  arity: 1,
  doc: 'class ids (whole numbers in [0, depth), else a run-time error) → rows of onValue at the id, offValue elsewhere (no gradient)',
  dtype: (_, { depth, onValue = 1, offValue = 0 }): DType => {
    if (!Number.isInteger(depth) || depth <= 0) throw new RuleError(`depth must be a positive whole number, got ${depth}`);
    if (!Number.isFinite(onValue) || !Number.isFinite(offValue)) throw new RuleError(`onValue and offValue must be finite numbers, got ${onValue} and ${offValue}`);
    return 'float';
  },
  shape: ([x], { depth }) => [...x, depth],
  vjp: () => [null],
});

/**
 * Label smoothing as TF.js's softmaxCrossEntropy does it: targets y·(1 − ε) + ε/k over k classes,
 * from class ids (one-hot rows with on 1 − ε + ε/k and off ε/k) or from rows. The cross-entropy
 * then takes them as probability rows, so its gradient is softmax(z) − smoothed y.
 */
export function smoothLabels(labels: Tensor, logits: Tensor, labelSmoothing: number): Tensor {
  if (!(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new GraphError(`softmaxCrossEntropy: labelSmoothing must be a number in [0, 1], got ${String(labelSmoothing)}`, callSite());
  }
  const k = logits.shape[logits.rank - 1];
  if (typeof k !== 'number') throw new GraphError('softmaxCrossEntropy: label smoothing needs a known number of classes (the last dimension of the logits)', callSite());
  const e = labelSmoothing;
  if (labels.dtype === 'int' || labels.rank === logits.rank - 1) return labels.oneHot(k, 1 - e + e / k, e / k);
  return labels.mul(1 - e).add(e / k);
}
