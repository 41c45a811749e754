/**
 * Every built-in op, by name: `ops.matMul`, `ops.softmax`, … Importing this module registers
 * them (each family file registers its ops when loaded).
 */
import * as conv from './conv.ts';
import * as elementwise from './elementwise.ts';
import * as fused from './fused.ts';
import * as matmul from './matmul.ts';
import * as movement from './movement.ts';
import * as phase from './phase.ts';
import * as random from './random.ts';
import * as reduce from './reduce.ts';
import * as softmax from './softmax.ts';
import * as sources from './sources.ts';

/**
 * Every built-in op's definition, by name: what it means (shape and dtype rules, gradient,
 * traits) and, in `doc`, what it gives for special values. Ops are applied through `Tensor`
 * methods; these are for inspecting a graph (`isOp(node, ops.matMul)`) and for passes.
 *
 * @example
 * ops.relu.doc; // 'max(x, 0); NaN → NaN (as TF.js and PyTorch), +∞ → +∞, −∞ → 0; gradient 0 at 0'
 */
export const ops = {
  /** `input`: a value fed at run time. */
  input: sources.input,
  /** `parameter`: a trainable value kept in the device memory. */
  parameter: sources.parameter,
  /** `constant`: a fixed value. */
  constant: sources.constant,
  /** `neg`: −x; NaN → NaN, ±∞ → ∓∞. */
  neg: elementwise.neg,
  /** `exp`: eˣ; NaN → NaN, +∞ → +∞, −∞ → 0. */
  exp: elementwise.exp,
  /** `log`: natural logarithm; NaN → NaN, +∞ → +∞, 0 → −∞, x < 0 → NaN. */
  log: elementwise.log,
  /** `sqrt`: √x; NaN → NaN, +∞ → +∞, x < 0 → NaN. */
  sqrt: elementwise.sqrt,
  /** `square`: x²; NaN → NaN, ±∞ → +∞. */
  square: elementwise.square,
  /** `pow`: a^b as Math.pow: NaN in either → NaN, except a⁰ = 1; exponent gradient 0 where a ≤ 0. */
  pow: elementwise.pow,
  /** `abs`: |x|; NaN → NaN, ±∞ → +∞; gradient sign(x), 0 at 0. */
  abs: elementwise.abs,
  /** `sign`: −1, 0 or 1; NaN → NaN (numpy, PyTorch; TF.js gives 0), ±∞ → ±1 (no gradient). */
  sign: elementwise.sign,
  /** `step`: 1 where x > 0, else alpha (default 0); NaN → NaN, as TF.js (no gradient). */
  step: elementwise.step,
  /** `sigmoid`: 1 / (1 + e⁻ˣ); NaN → NaN, +∞ → 1, −∞ → 0. */
  sigmoid: elementwise.sigmoid,
  /** `tanh`: hyperbolic tangent; NaN → NaN, ±∞ → ±1. */
  tanh: elementwise.tanh,
  /** `relu`: max(x, 0); NaN → NaN (as TF.js and PyTorch), +∞ → +∞, −∞ → 0; gradient 0 at 0. */
  relu: elementwise.relu,
  /** `softplus`: ln(1 + eˣ), stable; NaN → NaN, +∞ → +∞, −∞ → 0. */
  softplus: elementwise.softplus,
  /** `softsign`: x / (1 + |x|); NaN → NaN, ±∞ → ±1 (the limit, not ∞/∞). */
  softsign: elementwise.softsign,
  /** `add`: a + b; IEEE: NaN in either → NaN, ∞ − ∞ → NaN. */
  add: elementwise.add,
  /** `sub`: a − b; IEEE: NaN in either → NaN, ∞ − ∞ → NaN. */
  sub: elementwise.sub,
  /** `mul`: a · b (elementwise); IEEE: NaN in either → NaN, 0 · ∞ → NaN. */
  mul: elementwise.mul,
  /** `div`: a / b; IEEE: NaN in either → NaN, x/0 → ±∞, 0/0 and ∞/∞ → NaN. */
  div: elementwise.div,
  /** `maximum`: the larger of a and b; NaN in either → NaN (as Math.max, TF.js); a tie shares the gradient, dy/2 each. */
  maximum: elementwise.maximum,
  /** `where`: a where cond ≠ 0, else b (broadcast); a NaN condition → NaN; NaN in the branch not taken is ignored. */
  where: elementwise.where,
  /** `equal`: 1 where a = b, else 0; NaN equals nothing, itself included (IEEE) (no gradient). */
  equal: elementwise.equal,
  /** `cast`: to 'float' (exact; NaN → NaN, ±∞ → ±∞) or 'int' (toward zero, as TF.js; NaN and ±∞ are a run-time error). */
  cast: elementwise.cast,
  /** `sum`: Σ over axes; NaN → NaN, +∞ and −∞ together → NaN. */
  sum: reduce.sum,
  /** `max`: maximum over axes; NaN → NaN; k ties share the gradient, dy/k each. */
  max: reduce.max,
  /** `logSumExp`: log Σ exp over axes, stable; NaN → NaN, +∞ → +∞, all −∞ → −∞. */
  logSumExp: reduce.logSumExp,
  /** `count`: number of elements over axes, a scalar known once the batch size is (no gradient). */
  count: reduce.count,
  /** `broadcastAxes`: repeats x along the reduced axes of like (the gradient of a reduction). */
  broadcastAxes: reduce.broadcastAxes,
  /** `matMul`: matrix product op(a)·op(b), op = optional transpose. */
  matMul: matmul.matMul,
  /** `batchMatMul`: op(a)·op(b) per batch item, [batch, m, k]·[batch, k, n] (a rank-2 side is shared by the batch). */
  batchMatMul: matmul.batchMatMul,
  /** `transpose`: permutes the axes. */
  transpose: movement.transpose,
  /** `conv2d`: NHWC image x [n,h,w,in] ⋆ filter [kh,kw,in,out] (strides, padding, dilations; zero padding); NaN in a window → NaN. */
  conv2d: conv.conv2d,
  /** `conv2dBackpropInput`: the gradient of conv2d with respect to its image: dy [n,oh,ow,out], filter → [n,h,w,in] (a transposed convolution). */
  conv2dBackpropInput: conv.conv2dBackpropInput,
  /** `conv2dBackpropFilter`: the gradient of conv2d with respect to its filter: x [n,h,w,in], dy [n,oh,ow,out] → [kh,kw,in,out]. */
  conv2dBackpropFilter: conv.conv2dBackpropFilter,
  /** `maxPool2d`: maximum over each window of an NHWC image, per channel (padding ignored); NaN in a window → NaN; k ties share the gradient, dy/k each. */
  maxPool2d: conv.maxPool2d,
  /** `maxPool2dGrad`: the gradient of maxPool2d: (x, y = maxPool2d(x), dy) → x's shape, each window's dy shared by its maxima. */
  maxPool2dGrad: conv.maxPool2dGrad,
  /** `maxPool2dGradGrad`: the gradient of maxPool2dGrad: (x, y = maxPool2d(x), g of x's shape) → y's shape, g averaged over each window's maxima. */
  maxPool2dGradGrad: conv.maxPool2dGradGrad,
  /** `avgPool2d`: mean over each window of an NHWC image, per channel, of the pixels inside the image (padding not counted, as TF.js); NaN in a window → NaN. */
  avgPool2d: conv.avgPool2d,
  /** `avgPool2dGrad`: the gradient of avgPool2d: dy → [n,h,w,c], h and w from inputSize, each window’s dy shared evenly by its pixels. */
  avgPool2dGrad: conv.avgPool2dGrad,

  /** `reshape`: same data, new shape (one dimension may be −1). */
  reshape: movement.reshape,
  /** `concat`: a and b joined along axis (every other dimension equal). */
  concat: movement.concat,
  /** `slice`: the box begin … begin + size (size −1: to the end), as TF.js. */
  slice: movement.slice,
  /** `pad`: x with [before, after] elements of constantValue (default 0) added along every axis, as TF.js. */
  pad: movement.pad,
  /** `gather`: x’s slices along axis at int indices (shape x[:axis] + indices + x[axis+1:]); an index outside the axis is a run-time error. */
  gather: movement.gather,
  /** `gatherGrad`: the gradient of gather: (dy, indices, like x) → x’s shape, dy’s slices summed where the indices point. */
  gatherGrad: movement.gatherGrad,
  /** `stopGradient`: identity forward, no gradient backward. */
  stopGradient: movement.stopGradient,
  /** `softmax`: exp(x) / Σ exp(x) along any axis, stable; NaN or +∞ in a slice → NaN slice, −∞ → 0. */
  softmax: softmax.softmax,
  /** `logSoftmax`: x − log Σ exp(x) along any axis, stable; NaN or +∞ in a slice → NaN slice, −∞ → −∞. */
  logSoftmax: softmax.logSoftmax,
  /** `softmaxCrossEntropy`: cross-entropy of softmax(logits) against class ids or probability rows, per sample; NaN or +∞ logit → NaN. */
  softmaxCrossEntropy: softmax.softmaxCrossEntropy,
  /** `oneHot`: class ids (whole numbers in [0, depth), else a run-time error) → rows of onValue at the id, offValue elsewhere (no gradient). */
  oneHot: softmax.oneHot,
  /** `dropoutMask`: x's shape of 0 (probability rate) or 1/(1 − rate) while training; all 1 otherwise (no gradient). */
  dropoutMask: random.dropoutMask,
  /** `inTrainPhase`: a in a training program, b in an inference program (same shapes); the gradient goes to the branch taken. */
  inTrainPhase: phase.inTrainPhase,
  /** `subScaledMatMul`: c − s·op(a)·op(b), s a scalar (a fused SGD step). */
  subScaledMatMul: fused.subScaledMatMul,
  /** `matMulBiasActivation`: act(x·W + b), b a row vector, act linear, relu or sigmoid (a fused dense layer). */
  matMulBiasActivation: fused.matMulBiasActivation,
  /** `conv2dBiasActivation`: act(conv2d(x, filter) + b), b one value per output channel, act linear, relu or sigmoid (a fused conv layer). */
  conv2dBiasActivation: fused.conv2dBiasActivation,
  /** `softmaxCrossEntropyGrad`: dy·(softmax(z) − onehot(labels)) per row (the fused gradient of softmaxCrossEntropy). */
  softmaxCrossEntropyGrad: fused.softmaxCrossEntropyGrad,
  /** `reluGrad`: dy·step(y), dy and y of one shape (a ReLU's gradient in one pass). */
  reluGrad: fused.reluGrad,
} as const;

export { getOp, listOps, registerOp, isOp, hasTrait, floatOnly, intIfAllInt, floatResult, type OpDef, type Trait, type VjpContext, type VjpRule } from './registry.ts';
