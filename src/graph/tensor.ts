/**
 * A Tensor is a handle on one node of a Graph: symbolic, it holds no data. Its methods build new
 * nodes (`x.matMul(w).add(b).sigmoid()`), checking shapes at once. Numbers stand for scalar
 * constants wherever a tensor is expected.
 */
import type { DType, Node } from '../core/ir.ts';
import type { Shape } from '../core/shape.ts';
import type { Padding, WindowAttrs } from '../ops/conv.ts';
import { ops, type OpDef } from '../ops/index.ts';
import { smoothLabels } from '../ops/softmax.ts';
import type { Graph } from './graph.ts';

/** A tensor, or a number standing for a scalar constant (`x.mul(0.5)`). */
export type TensorLike = Tensor | number;

/** How windows move over an image: a number stands for the same value along height and width. */
export interface WindowOptions {
  /** Step between windows (default 1 for conv2d, the pool size for pooling). */
  strides?: number | readonly [number, number];
  /** 'valid' (default), 'same' (output ⌈input / stride⌉, as TF.js) or [[top, bottom], [left, right]]. */
  padding?: Padding;
  /** Spacing between the taps of a window (default 1). */
  dilations?: number | readonly [number, number];
}

const twice = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const windowAttrs = (o: WindowOptions, strides: number | readonly [number, number]): WindowAttrs => ({
  strides: twice(o.strides ?? strides),
  padding: o.padding ?? 'valid',
  dilations: twice(o.dilations ?? 1),
});

/**
 * A node of a {@link Graph}, as the user holds it: every method appends an op to the graph and returns
 * its output, checking shapes at once. Nothing is computed until the graph is compiled and run.
 *
 * @example
 * const loss = out.sub(y).square().sum(1).mean().mul(0.5);
 */
export class Tensor {
  constructor(
    /** The graph the tensor belongs to. */
    readonly graph: Graph,
    /** Its node in the graph's IR. */
    readonly node: Node,
  ) {}

  /** The node's id in the graph. */
  get id(): number {
    return this.node.id;
  }
  /** The tensor's shape (`null` for the batch dimension). */
  get shape(): Shape {
    return this.node.shape;
  }
  /** The number of axes. */
  get rank(): number {
    return this.node.shape.length;
  }
  /** `'float'` or `'int'`. */
  get dtype(): DType {
    return this.node.dtype;
  }
  /** The node's name, for inputs, parameters and named nodes. */
  get name(): string | undefined {
    return this.node.name;
  }

  private unary(op: OpDef<never>, attrs?: Record<string, unknown>): Tensor {
    return this.graph.apply(op as OpDef, [this], attrs);
  }
  private binary(op: OpDef<never>, other: TensorLike): Tensor {
    return this.graph.apply(op as OpDef, [this, other]);
  }

  // Elementwise arithmetic with numpy-style broadcasting.
  /** this + b, elementwise with numpy broadcasting. */
  add(b: TensorLike): Tensor {
    return this.binary(ops.add, b);
  }
  /** this − b, elementwise with numpy broadcasting. */
  sub(b: TensorLike): Tensor {
    return this.binary(ops.sub, b);
  }
  /** this · b, elementwise with numpy broadcasting (the matrix product is {@link Tensor.matMul}). */
  mul(b: TensorLike): Tensor {
    return this.binary(ops.mul, b);
  }
  /** this / b, elementwise with numpy broadcasting; float even for two ints (7/2 = 3.5). */
  div(b: TensorLike): Tensor {
    return this.binary(ops.div, b);
  }
  /**
   * This tensor as 'float' (exact) or 'int' (toward zero, as TF.js; NaN or ±∞ are a run-time
   * error). Int tensors do arithmetic that stays whole (add, sub, mul, neg, abs, square, sign,
   * relu, step, sum, max, min); other ops take float tensors, or turn int inputs into float
   * results (div, pow, mean) or an int meeting a float.
   */
  cast(dtype: DType): Tensor {
    return this.unary(ops.cast, { dtype });
  }
  /** The larger of this and b, elementwise (broadcast); a tie shares the gradient. */
  maximum(b: TensorLike): Tensor {
    return this.binary(ops.maximum, b);
  }
  /** The smaller of this and b, elementwise (broadcast): −maximum(−this, −b). */
  minimum(b: TensorLike): Tensor {
    return this.neg().maximum(typeof b === 'number' ? -b : b.neg()).neg();
  }
  /**
   * `a` where this condition is non-zero, else `b` (all three broadcast), as TF.js's where: a mask
   * from `equal` or `step` picks between two tensors without NaN leaking from the other branch.
   */
  where(a: TensorLike, b: TensorLike): Tensor {
    return this.graph.apply(ops.where, [this, a, b]);
  }
  /** 1 where the elements are equal, else 0 (no gradient). */
  equal(b: TensorLike): Tensor {
    return this.binary(ops.equal, b);
  }

  // Elementwise functions.
  /** −x. */
  neg(): Tensor {
    return this.unary(ops.neg);
  }
  /** eˣ. */
  exp(): Tensor {
    return this.unary(ops.exp);
  }
  /** The natural logarithm (−∞ at 0, NaN below). */
  log(): Tensor {
    return this.unary(ops.log);
  }
  /** √x (NaN below 0). */
  sqrt(): Tensor {
    return this.unary(ops.sqrt);
  }
  /** x². */
  square(): Tensor {
    return this.unary(ops.square);
  }
  /**
   * x^exponent elementwise, the exponent a number or a tensor (broadcast with x); differentiable
   * in both (the exponent's gradient is 0 where x ≤ 0). As Math.pow for NaN: x⁰ = 1.
   */
  pow(exponent: TensorLike): Tensor {
    return this.binary(ops.pow, exponent);
  }
  /** |x| (gradient sign(x), 0 at 0). */
  abs(): Tensor {
    return this.unary(ops.abs);
  }
  /** -1, 0 or 1 (no gradient). */
  sign(): Tensor {
    return this.unary(ops.sign);
  }
  /** 1 where x > 0, else alpha (default 0), NaN kept (no gradient): with alpha 0, the derivative of relu. */
  step(alpha = 0): Tensor {
    return this.unary(ops.step, { alpha });
  }
  /** The logistic function 1 / (1 + e⁻ˣ). */
  sigmoid(): Tensor {
    return this.unary(ops.sigmoid);
  }
  /** The hyperbolic tangent. */
  tanh(): Tensor {
    return this.unary(ops.tanh);
  }
  /** max(x, 0) (gradient 0 at 0). */
  relu(): Tensor {
    return this.unary(ops.relu);
  }
  /** ln(1 + eˣ), computed without overflow; its derivative is the sigmoid. */
  softplus(): Tensor {
    return this.unary(ops.softplus);
  }
  /** x / (1 + |x|): like tanh, but approaching ±1 polynomially, not exponentially. */
  softsign(): Tensor {
    return this.unary(ops.softsign);
  }

  /**
   * Matrix product, optionally transposing either side's last two axes first: rank 2 · rank 2, or
   * over a leading batch dimension ([batch, m, k]·[batch, k, n]; a rank-2 side is shared by the batch).
   */
  matMul(b: Tensor, transposeA = false, transposeB = false): Tensor {
    const batched = this.rank === 3 || (b instanceof Tensor && b.rank === 3);
    return this.graph.apply(batched ? ops.batchMatMul : ops.matMul, [this, b], { transposeA, transposeB });
  }
  /**
   * 2-d convolution of this NHWC image [batch, height, width, in] with `filter` [kh, kw, in, out]
   * (TF.js's layout), zero padding; differentiable to any order in both.
   *
   * @example
   * const y = x.conv2d(g.parameter('f', [5, 5, 1, 20]), { strides: 1, padding: 'same' });
   */
  conv2d(filter: Tensor, options: WindowOptions = {}): Tensor {
    return this.graph.apply(ops.conv2d, [this, filter], windowAttrs(options, 1));
  }
  /** Maximum over each poolSize window of this NHWC image, per channel (strides default to the pool size). */
  maxPool2d(poolSize: number | readonly [number, number], options: WindowOptions = {}): Tensor {
    return this.unary(ops.maxPool2d, { poolSize: twice(poolSize), ...windowAttrs(options, poolSize) });
  }
  /** Mean over each poolSize window of this NHWC image, per channel, padding not counted (strides default to the pool size). */
  avgPool2d(poolSize: number | readonly [number, number], options: WindowOptions = {}): Tensor {
    return this.unary(ops.avgPool2d, { poolSize: twice(poolSize), ...windowAttrs(options, poolSize) });
  }
  /** Permutes the axes; reverses them when `perm` is omitted. */
  transpose(perm?: readonly number[]): Tensor {
    return this.unary(ops.transpose, { perm: perm ?? this.shape.map((_, i) => this.rank - 1 - i) });
  }
  /**
   * This tensor and `others` joined along `axis` (default 0; every other dimension equal), as
   * TF.js's concat. A list is joined pairwise (concat is a binary op).
   */
  concat(others: Tensor | readonly Tensor[], axis = 0): Tensor {
    return (others instanceof Tensor ? [others] : others).reduce<Tensor>((joined, t) => this.graph.apply(ops.concat, [joined, t], { axis }), this);
  }
  /**
   * The box starting at `begin` with `size` elements per axis (−1 or omitted: to the end), as
   * TF.js's slice; missing trailing axes are taken whole.
   */
  slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor {
    const list = (v: number | readonly number[] | undefined, fill: number) => {
      const given = v === undefined ? [] : typeof v === 'number' ? [v] : [...v];
      return [...given, ...Array<number>(Math.max(0, this.rank - given.length)).fill(fill)];
    };
    return this.unary(ops.slice, { begin: list(begin, 0), size: list(size, -1) });
  }
  /** `paddings[i] = [before, after]` elements of `constantValue` (default 0) added along axis i, as TF.js's pad. */
  pad(paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
    return this.unary(ops.pad, { paddings, constantValue });
  }
  /**
   * The slices along `axis` (default 0) at the int `indices`, as TF.js's gather: an embedding
   * lookup is `table.gather(ids)` with table [vocabulary, width] and int ids of any shape.
   */
  gather(indices: Tensor, axis = 0): Tensor {
    return this.graph.apply(ops.gather, [this, indices], { axis });
  }
  /** Same data, new shape; one dimension may be -1 (inferred). */
  reshape(shape: readonly number[]): Tensor {
    return this.unary(ops.reshape, { shape });
  }

  // Reductions over `axis` (a number, a list, or every axis when omitted).
  /** Σ over `axis` (a number, a list, or every axis when omitted); `keepDims` keeps reduced axes as 1. */
  sum(axis?: number | readonly number[], keepDims = false): Tensor {
    return this.unary(ops.sum, { axes: axis ?? null, keepDims });
  }
  /** The maximum over `axis`; k tied maxima share the gradient, dy/k each. */
  max(axis?: number | readonly number[], keepDims = false): Tensor {
    return this.unary(ops.max, { axes: axis ?? null, keepDims });
  }
  /** The minimum over `axis` (−max(−x)). */
  min(axis?: number | readonly number[], keepDims = false): Tensor {
    return this.neg().max(axis, keepDims).neg();
  }
  /** The mean over `axis`: the sum divided by the count (known once the batch size is). */
  mean(axis?: number | readonly number[], keepDims = false): Tensor {
    return this.sum(axis, keepDims).div(this.count(axis, keepDims));
  }
  /** The number of elements over `axis` (known once the batch size is), as a scalar tensor. */
  count(axis?: number | readonly number[], keepDims = false): Tensor {
    return this.unary(ops.count, { axes: axis ?? null, keepDims });
  }
  /** log Σ exp(x) over `axis`, computed stably (shifted by the maximum). */
  logSumExp(axis?: number | readonly number[], keepDims = false): Tensor {
    return this.unary(ops.logSumExp, { axes: axis ?? null, keepDims });
  }

  /** exp(x) / Σ exp(x) along `axis` (default the last), computed stably. */
  softmax(axis = -1): Tensor {
    return this.unary(ops.softmax, { axis });
  }
  /** x − log Σ exp(x) along `axis` (default the last), computed stably. */
  logSoftmax(axis = -1): Tensor {
    return this.unary(ops.logSoftmax, { axis });
  }
  /**
   * Cross-entropy of softmax(this) against `labels` along the last axis, one value per sample:
   * labels are integer class ids (an int tensor of the leading shape) or one-hot / probability
   * rows of this tensor's shape. Stable for any logits; its gradient is softmax(logits) − onehot.
   * `labelSmoothing` ε in [0, 1] (as TF.js) trains against y·(1 − ε) + ε/k instead.
   */
  softmaxCrossEntropy(labels: Tensor, options: { labelSmoothing?: number } = {}): Tensor {
    const { labelSmoothing = 0 } = options;
    const targets = labelSmoothing === 0 ? labels : smoothLabels(labels, this, labelSmoothing);
    return this.graph.apply(ops.softmaxCrossEntropy, [this, targets]);
  }
  /**
   * Class ids (whole numbers in [0, depth); others are a run-time error) → float rows of length
   * `depth`: onValue at the id, offValue elsewhere (default 1 and 0).
   */
  oneHot(depth: number, onValue = 1, offValue = 0): Tensor {
    return this.unary(ops.oneHot, { depth, onValue, offValue });
  }
  /**
   * This tensor in a training program, `inference` (same shape) in an inference program (one
   * compiled with `training: false`: predict, evaluate); gradients flow to the branch taken.
   *
   * @example
   * const mean = x.mean(0).inTrainPhase(movingMean); // batch statistics only while training
   */
  inTrainPhase(inference: Tensor): Tensor {
    return this.binary(ops.inTrainPhase, inference);
  }
  /** Identity in the forward pass; no gradient flows back through it. */
  stopGradient(): Tensor {
    return this.unary(ops.stopGradient);
  }

  /** `Tensor %id op 'name' [shape] dtype`, for logs. */
  toString(): string {
    const n = this.node;
    return `Tensor %${n.id} ${n.op}${n.name ? ` '${n.name}'` : ''} ${JSON.stringify(n.shape)} ${n.dtype}`;
  }
}
