/**
 * "Check my backprop": a learner's own gradient function, run on random nets and batches against
 * deltagraph's autodiff, with a report of the first equation and layer where it breaks and of the
 * classic bugs that explain it. Each classic bug is a hypothesis that predicts the learner's exact
 * output (the hand reference with that bug planted); a hypothesis is named only when its
 * prediction matches what the learner returned, to rounding.
 *
 * The learner's function gets a copy of the net and one batch and returns the gradient of the
 * BATCH MEAN cost, in one of two forms:
 *   'column'  Nielsen's: w^l is [n_l, n_{l−1}], a sample is a column: x is [n_0, m], y [n_L, m],
 *             δ^l is [n_l, m], z^l = w^l a^{l−1} + b^l.
 *   'row'     the batched form: w^l is [n_{l−1}, n_l], a sample is a row: x is [m, n_0], y [m, n_L],
 *             δ^l is [m, n_l], z^l = a^{l−1} w^l + b^l.
 * Returning the δ^l too (optional) lets the check tell BP1/BP2 from BP3.
 *
 * @example
 * const result = checkBackprop(myBackprop, { form: 'column', hidden: 'sigmoid', cost: 'quadratic' });
 * console.log(result.report); // "✓ …" or where it breaks and why
 */
import { GraphError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { Graph } from '../../graph/graph.ts';
import type { Tensor } from '../../graph/tensor.ts';
import { binaryCrossEntropy, quadratic, softmaxCrossEntropy } from '../losses.ts';
import { applyActivation } from '../layers.ts';
import { backprop, equations, forward, relu, sigmoid, tanh, type Activation, type BackpropResult, type Cost, type Net } from '../reference/backprop.ts';
import { hadamard, map, matMul, matrix, scale, type Matrix } from '../reference/matrix.ts';
import { BackpropTracer } from './trace.ts';

/**
 * How a learner's matrices are laid out: `'column'` as Nielsen (one sample per column, w^l is [n_l,
 * n_{l−1}]) or `'row'` as deltagraph (one sample per row, w^l is [n_{l−1}, n_l]).
 */
export type Form = 'column' | 'row';

/** What the learner's function is given: copies, so it cannot spoil the check by writing into them. */
export interface LearnerNet {
  /** Layer sizes, input first. */
  readonly sizes: readonly number[];
  /** weights[l−1] is w^l, in the learner's form. */
  readonly weights: Matrix[];
  /** biases[l−1] is b^l, n_l entries. */
  readonly biases: Float64Array[];
}

/** What the learner's function returns, in its form. */
export interface LearnerGradients {
  /** ∂C/∂w^l, the shape of w^l. */
  weights: readonly Matrix[];
  /** ∂C/∂b^l, n_l entries (an array, or a matrix of n_l entries). */
  biases: readonly (ArrayLike<number> | Matrix)[];
  /** δ^l = ∂C/∂z^l, optional: with them the check can tell BP1/BP2 from BP3. */
  deltas?: readonly Matrix[];
}

/**
 * A learner's backpropagation: given the net, a batch x and its targets y (in the chosen form), the
 * gradient of the batch-mean cost.
 */
export type LearnerBackprop = (net: LearnerNet, x: Matrix, y: Matrix) => LearnerGradients;

/** The activations a learner's net may use. */
export type HiddenActivation = 'sigmoid' | 'relu' | 'tanh';

/** Options of {@link checkBackprop}. */
export interface CheckOptions {
  /** The learner's layout: `'column'` (Nielsen's) or `'row'`. */
  form: Form;
  /** Activation of the hidden layers (default sigmoid). */
  hidden?: HiddenActivation;
  /** Activation of the output layer (default sigmoid; softmaxCrossEntropy always uses softmax). */
  output?: HiddenActivation;
  /** The cost whose batch mean the function differentiates (default quadratic). */
  cost?: Cost;
  /** The nets to try, input first (default [4,5,3] and the square [3,3,3,3], where a transposed w fits). */
  sizes?: readonly (readonly number[])[];
  /** Calls per net, each with new random weights and a new batch (default 3). */
  calls?: number;
  /** Samples per batch (default 4). */
  batchSize?: number;
  /** Seed of the random nets and batches (default 1). */
  seed?: number;
  /** Largest relative difference taken as equal (default 1e-6). */
  tolerance?: number;
}

/** The four equations of backpropagation. */
export type Equation = 'BP1' | 'BP2' | 'BP3' | 'BP4';

/** One quantity of one layer on one call: the learner's against autodiff. */
export interface QuantityCheck {
  /** The layer l (1-based). */
  readonly layer: number;
  /** `δ2`, `∂C/∂b2`, `∂C/∂w2`. */
  readonly name: string;
  /** The equation that computes it. */
  readonly equation: Equation;
  /** ‖learner − autodiff‖∞ / max(‖learner‖∞, ‖autodiff‖∞). */
  readonly relativeError: number;
  /** Whether it is within the tolerance. */
  readonly ok: boolean;
}

/** One call of the learner's function and what the check found. */
export interface CallCheck {
  /** 1-based over all calls. */
  readonly call: number;
  /** The net's layer sizes on this call. */
  readonly sizes: readonly number[];
  /** The batch size. */
  readonly m: number;
  /** Set when the function threw, or returned the wrong number or shape of arrays. */
  readonly problem?: string;
  /** Where it broke first, in backprop order (layer L first; δ, then ∂C/∂b, then ∂C/∂w). */
  readonly equation?: Equation;
  /** The layer where it broke first. */
  readonly layer?: number;
  /** Every quantity checked, in backprop order (empty when `problem` is set). */
  readonly quantities: readonly QuantityCheck[];
  /** Whether every quantity was right. */
  readonly ok: boolean;
}

/** What {@link checkBackprop} found. */
export interface BackpropCheck {
  /** Whether every call was right. */
  readonly ok: boolean;
  /** Every call, in order. */
  readonly calls: readonly CallCheck[];
  /** The first call that went wrong. */
  readonly firstFailure?: CallCheck;
  /** The classic bugs whose predictions match every wrong call they make a prediction for. */
  readonly explanations: readonly string[];
  /** Everything above, for a person. */
  readonly report: string;
}

const activationsByName: Record<HiddenActivation, Activation> = { sigmoid, relu, tanh };

/** Row-form gradients (the reference's and the comparison's common form). */
interface Gradients {
  weights: Matrix[];
  biases: Float64Array[];
  deltas?: Matrix[];
}

interface CallRecord {
  net: Net;
  x: Matrix;
  y: Matrix;
  truth: Gradients;
  /** The learner's output in row form; null when it threw or its shapes were wrong. */
  learner: Gradients | null;
  check: CallCheck;
  /** The previous call on the same net sizes. */
  previous?: CallRecord;
}

/**
 * A classic bug as a prediction of what a function with that bug returns on `call` (row form),
 * or null where it predicts nothing (no previous call; shapes it cannot apply to).
 */
interface Hypothesis {
  readonly name: string;
  predict(call: CallRecord): Gradients | null;
}

/**
 * Checks a learner's own backpropagation against autodiff on random nets and batches, and names the
 * first equation and layer that break and the classic bugs that explain the wrong values.
 *
 * @example
 * const verdict = checkBackprop(myBackprop, { form: 'column' });
 * console.log(verdict.report);
 */
export function checkBackprop(learner: LearnerBackprop, options: CheckOptions): BackpropCheck {
  if (typeof learner !== 'function') throw new GraphError('checkBackprop: pass your gradient function (net, x, y) => { weights, biases, deltas? }');
  const form = options?.form;
  if (form !== 'column' && form !== 'row') throw new GraphError(`checkBackprop: form must be 'column' (Nielsen's, w^l is [n_l, n_{l−1}]) or 'row' (w^l is [n_{l−1}, n_l]), got ${String(form)}`);
  const hidden = options.hidden ?? 'sigmoid';
  const output = options.output ?? 'sigmoid';
  const cost = options.cost ?? 'quadratic';
  for (const [what, a] of [['hidden', hidden], ['output', output]] as const) {
    if (!(a in activationsByName)) throw new GraphError(`checkBackprop: ${what} must be sigmoid, relu or tanh, got ${String(a)}`);
  }
  if (cost === 'crossEntropy' && output !== 'sigmoid') throw new GraphError('checkBackprop: the crossEntropy cost needs a sigmoid output');
  const sizesList = options.sizes ?? [
    [4, 5, 3],
    [3, 3, 3, 3],
  ];
  for (const sizes of sizesList) {
    if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new GraphError(`checkBackprop: sizes [${sizes}] must be two or more layer widths ≥ 1`);
  }
  const calls = options.calls ?? 3;
  const m = options.batchSize ?? 4;
  if (m < 2) throw new GraphError('checkBackprop: batchSize must be at least 2, or a missing 1/m could not show');
  const tolerance = options.tolerance ?? 1e-6;
  const rng = new Rng(options.seed ?? 1);
  const setup = { form, hidden: activationsByName[hidden], output: activationsByName[output], cost };

  const records: CallRecord[] = [];
  for (const sizes of sizesList) {
    const tracer = new BackpropTracer(truthGraph(sizes, hidden, cost === 'softmaxCrossEntropy' ? 'linear' : output, cost));
    let previous: CallRecord | undefined;
    try {
      for (let k = 0; k < calls; k++) {
        const net = randomNet(sizes, setup, rng);
        const x = matrix(m, sizes[0], Array.from({ length: m * sizes[0] }, () => rng.next()));
        const y = matrix(m, sizes[sizes.length - 1]);
        for (let r = 0; r < m; r++) y.data[r * y.cols + rng.int(y.cols)] = 1;
        const trace = tracer.trace({ x: x.data, y: y.data }, weightsByName(net));
        const truth: Gradients = {
          weights: trace.layers.map((l) => l.weightGradient),
          biases: trace.layers.map((l) => l.biasGradient),
          deltas: trace.layers.map((l) => l.delta),
        };
        const record = runLearner(learner, records.length + 1, net, x, y, truth, form, tolerance);
        record.previous = previous;
        records.push(record);
        previous = record;
      }
    } finally {
      tracer.dispose();
    }
  }

  const firstFailure = records.find((r) => !r.check.ok)?.check;
  const explanations = firstFailure ? explain(records, hypotheses(setup), tolerance) : [];
  const checks = records.map((r) => r.check);
  const result = { ok: !firstFailure, calls: checks, firstFailure, explanations };
  return { ...result, report: formatCheck(result, options, setup) };
}

/** The graph autodiff differentiates: the same net in the row form, parameters w1, b1, w2, … */
function truthGraph(sizes: readonly number[], hidden: HiddenActivation, output: HiddenActivation | 'linear', cost: Cost) {
  const g = new Graph();
  const input = g.input('x', [null, sizes[0]]);
  const targets = g.input('y', [null, sizes[sizes.length - 1]]);
  let a: Tensor = input;
  for (let l = 1; l < sizes.length; l++) {
    const z = a.matMul(g.parameter(`w${l}`, [sizes[l - 1], sizes[l]], 'zeros')).add(g.parameter(`b${l}`, [sizes[l]], 'zeros'));
    a = applyActivation(z, l < sizes.length - 1 ? hidden : output);
  }
  const loss = cost === 'quadratic' ? quadratic(a, targets) : cost === 'crossEntropy' ? binaryCrossEntropy(a, targets) : softmaxCrossEntropy(a, targets);
  return { loss, output: a, input, targets, cost };
}

function randomNet(sizes: readonly number[], setup: { hidden: Activation; output: Activation; cost: Cost }, rng: Rng): Net {
  const layers = sizes.length - 1;
  return {
    weights: Array.from({ length: layers }, (_, i) => matrix(sizes[i], sizes[i + 1], Array.from({ length: sizes[i] * sizes[i + 1] }, () => rng.normal()))),
    biases: Array.from({ length: layers }, (_, i) => Float64Array.from({ length: sizes[i + 1] }, () => rng.normal())),
    hidden: setup.hidden,
    output: setup.output,
    cost: setup.cost,
  };
}

function weightsByName(net: Net): Map<string, Float64Array> {
  return new Map(net.weights.flatMap((w, i) => [[`w${i + 1}`, w.data] as const, [`b${i + 1}`, net.biases[i]] as const]));
}

function transpose(a: Matrix): Matrix {
  const out = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

const isMatrix = (v: unknown): v is Matrix => typeof v === 'object' && v !== null && 'rows' in v && 'cols' in v && 'data' in v;

/** Calls the learner on one net and batch and checks its output against autodiff. */
function runLearner(learner: LearnerBackprop, call: number, net: Net, x: Matrix, y: Matrix, truth: Gradients, form: Form, tolerance: number): CallRecord {
  const sizes = [x.cols, ...net.weights.map((w) => w.cols)];
  const L = sizes.length - 1;
  const toForm = (a: Matrix) => (form === 'column' ? transpose(a) : matrix(a.rows, a.cols, a.data));
  const base = { call, sizes, m: x.rows };
  const fail = (problem: string, equation?: Equation, layer?: number): CallRecord => ({
    net, x, y, truth, learner: null,
    check: { ...base, problem, ...(equation ? { equation, layer } : {}), quantities: [], ok: false },
  });
  let out: LearnerGradients;
  try {
    out = learner({ sizes, weights: net.weights.map(toForm), biases: net.biases.map((b) => Float64Array.from(b)) }, toForm(x), toForm(y));
  } catch (e) {
    return fail(`your function threw: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (!out || !Array.isArray(out.weights) || !Array.isArray(out.biases)) return fail('your function must return { weights, biases } (arrays, one entry per layer)');
  if (out.weights.length !== L || out.biases.length !== L) return fail(`your function returned ${out.weights.length} weight and ${out.biases.length} bias gradients for ${L} layers`);
  const shape = (a: Matrix) => `${a.rows}×${a.cols}`;
  const learnerRow: Gradients = { weights: new Array<Matrix>(L), biases: new Array<Float64Array>(L) };
  for (let i = L - 1; i >= 0; i--) {
    const l = i + 1;
    const dw = out.weights[i];
    const w = toForm(net.weights[i]);
    if (!isMatrix(dw)) return fail(`∂C/∂w${l} is not a matrix { rows, cols, data }`, 'BP4', l);
    if (dw.rows !== w.rows || dw.cols !== w.cols) {
      const transposed = dw.rows === w.cols && dw.cols === w.rows;
      return fail(`∂C/∂w${l} is ${shape(dw)} but w${l} is ${shape(w)}${transposed ? `: it is transposed (${form === 'column' ? 'BP4 is δ^l (a^{l−1})ᵀ' : 'BP4 is (a^{l−1})ᵀ δ^l'})` : ''}`, 'BP4', l);
    }
    learnerRow.weights[i] = form === 'column' ? transpose(dw) : dw;
    const db = out.biases[i];
    const dbValues = isMatrix(db) ? db.data : db;
    if (dbValues?.length !== sizes[l]) return fail(`∂C/∂b${l} has ${dbValues?.length} entries, b${l} has ${sizes[l]}`, 'BP3', l);
    learnerRow.biases[i] = Float64Array.from(dbValues);
  }
  if (out.deltas !== undefined) {
    if (!Array.isArray(out.deltas) || out.deltas.length !== L) return fail(`deltas must hold one δ per layer (${L})`);
    learnerRow.deltas = new Array<Matrix>(L);
    for (let i = L - 1; i >= 0; i--) {
      const d = out.deltas[i];
      const expected = form === 'column' ? [sizes[i + 1], x.rows] : [x.rows, sizes[i + 1]];
      if (!isMatrix(d) || d.rows !== expected[0] || d.cols !== expected[1]) {
        return fail(`δ${i + 1} is ${isMatrix(d) ? shape(d) : 'not a matrix'}, expected ${expected.join('×')}`, i === L - 1 ? 'BP1' : 'BP2', i + 1);
      }
      learnerRow.deltas[i] = form === 'column' ? transpose(d) : d;
    }
  }
  const quantities = compare(learnerRow, truth, tolerance);
  const first = quantities.find((q) => !q.ok);
  return {
    net, x, y, truth, learner: learnerRow,
    check: { ...base, quantities, ok: !first, ...(first ? { equation: first.equation, layer: first.layer } : {}) },
  };
}

/** Every quantity the learner returned against `expected`, in backprop order: layer L first; δ, ∂C/∂b, ∂C/∂w. */
function compare(learner: Gradients, expected: Gradients, tolerance: number): QuantityCheck[] {
  const L = learner.weights.length;
  const out: QuantityCheck[] = [];
  for (let i = L - 1; i >= 0; i--) {
    const layer = i + 1;
    const deltaEquation: Equation = i === L - 1 ? 'BP1' : 'BP2';
    const add = (name: string, equation: Equation, a: ArrayLike<number>, b: ArrayLike<number>) => {
      const relativeError = relativeDifference(a, b);
      out.push({ layer, name, equation, relativeError, ok: relativeError <= tolerance });
    };
    if (learner.deltas && expected.deltas) add(`δ${layer}`, deltaEquation, learner.deltas[i].data, expected.deltas[i].data);
    // Without δ, a wrong ∂C/∂b can come from BP1/BP2 as much as from BP3: name the earlier one.
    add(`∂C/∂b${layer}`, learner.deltas ? 'BP3' : deltaEquation, learner.biases[i], expected.biases[i]);
    add(`∂C/∂w${layer}`, 'BP4', learner.weights[i].data, expected.weights[i].data);
  }
  return out;
}

function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) return Infinity;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

const fromResult = (r: BackpropResult): Gradients => ({ weights: r.weightGradients, biases: r.biasGradients, deltas: r.deltas });

/** The reference with a bug planted, or null where the bug cannot apply (e.g. a transposed w that does not fit). */
function planted(run: () => BackpropResult): Gradients | null {
  try {
    return fromResult(run());
  } catch {
    return null;
  }
}

/** The classic bugs, each as a prediction of the learner's output. */
function hypotheses(setup: { form: Form; hidden: Activation; output: Activation; cost: Cost }): Hypothesis[] {
  // The derivative bugs: f′ taken at a = f(z) instead of z, or f itself used for f′; in BP1, BP2 or both.
  const derivativeBugs: [string, (f: Activation) => Activation][] = [
    ["σ′ taken of the activation a = σ(z) instead of z", (f) => ({ ...f, prime: (z) => f.prime(f.f(z)) })],
    ['σ used where σ′ was meant (the activation, not its derivative)', (f) => ({ ...f, prime: f.f })],
  ];
  const places: [string, boolean, boolean][] = [
    ['in BP2 (the hidden layers)', true, false],
    ...(setup.cost === 'quadratic' ? ([
      ['in BP1 (the output layer)', false, true],
      ['in BP1 and BP2 (every layer)', true, true],
    ] as [string, boolean, boolean][]) : []),
  ];
  const list: Hypothesis[] = [
    {
      name: 'wrong sign: the gradient is negated (a − y written as y − a, or the minus of the descent step put into the gradient)',
      predict: (c) => negate(c.truth),
    },
    {
      name: "missing 1/m: the gradient is the batch's sum, not its mean (BP1 without the 1/m)",
      predict: (c) => planted(() => backprop(c.net, c.x, c.y, { bp1: (ctx) => equations.bp1({ ...ctx, m: 1 }) })),
    },
    ...derivativeBugs.flatMap(([bug, wrong]) =>
      places.map(([place, hidden, output]): Hypothesis => ({
        name: `${bug}, ${place}`,
        predict: (c) => planted(() => backprop({ ...c.net, hidden: hidden ? wrong(c.net.hidden) : c.net.hidden, output: output ? wrong(c.net.output) : c.net.output }, c.x, c.y)),
      })),
    ),
    {
      name: `w not transposed in BP2: ${setup.form === 'column' ? 'w^{l+1} δ^{l+1} instead of (w^{l+1})ᵀ δ^{l+1}' : 'δ^{l+1} w^{l+1} instead of δ^{l+1} (w^{l+1})ᵀ'}`,
      predict: (c) =>
        planted(() => backprop(c.net, c.x, c.y, { bp2: (wNext, deltaNext, z, f) => hadamard(matMul(deltaNext, wNext), map(z, f.prime)) })),
    },
    {
      name: 'BP4 transposed: ∂C/∂w^l comes out as its transpose (only visible on square layers; elsewhere the shape gives it away)',
      predict: (c) => ({ ...c.truth, weights: c.truth.weights.map(transpose) }),
    },
    {
      name: 'gradients accumulated without a reset: each call returns its gradient plus what the previous call returned',
      predict: (c) => {
        const before = c.previous?.learner;
        if (!before) return null;
        const add = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);
        return {
          weights: c.truth.weights.map((w, i) => ({ ...w, data: add(w.data, before.weights[i].data) })),
          biases: c.truth.biases.map((b, i) => add(b, before.biases[i])),
          deltas: c.truth.deltas, // δ is computed afresh; what piles up is the sum of ∂C/∂w and ∂C/∂b
        };
      },
    },
    {
      name: "stale forward pass: backprop ran on the previous call's z and a (the previous weights and batch), not this call's",
      predict: (c) => (c.previous ? planted(() => backprop(c.net, c.x, c.y, {}, forward(c.previous!.net, c.previous!.x))) : null),
    },
    {
      name: "stale forward pass: backprop ran on z and a of this batch under the previous call's weights (forward before the update, backward after)",
      predict: (c) => (c.previous ? planted(() => backprop(c.net, c.x, c.y, {}, forward(c.previous!.net, c.x))) : null),
    },
  ];
  return list;
}

function negate(g: Gradients): Gradients {
  return { weights: g.weights.map((w) => scale(w, -1)), biases: g.biases.map((b) => b.map((v) => -v)), deltas: g.deltas?.map((d) => scale(d, -1)) };
}

/**
 * The hypotheses whose prediction matches the learner on every wrong call they predict, and on at
 * least one; a prediction equal to the right answer explains nothing.
 */
function explain(records: readonly CallRecord[], list: readonly Hypothesis[], tolerance: number): string[] {
  const wrong = records.filter((r) => !r.check.ok && r.learner);
  return list
    .filter((h) => {
      let matched = 0;
      for (const r of wrong) {
        const prediction = h.predict(r);
        if (!prediction) continue;
        if (!compare(r.learner!, prediction, tolerance).every((q) => q.ok)) return false;
        matched++;
      }
      return matched > 0;
    })
    .map((h) => h.name);
}

function formatCheck(
  result: { ok: boolean; calls: readonly CallCheck[]; firstFailure?: CallCheck; explanations: readonly string[] },
  options: CheckOptions,
  setup: { form: Form; cost: Cost },
): string {
  const nets = [...new Set(result.calls.map((c) => `[${c.sizes.join(',')}]`))].join(' and ');
  const what = `${result.calls.length} calls on random ${nets} nets (${options.hidden ?? 'sigmoid'} hidden, ${setup.cost === 'softmaxCrossEntropy' ? 'softmax' : options.output ?? 'sigmoid'} output, ${setup.cost} cost, ${setup.form} form, m = ${result.calls[0]?.m})`;
  if (result.ok) {
    const worst = Math.max(0, ...result.calls.flatMap((c) => c.quantities.map((q) => q.relativeError)));
    return `✓ Your backprop agrees with autodiff: ${what}; largest relative difference ${worst.toExponential(1)}.`;
  }
  const f = result.firstFailure!;
  const lines = [`✗ Your backprop is wrong. Checked ${what}.`];
  const where = f.equation ? `${f.equation} at layer ${f.layer}, on call ${f.call}` : `call ${f.call}`;
  lines.push(`First wrong: ${where} ([${f.sizes.join(',')}], m = ${f.m})${f.problem ? `: ${f.problem}` : ''}.`);
  const earlier = result.calls.filter((c) => c.call < f.call && c.sizes.join() === f.sizes.join());
  if (earlier.length > 0) lines.push(`(The call${earlier.length > 1 ? 's' : ''} before on this net ${earlier.length > 1 ? 'were' : 'was'} right: the bug depends on what ran before.)`);
  if (f.quantities.length > 0) {
    lines.push('Layer by layer, equation by equation (relative difference from autodiff):');
    for (const q of f.quantities) lines.push(`  ${`layer ${q.layer}`.padEnd(8)} ${q.equation}  ${q.name.padEnd(7)} ${q.relativeError.toExponential(1).padStart(8)}  ${q.ok ? 'ok' : 'WRONG'}`);
  }
  if (result.explanations.length > 0) {
    lines.push('Explained by (its prediction matches your output on every wrong call):');
    for (const e of result.explanations) lines.push(`  - ${e}`);
  } else {
    lines.push('None of the classic bugs (σ′ of a, σ for σ′, missing 1/m, transposed w, accumulation without reset, stale forward pass, wrong sign) reproduces your output alone; look at the equation named above.');
  }
  return lines.join('\n');
}
