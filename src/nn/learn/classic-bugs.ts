/**
 * The classic backprop bugs, each as a prediction of what code with that bug returns on a call of
 * checkBackprop: the hand reference (deltagraph/reference) with the bug planted, run on the same
 * weights and samples, in the same order. A bug is named only when its prediction matches what the
 * learner's code returned, to rounding, on every wrong call it predicts; the checker's own logic is
 * in check.ts.
 */
import { backprop, forward, softmax, type Activation, type BackpropResult, type Cost, type ForwardResult, type Net } from '../reference/backprop.ts';
import { addRowVector, hadamard, map, matMul, type Matrix } from '../reference/matrix.ts';
import type { Form } from './learner-values.ts';
import { transpose } from './learner-values.ts';

/** One of the four backpropagation equations: BP1 (δ^L of the output layer), BP2 (δ^l from δ^{l+1}), BP3 (∂C/∂b^l = δ^l), BP4 (∂C/∂w^l from a^{l−1} and δ^l). */
export type Equation = 'BP1' | 'BP2' | 'BP3' | 'BP4';
/** Where a mistake lives: one of the four equations, the update step (updateMiniBatch), or the forward pass backprop read. */
export type Where = Equation | 'update' | 'forward';

/**
 * The id of a classic backprop bug (a {@link ClassicBug}). For the σ′ bugs the suffix says where
 * it is planted: `-bp1` or `-bp2` in that equation, `-both` in both (e.g. `sigma-prime-of-a-bp1`:
 * σ′ taken of a = σ(z) instead of z in BP1).
 */
export type BugId =
  | 'sigma-prime-of-a-bp1'
  | 'sigma-prime-of-a-bp2'
  | 'sigma-prime-of-a-both'
  | 'sigma-for-prime-bp1'
  | 'sigma-for-prime-bp2'
  | 'sigma-for-prime-both'
  | 'wrong-sign'
  | 'w-not-transposed'
  | 'bp4-transposed'
  | 'bias-not-delta'
  | 'missing-1/m'
  | 'eta-twice'
  | 'no-reset'
  | 'stale-pass'
  | 'stale-weights'
  | 'forward-sums'
  | 'quadratic-bp1-with-cross-entropy'
  | 'cross-entropy-bp1-with-quadratic';

/** A classic bug as a person reads it: what the code does, and the fix, in one sentence. */
export interface ClassicBug {
  /** Its stable id, e.g. `'missing-1/m'`. */
  readonly id: BugId;
  /** What the code does and the fix, in one sentence, as the report prints it. */
  readonly name: string;
}

/** Row-form gradients (the reference's form). */
export interface Gradients {
  weights: Matrix[];
  biases: Float64Array[];
  deltas?: Matrix[];
}

/** What backprop ran on once: the weights at the time, and the samples as rows. */
export interface Sample {
  net: Net;
  x: Matrix;
  y: Matrix;
}

/** What a bug's prediction needs to know about one call of the learner's code. */
export interface CallContext {
  readonly kind: 'batch' | 'backprop' | 'update';
  readonly sizes: readonly number[];
  /** What backprop ran on during the call, in order: the batch; one sample; each sample of a mini-batch. */
  readonly samples: readonly Sample[];
  /** Every sample this instance of the learner's code has seen, this call's included. */
  readonly stream: readonly Sample[];
  /** Index in `stream` of samples[0]. */
  readonly start: number;
  /** The right answer: the gradient of the mean cost over the call's samples (autodiff). */
  readonly truth: Gradients;
  /** The right answers of the earlier calls of the same kind on the same instance. */
  readonly earlierTruths: readonly Gradients[];
  readonly eta?: number;
}

/** A prediction: the gradients (or, for an update, the step / −η) the bug gives; null where it predicts nothing; 'throws' where its shapes cannot fit. */
export type Prediction = Gradients | null | 'throws';

export interface Hypothesis extends ClassicBug {
  predict(call: CallContext): Prediction;
  /** Where the learner should look, given the first wrong call. */
  where(call: CallContext): { where: Where; layer?: number };
}

export interface Setup {
  form: Form;
  hidden: Activation;
  output: Activation;
  cost: Cost;
}

const fromResult = (r: BackpropResult): Gradients => ({ weights: r.weightGradients, biases: r.biasGradients, deltas: r.deltas });

/** The reference with a bug planted; 'throws' where the bug's shapes do not fit this net. */
function planted(run: () => BackpropResult): Gradients | 'throws' {
  try {
    return fromResult(run());
  } catch {
    return 'throws';
  }
}

/** The mean of per-sample predictions over a call; a sample the bug predicts nothing for is taken as right. */
function perSample(c: CallContext, predict: (s: Sample, index: number) => Gradients | null | 'throws'): Prediction {
  const parts: Gradients[] = [];
  let any = false;
  for (let k = 0; k < c.samples.length; k++) {
    const s = c.samples[k];
    const p = predict(s, c.start + k);
    if (p === 'throws') return 'throws';
    if (p) any = true;
    parts.push(p ?? fromResult(backprop(s.net, s.x, s.y)));
  }
  if (!any) return null;
  if (parts.length === 1) return parts[0];
  const n = parts.length;
  const mean = (arrays: ArrayLike<number>[]) => Float64Array.from(arrays[0], (_, i) => arrays.reduce((s, a) => s + a[i], 0) / n);
  return {
    weights: parts[0].weights.map((w, l) => ({ ...w, data: mean(parts.map((p) => p.weights[l].data)) })),
    biases: parts[0].biases.map((_, l) => mean(parts.map((p) => p.biases[l]))),
  };
}

const mapGradients = (g: Gradients, f: (v: number) => number): Gradients => ({
  weights: g.weights.map((w) => ({ ...w, data: w.data.map(f) })),
  biases: g.biases.map((b) => b.map(f)),
  deltas: g.deltas?.map((d) => ({ ...d, data: d.data.map(f) })),
});

/**
 * The forward pass of a learner whose z buffers are summed into and never reset: z^l of sample i
 * is the sum over every sample so far of w^l a^{l−1} + b^l, a^{l−1} being that sample's (already
 * wrong) activation.
 */
function summedPass(stream: readonly Sample[], upTo: number): ForwardResult {
  let zs: Matrix[] = [];
  let activations: Matrix[] = [];
  for (let i = 0; i <= upTo; i++) {
    const { net, x } = stream[i];
    const L = net.weights.length;
    const next: Matrix[] = [];
    activations = [x];
    for (let l = 0; l < L; l++) {
      let z = addRowVector(matMul(activations[l], net.weights[l]), net.biases[l]);
      if (zs[l] && zs[l].rows === z.rows) z = { ...z, data: z.data.map((v, k) => v + zs[l].data[k]) };
      next.push(z);
      activations.push(l < L - 1 ? map(z, net.hidden.f) : net.cost === 'softmaxCrossEntropy' ? softmax(z) : map(z, net.output.f));
    }
    zs = next;
  }
  return { zs, activations };
}

const last = (c: CallContext) => c.sizes.length - 1;
const bpOf = (c: CallContext) => ({ where: 'BP1' as const, layer: last(c) });

/** The classic bugs for this set-up, each with its prediction. */
export function hypotheses(setup: Setup): Hypothesis[] {
  const column = setup.form === 'column';
  const derivative: [string, string, (f: Activation) => Activation][] = [
    ['sigma-prime-of-a', 'σ′ taken of the activation a = σ(z) instead of z', (f) => ({ ...f, prime: (z) => f.prime(f.f(z)) })],
    ['sigma-for-prime', 'σ used where σ′ was meant (the activation, not its derivative)', (f) => ({ ...f, prime: f.f })],
  ];
  const fixes: Record<string, string> = {
    'sigma-prime-of-a': 'pass z to σ′, or with a in hand write a(1 − a)',
    'sigma-for-prime': 'use σ′(z) = σ(z)(1 − σ(z))',
  };
  const places: ['bp2' | 'bp1' | 'both', string, boolean, boolean][] = [
    ['bp2', 'in BP2 (the hidden layers)', true, false],
    ...(setup.cost === 'quadratic'
      ? ([
          ['bp1', 'in BP1 (the output layer)', false, true],
          ['both', 'in BP1 and BP2 (every layer)', true, true],
        ] as ['bp1' | 'both', string, boolean, boolean][])
      : []),
  ];
  const list: Hypothesis[] = [
    ...derivative.flatMap(([id, bug, wrong]) =>
      places.map(([place, text, hidden, output]): Hypothesis => ({
        id: `${id}-${place}` as BugId,
        name: `${bug}, ${text}: ${fixes[id]}`,
        predict: (c) => perSample(c, (s) => planted(() => backprop({ ...s.net, hidden: hidden ? wrong(s.net.hidden) : s.net.hidden, output: output ? wrong(s.net.output) : s.net.output }, s.x, s.y))),
        where: (c) => (place === 'bp2' ? { where: 'BP2', layer: last(c) - 1 } : bpOf(c)),
      })),
    ),
    {
      id: 'wrong-sign',
      name: 'wrong sign: the step goes uphill (y − a written for a − y in BP1, or w + η∇C for w − η∇C in the update): BP1 starts from a − y, and the step subtracts η∇C',
      predict: (c) => mapGradients(c.truth, (v) => -v),
      where: (c) => (c.kind === 'update' ? { where: 'update' } : bpOf(c)),
    },
    {
      id: 'w-not-transposed',
      name: `w not transposed in BP2: ${column ? 'write (w^{l+1})ᵀ δ^{l+1}, not w^{l+1} δ^{l+1}' : 'write δ^{l+1} (w^{l+1})ᵀ, not δ^{l+1} w^{l+1}'} (on a net whose layers differ in width the shapes do not fit)`,
      predict: (c) => perSample(c, (s) => planted(() => backprop(s.net, s.x, s.y, { bp2: (wNext, deltaNext, z, f) => hadamard(matMul(deltaNext, wNext), map(z, f.prime)) }))),
      where: (c) => {
        // The first BP2 (from the output back) whose w^{l+1} is not square is where the shapes fail.
        const n = c.sizes;
        let layer = last(c) - 1;
        while (layer > 1 && n[layer] === n[layer + 1]) layer--;
        return { where: 'BP2', layer: n[layer] === n[layer + 1] ? last(c) - 1 : layer };
      },
    },
    {
      id: 'bp4-transposed',
      name: `BP4 transposed, or its outer product in the wrong order: ${column ? '∂C/∂w^l = δ^l (a^{l−1})ᵀ, not a^{l−1} (δ^l)ᵀ' : '∂C/∂w^l = (a^{l−1})ᵀ δ^l, not (δ^l)ᵀ a^{l−1}'}`,
      predict: (c) => (c.truth.weights.some((w) => w.rows !== w.cols) ? 'throws' : { ...c.truth, weights: c.truth.weights.map(transpose) }),
      where: (c) => ({ where: 'BP4', layer: last(c) }),
    },
    {
      id: 'missing-1/m',
      name:
        "missing 1/m: the step uses the batch's sum of gradients, not its mean: " +
        (column ? 'divide by the batch size (network.py: eta / len(mini_batch))' : 'divide δ^L by m'),
      predict: (c) => {
        const m = c.kind === 'update' ? c.samples.length : c.samples[0].x.rows;
        return m === 1 ? null : mapGradients(c.truth, (v) => v * m);
      },
      where: (c) => (c.kind === 'update' ? { where: 'update' } : bpOf(c)),
    },
    {
      id: 'eta-twice',
      name: 'η applied twice: the step is η·(η/m)·Σ∇C_x: multiply by η once, in the update',
      predict: (c) => (c.kind === 'update' && c.eta !== undefined && c.eta !== 1 ? mapGradients(c.truth, (v) => v * c.eta!) : null),
      where: () => ({ where: 'update' }),
    },
    {
      id: 'no-reset',
      name: 'accumulators not reset: nablaB / nablaW keep the sums of earlier calls: set them to zeros at the start of each call (each mini-batch)',
      predict: (c) => {
        if (c.earlierTruths.length === 0) return null;
        const add = (a: ArrayLike<number>, k: number, pick: (g: Gradients) => ArrayLike<number>) => Float64Array.from(a, (v, i) => v + c.earlierTruths.reduce((s, g) => s + pick(g)[i], 0));
        return {
          weights: c.truth.weights.map((w, l) => ({ ...w, data: add(w.data, l, (g) => g.weights[l].data) })),
          biases: c.truth.biases.map((b, l) => add(b, l, (g) => g.biases[l])),
          deltas: c.truth.deltas, // δ is computed afresh; what piles up is ∂C/∂w and ∂C/∂b
        };
      },
      where: (c) => (c.kind === 'update' ? { where: 'update' } : { where: 'BP3', layer: last(c) }),
    },
    {
      id: 'stale-pass',
      name: `stale forward pass: backprop read z and a left from the previous ${column ? 'sample (or batch)' : 'batch (or sample)'}, not this one: run the forward pass of x at the start of backprop(x, y)`,
      predict: (c) => perSample(c, (s, i) => (i > 0 && c.stream[i - 1].x.rows === s.x.rows ? planted(() => backprop(s.net, s.x, s.y, {}, forward(c.stream[i - 1].net, c.stream[i - 1].x))) : null)),
      where: () => ({ where: 'forward' }),
    },
    {
      id: 'stale-weights',
      name: 'stale forward pass: z and a of this input, but under the weights before the last update: run the forward pass after the update, not before it',
      predict: (c) => perSample(c, (s, i) => (i > 0 && c.stream[i - 1].net !== s.net ? planted(() => backprop(s.net, s.x, s.y, {}, forward(c.stream[i - 1].net, s.x))) : null)),
      where: () => ({ where: 'forward' }),
    },
    {
      id: 'forward-sums',
      name: 'forward sums accumulated across samples: the z buffers add each sample’s w·a + b to the last one’s: assign z = w·a + b afresh for each sample',
      predict: (c) => perSample(c, (s, i) => (i > 0 ? planted(() => backprop(s.net, s.x, s.y, {}, summedPass(c.stream, i))) : null)),
      where: () => ({ where: 'forward' }),
    },
  ];
  if (setup.output.name === 'sigmoid' && setup.cost === 'crossEntropy') {
    list.push({
      id: 'quadratic-bp1-with-cross-entropy',
      name: "the quadratic cost's BP1 with the cross-entropy cost: δ^L = (a − y) ⊙ σ′(z) is the quadratic's; with cross-entropy and a sigmoid output the σ′ cancels: δ^L = a − y",
      predict: (c) => perSample(c, (s) => planted(() => backprop({ ...s.net, cost: 'quadratic' }, s.x, s.y))),
      where: bpOf,
    });
  }
  if (setup.output.name === 'sigmoid' && setup.cost === 'quadratic') {
    list.push({
      id: 'cross-entropy-bp1-with-quadratic',
      name: "the cross-entropy cost's BP1 with the quadratic cost: δ^L = a − y is cross-entropy's; the quadratic cost needs (a − y) ⊙ σ′(z^L)",
      predict: (c) => perSample(c, (s) => planted(() => backprop({ ...s.net, cost: 'crossEntropy' }, s.x, s.y))),
      where: bpOf,
    });
  }
  return list;
}

/** Found from which quantities are wrong, not from a prediction: ∂C/∂w^l right rules out a wrong δ^l. */
export const biasNotDelta: ClassicBug = {
  id: 'bias-not-delta',
  name: 'a bias gradient that is not δ: ∂C/∂w^l is right, so δ^l is, but ∂C/∂b^l is not δ^l: set ∂C/∂b^l = δ^l (summed over the samples of a batch)',
};
