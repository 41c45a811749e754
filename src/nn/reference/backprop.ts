/**
 * Hand-derived backpropagation: the reference that deltagraph's autodiff
 * result is held against.
 *
 * This is a plain, fully connected network written the way a learner writes
 * it by hand, in the row-vector mini-batch form: samples are rows.
 *
 *   X = A^0           m x n_0        (m samples, n_0 inputs each)
 *   W^l               n_{l-1} x n_l  (row-major)
 *   b^l               n_l entries    (added to every row)
 *   Z^l = A^{l-1} W^l + b^l,   A^l = f(Z^l)     (f = hidden or output activation)
 *
 * The loss of a mini-batch is the MEAN over its m samples of the per-sample cost C_x:
 *   quadratic            C_x = ½‖a^L − y‖²
 *   crossEntropy         C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]   (sigmoid outputs)
 *   softmaxCrossEntropy  C_x = −Σ_j y_j ln a_j,  a^L = softmax(z^L)
 *
 * The four equations (Δ^l = ∂C/∂Z^l, one row per sample):
 *   BP1  Δ^L = ∇_A C ⊙ f'(Z^L), including the 1/m of the batch mean:
 *          quadratic            (A^L − Y) ⊙ f'(Z^L) / m
 *          crossEntropy         (A^L − Y) / m          (the σ' cancels; needs a sigmoid output)
 *          softmaxCrossEntropy  (softmax(Z^L) − Y) / m
 *   BP2  Δ^l = (Δ^{l+1} (W^{l+1})ᵀ) ⊙ f'(Z^l)
 *   BP3  ∂C/∂b^l = column sums of Δ^l
 *   BP4  ∂C/∂W^l = (A^{l-1})ᵀ Δ^l
 *
 * Indexing: arrays are 0-based while the maths counts layers from 1, so
 * `weights[0]` is W^1, `zs[0]` is Z^1, `deltas[0]` is Δ^1, and
 * `activations[0]` is A^0 = X (so `activations[l]` is A^l).
 *
 * Usage (runnable, e.g. with `npx tsx`):
 *
 *   import { matrix } from './src/nn/reference/matrix.ts';
 *   import { backprop, sigmoid, type Net } from './src/nn/reference/backprop.ts';
 *
 *   // A [2, 3, 1] sigmoid net with quadratic cost.
 *   const net: Net = {
 *     weights: [matrix(2, 3, [0.1, -0.2, 0.3, 0.4, 0.5, -0.6]), matrix(3, 1, [0.7, -0.8, 0.9])],
 *     biases: [new Float64Array([0.1, 0.2, 0.3]), new Float64Array([-0.1])],
 *     hidden: sigmoid,
 *     output: sigmoid,
 *     cost: 'quadratic',
 *   };
 *   const x = matrix(2, 2, [1, 0, 0, 1]); // two samples, one per row
 *   const y = matrix(2, 1, [1, 0]);
 *   const { loss, weightGradients, biasGradients } = backprop(net, x, y);
 *   console.log(loss, weightGradients[0], biasGradients[1]);
 *
 * Catching classic bugs: `backprop(net, x, y, overrides)` replaces any of the
 * four equations, so a test can plant a known bug and check that comparing
 * against the correct gradients catches it:
 *
 *   // Forgetting the 1/m of the batch mean:
 *   backprop(net, x, y, { bp1: (ctx) => equations.bp1({ ...ctx, m: 1 }) });
 *
 *   // BP4 transposed the wrong way round (gives n_l x n_{l-1}; backprop throws
 *   // on the shape unless the layer is square, where only the values are wrong):
 *   backprop(net, x, y, { bp4: (aPrev, delta) => matMulTransposeA(delta, aPrev) });
 *
 *   // σ' taken at the activation a = f(z) instead of at z:
 *   backprop(net, x, y, {
 *     bp2: (wNext, deltaNext, z, f) =>
 *       hadamard(matMulTransposeB(deltaNext, wNext), map(z, (v) => f.prime(f.f(v)))),
 *   });
 *   // ...or the same bug as a buggy Activation (it reaches BP1 too when used as
 *   // the output activation with the quadratic cost):
 *   const buggySigmoid: Activation = { ...sigmoid, prime: (z) => sigmoid.prime(sigmoid.f(z)) };
 *   backprop({ ...net, hidden: buggySigmoid }, x, y);
 *   // (With ReLU this bug is invisible: relu'(relu(z)) equals relu'(z).)
 */

import { ReferenceShapeError } from './matrix.ts';
import {
  addRowVector,
  columnSums,
  hadamard,
  map,
  matMul,
  matMulTransposeA,
  matMulTransposeB,
  matrix,
  scale,
  sub,
} from './matrix.ts';
import type { Matrix } from './matrix.ts';

// ---------------------------------------------------------------------------
// Activations
// ---------------------------------------------------------------------------

/** An activation function and its derivative, both taken at the weighted input z. */
export interface Activation {
  /** Its name, for messages. */
  name: string;
  /** f(z). */
  f(z: number): number;
  /** f'(z): the derivative at z (NOT at the activation f(z)). */
  prime(z: number): number;
}

/** σ(z) = 1/(1+e^{−z}); written in two halves so e^{−z} never overflows. */
function logistic(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** σ(z) = 1/(1 + e^{−z}), σ′(z) = σ(z)(1 − σ(z)). */
export const sigmoid: Activation = {
  name: 'sigmoid',
  f: logistic,
  // σ'(z) = σ(z)(1 − σ(z))
  prime: (z) => {
    const s = logistic(z);
    return s * (1 - s);
  },
};

/** max(z, 0), derivative 1 above 0 and 0 at and below it. */
export const relu: Activation = {
  name: 'relu',
  f: (z) => (z > 0 ? z : 0),
  // The kink at 0 gets derivative 0 (a convention; finite differences avoid it).
  prime: (z) => (z > 0 ? 1 : 0),
};

/** tanh(z), derivative 1 − tanh²(z). */
export const tanh: Activation = {
  name: 'tanh',
  f: (z) => Math.tanh(z),
  // tanh'(z) = 1 − tanh²(z)
  prime: (z) => {
    const t = Math.tanh(z);
    return 1 - t * t;
  },
};

/** z itself, derivative 1 (a linear output layer). */
export const identity: Activation = {
  name: 'identity',
  f: (z) => z,
  prime: () => 1,
};

/**
 * Row-wise softmax, computed stably: subtracting each row's maximum before
 * exponentiating changes nothing mathematically but keeps exp from
 * overflowing to Infinity (and the result from becoming NaN).
 */
export function softmax(z: Matrix): Matrix {
  const out = matrix(z.rows, z.cols);
  for (let i = 0; i < z.rows; i++) {
    const row = z.data.subarray(i * z.cols, (i + 1) * z.cols);
    const max = Math.max(...row);
    let sum = 0;
    for (let j = 0; j < z.cols; j++) {
      const e = Math.exp(row[j]! - max);
      out.data[i * z.cols + j] = e;
      sum += e;
    }
    for (let j = 0; j < z.cols; j++) out.data[i * z.cols + j]! /= sum;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Network, forward pass and loss
// ---------------------------------------------------------------------------

/**
 * The costs the reference differentiates: Nielsen's quadratic ½‖a − y‖², the cross-entropy of sigmoid
 * outputs, and the softmax cross-entropy.
 */
export type Cost = 'quadratic' | 'crossEntropy' | 'softmaxCrossEntropy';

/** A network as the reference computes it: weights and biases per layer, the activations and the cost. */
export interface Net {
  /** weights[l-1] is W^l, n_{l-1} x n_l. */
  weights: Matrix[];
  /** biases[l-1] is b^l, n_l entries. */
  biases: Float64Array[];
  /** Activation of every layer except the last. */
  hidden: Activation;
  /** Activation of the last layer; ignored for 'softmaxCrossEntropy', which uses softmax. */
  output: Activation;
  /** The cost, averaged over the batch. */
  cost: Cost;
}

/** What {@link forward} returns: every layer's z and a. */
export interface ForwardResult {
  /** zs[l-1] is Z^l = A^{l-1} W^l + b^l, m x n_l. */
  zs: Matrix[];
  /** activations[l] is A^l; activations[0] is the input X. */
  activations: Matrix[];
}

/** Throws a readable Error if the layer shapes do not chain together or x does not fit. */
function checkNet(net: Net, x: Matrix): void {
  if (net.weights.length === 0) throw new ReferenceShapeError('net: needs at least one layer');
  if (net.weights.length !== net.biases.length) {
    throw new ReferenceShapeError(
      `net: ${net.weights.length} weight matrices but ${net.biases.length} bias vectors`,
    );
  }
  let width = x.cols;
  net.weights.forEach((w, i) => {
    const layer = i + 1;
    if (w.rows !== width) {
      throw new ReferenceShapeError(
        `net: W^${layer} is ${w.rows}x${w.cols} but its input has ${width} columns (X is ${x.rows}x${x.cols})`,
      );
    }
    if (net.biases[i]!.length !== w.cols) {
      throw new ReferenceShapeError(
        `net: W^${layer} is ${w.rows}x${w.cols} but b^${layer} has ${net.biases[i]!.length} entries`,
      );
    }
    width = w.cols;
  });
}

/** The forward pass, keeping every Z^l (backprop needs them) and every A^l. */
export function forward(net: Net, x: Matrix): ForwardResult {
  checkNet(net, x);
  const last = net.weights.length - 1;
  const zs: Matrix[] = [];
  const activations: Matrix[] = [x];
  for (let i = 0; i <= last; i++) {
    const z = addRowVector(matMul(activations[i]!, net.weights[i]!), net.biases[i]!);
    let a: Matrix;
    if (i < last) a = map(z, net.hidden.f);
    else if (net.cost === 'softmaxCrossEntropy') a = softmax(z);
    else a = map(z, net.output.f);
    zs.push(z);
    activations.push(a);
  }
  return { zs, activations };
}

/** y·ln(a), taken as 0 when y is 0 (so a = 0 there gives 0, not 0·(−∞) = NaN). */
function yLnA(y: number, a: number): number {
  return y === 0 ? 0 : y * Math.log(a);
}

/**
 * The mean over the batch of the per-sample cost, from the output layer's Z^L
 * (used for the stable log-softmax) and A^L.
 */
function meanCost(cost: Cost, zL: Matrix, aL: Matrix, y: Matrix): number {
  if (y.rows !== aL.rows || y.cols !== aL.cols) {
    throw new ReferenceShapeError(
      `loss: output A^L is ${aL.rows}x${aL.cols}, y is ${y.rows}x${y.cols}: shapes differ`,
    );
  }
  const m = y.rows;
  const n = y.cols;
  let total = 0;
  for (let i = 0; i < m; i++) {
    if (cost === 'softmaxCrossEntropy') {
      // ln softmax(z)_j = z_j − max − ln Σ_k exp(z_k − max): never takes ln of 0.
      const row = zL.data.subarray(i * n, (i + 1) * n);
      const max = Math.max(...row);
      let sumExp = 0;
      for (let j = 0; j < n; j++) sumExp += Math.exp(row[j]! - max);
      const logSumExp = max + Math.log(sumExp);
      for (let j = 0; j < n; j++) total -= y.data[i * n + j]! * (row[j]! - logSumExp);
    } else {
      for (let j = 0; j < n; j++) {
        const a = aL.data[i * n + j]!;
        const t = y.data[i * n + j]!;
        if (cost === 'quadratic') total += 0.5 * (a - t) * (a - t);
        else total -= yLnA(t, a) + yLnA(1 - t, 1 - a);
      }
    }
  }
  return total / m;
}

/** The loss of a mini-batch: the mean over its m rows of the per-sample cost. */
export function loss(net: Net, x: Matrix, y: Matrix): number {
  const { zs, activations } = forward(net, x);
  return meanCost(net.cost, zs[zs.length - 1]!, activations[activations.length - 1]!, y);
}

// ---------------------------------------------------------------------------
// The four equations
// ---------------------------------------------------------------------------

/** What BP1 needs to know about the output layer. */
export interface OutputContext {
  /** Z^L, m x n_L. */
  z: Matrix;
  /** A^L, m x n_L (already softmax(Z^L) for 'softmaxCrossEntropy'). */
  a: Matrix;
  /** The targets Y, m x n_L (one-hot rows for classification). */
  y: Matrix;
  /** The batch size; BP1 divides by it because the loss is the batch MEAN. */
  m: number;
  /** The cost. */
  cost: Cost;
  /** The output activation f (ignored for 'softmaxCrossEntropy'). */
  f: Activation;
}

/**
 * The four equations, as functions: {@link backprop} takes them as a parameter so a learner (or a
 * test) can swap one for a buggy version and watch what changes.
 */
export interface Equations {
  /** BP1: the output error δ^L. */
  bp1(ctx: OutputContext): Matrix;
  /** BP2: δ^l from δ^{l+1}. */
  bp2(wNext: Matrix, deltaNext: Matrix, z: Matrix, f: Activation): Matrix;
  /** BP3: ∂C/∂b^l from δ^l. */
  bp3(delta: Matrix): Float64Array;
  /** BP4: ∂C/∂w^l from δ^l and a^{l−1}. */
  bp4(aPrev: Matrix, delta: Matrix): Matrix;
}

/**
 * BP1, the output error Δ^L = ∂C/∂Z^L (m x n_L), including the 1/m of the batch mean.
 *   quadratic:            ∇_A C = A^L − Y, so Δ^L = (A^L − Y) ⊙ f'(Z^L) / m
 *   crossEntropy:         with a sigmoid output the σ'(Z^L) cancels: Δ^L = (A^L − Y) / m
 *   softmaxCrossEntropy:  Δ^L = (softmax(Z^L) − Y) / m
 */
export function bp1(ctx: OutputContext): Matrix {
  const { z, a, y, m, cost, f } = ctx;
  switch (cost) {
    case 'quadratic':
      return scale(hadamard(sub(a, y), map(z, f.prime)), 1 / m);
    case 'crossEntropy':
      // The cancellation only happens for a sigmoid; any other output would
      // silently get the wrong gradient, so refuse it.
      if (f.name !== 'sigmoid') {
        throw new ReferenceShapeError(`bp1: crossEntropy needs a sigmoid output activation, got ${f.name}`);
      }
      return scale(sub(a, y), 1 / m);
    case 'softmaxCrossEntropy':
      return scale(sub(softmax(z), y), 1 / m);
  }
}

/**
 * BP2, the error moves back one layer: Δ^l = (Δ^{l+1} (W^{l+1})ᵀ) ⊙ f'(Z^l).
 * `wNext` is W^{l+1}, `deltaNext` is Δ^{l+1}, `z` is Z^l and `f` is layer l's
 * activation. f' is taken at Z^l, not at A^l.
 */
export function bp2(wNext: Matrix, deltaNext: Matrix, z: Matrix, f: Activation): Matrix {
  return hadamard(matMulTransposeB(deltaNext, wNext), map(z, f.prime));
}

/**
 * BP3, the bias gradient: ∂C/∂b^l = column sums of Δ^l (summing over the
 * samples; the 1/m is already inside Δ^l from BP1).
 */
export function bp3(delta: Matrix): Float64Array {
  return columnSums(delta);
}

/**
 * BP4, the weight gradient: ∂C/∂W^l = (A^{l-1})ᵀ Δ^l, which is
 * (n_{l-1} x m) · (m x n_l) = n_{l-1} x n_l, the shape of W^l.
 */
export function bp4(aPrev: Matrix, delta: Matrix): Matrix {
  return matMulTransposeA(aPrev, delta);
}

/** The correct equations; `backprop` uses these unless told otherwise. */
export const equations: Equations = { bp1, bp2, bp3, bp4 };

// ---------------------------------------------------------------------------
// Backpropagation
// ---------------------------------------------------------------------------

/** What {@link backprop} returns: the loss and the gradients. */
export interface BackpropResult {
  /** The batch-mean loss at the current weights. */
  loss: number;
  /** weightGradients[l-1] is ∂C/∂W^l, the shape of W^l. */
  weightGradients: Matrix[];
  /** biasGradients[l-1] is ∂C/∂b^l, the length of b^l. */
  biasGradients: Float64Array[];
  /** deltas[l-1] is Δ^l = ∂C/∂Z^l, m x n_l. */
  deltas: Matrix[];
}

/**
 * The gradient of the batch-mean loss with respect to every weight and bias,
 * by BP1 (output layer), BP2 (each earlier layer, last to first), BP3 and BP4.
 * `overrides` replaces any of the equations (see the top of this file).
 * `pass` is the forward pass to go back through, by default a fresh one of x;
 * handing it an old one reproduces the "stale forward pass" bug.
 */
export function backprop(
  net: Net,
  x: Matrix,
  y: Matrix,
  overrides: Partial<Equations> = {},
  pass: ForwardResult = forward(net, x),
): BackpropResult {
  const eq: Equations = { ...equations, ...overrides };
  const { zs, activations } = pass;
  const layers = net.weights.length;
  const last = layers - 1;
  if (zs.length !== layers) throw new ReferenceShapeError(`backprop: the forward pass has ${zs.length} layers, the net ${layers}`);
  const lossValue = meanCost(net.cost, zs[last]!, activations[layers]!, y);

  // Errors, from the output layer back to the first.
  const deltas: Matrix[] = new Array<Matrix>(layers);
  deltas[last] = eq.bp1({
    z: zs[last]!,
    a: activations[layers]!,
    y,
    m: activations[0]!.rows,
    cost: net.cost,
    f: net.output,
  });
  for (let i = last - 1; i >= 0; i--) {
    deltas[i] = eq.bp2(net.weights[i + 1]!, deltas[i + 1]!, zs[i]!, net.hidden);
  }

  // Gradients. activations[i] is A^{i}, the input of layer i+1.
  const weightGradients: Matrix[] = [];
  const biasGradients: Float64Array[] = [];
  for (let i = 0; i < layers; i++) {
    const gradW = eq.bp4(activations[i]!, deltas[i]!);
    const gradB = eq.bp3(deltas[i]!);
    const w = net.weights[i]!;
    // A gradient must have the shape of what it is the gradient of.
    if (gradW.rows !== w.rows || gradW.cols !== w.cols) {
      throw new ReferenceShapeError(
        `backprop: bp4 gave ${gradW.rows}x${gradW.cols} for W^${i + 1}, which is ${w.rows}x${w.cols}`,
      );
    }
    if (gradB.length !== net.biases[i]!.length) {
      throw new ReferenceShapeError(
        `backprop: bp3 gave ${gradB.length} entries for b^${i + 1}, which has ${net.biases[i]!.length}`,
      );
    }
    weightGradients.push(gradW);
    biasGradients.push(gradB);
  }

  return { loss: lossValue, weightGradients, biasGradients, deltas };
}
