/**
 * "Check my backprop": a learner's own backprop code, run on random nets and samples against
 * deltagraph's autodiff, with a report of the first equation (or the update, or the forward pass)
 * and layer where it breaks, and of the classic bug that explains it (classic-bugs.ts): a bug is
 * named only when the hand reference with that bug planted reproduces what the code returned.
 *
 * It takes code in the shapes learners write it:
 *  - network.py's Network, ported: `{ network: (sizes) => new Network(sizes) }`, an object with
 *    `weights`, `biases`, a per-sample `backprop(x, y)` returning `[nablaB, nablaW]` and/or
 *    `updateMiniBatch(miniBatch, eta)` (changing the net in place, or returning `{ weights, biases }`).
 *    The checker sets the weights, calls backprop sample by sample and updateMiniBatch on several
 *    mini-batches, on a fresh net and then on the same one again, so state left between calls shows.
 *  - a function `(net, x, y) => { weights, biases, deltas? }` returning the gradient of the batch-mean cost.
 * Values are deltagraph's `{ rows, cols, data }` matrices or plain `number[][]` (a Network's own
 * weights say which; `arrays: 'arrays'` for a function), in one of two forms:
 *   'column'  Nielsen's: w^l is [n_l, n_{l−1}], a sample is a column: x is [n_0, m], δ^l [n_l, m],
 *             b^l a column [n_l, 1]; z^l = w^l a^{l−1} + b^l.
 *   'row'     the batched form: w^l is [n_{l−1}, n_l], a sample is a row: x is [m, n_0]; z^l = a^{l−1} w^l + b^l.
 *
 * @example
 * const result = checkBackprop({ network: (sizes) => new Network(sizes) }, { form: 'column' });
 * console.log(result.report); // "✓ …", or where it breaks, the bug and its fix
 */
import { GraphError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { relu, sigmoid, tanh, type Activation, type Cost, type Net } from '../reference/backprop.ts';
import { matrix, type Matrix } from '../reference/matrix.ts';
import { biasNotDelta, hypotheses, type BugId, type CallContext, type ClassicBug, type Equation, type Gradients, type Hypothesis, type Sample, type Setup, type Where } from './classic-bugs.ts';
import {
  arrayKindOf,
  biasKindOf,
  read2D,
  readVector,
  samplesToForm,
  shapeText,
  transpose,
  weightToForm,
  write2D,
  writeVector,
  type ArrayKind,
  type BiasKind,
  type Form,
  type Values2D,
} from './learner-values.ts';
import { BackpropTracer, denseNetGraph } from './trace.ts';

export type { ArrayKind, BugId, ClassicBug, Equation, Form, Values2D, Where };

/** What a learner's gradient function is given: copies, so it cannot spoil the check by writing into them. */
export interface LearnerNet<T extends Values2D = Matrix> {
  /** Layer sizes, input first. */
  readonly sizes: readonly number[];
  /** weights[l−1] is w^l, in the learner's form. */
  readonly weights: T[];
  /** biases[l−1] is b^l, n_l entries. */
  readonly biases: Float64Array[];
}

/** What a learner's gradient function returns, in its form: Matrix or number[][]. */
export interface LearnerGradients<T extends Values2D = Matrix> {
  /** ∂C/∂w^l, the shape of w^l. */
  weights: readonly T[];
  /** ∂C/∂b^l, n_l entries (an array, a column or a row). */
  biases: readonly unknown[];
  /** δ^l = ∂C/∂z^l, optional: with them the check can tell BP1/BP2 from BP3. */
  deltas?: readonly T[];
}

/** A function returning the gradient of the batch-mean cost (x and y hold the m samples of a batch). */
export type LearnerBackprop<T extends Values2D = Matrix> = (net: LearnerNet<T>, x: T, y: T) => LearnerGradients<T>;

/** Network.py's Network, as a learner ports it: what checkBackprop reads and calls. */
export interface NetworkLike {
  /** weights[l−1] is w^l: Matrix or number[][], in the learner's form. */
  weights: unknown[];
  /** biases[l−1] is b^l: a column [[b0], [b1], …] as network.py has it, a row, or a flat array. */
  biases: unknown[];
  /** ∂C_x/∂b and ∂C_x/∂w of ONE sample (x, y columns in the column form): `[nablaB, nablaW]`, network.py's order. */
  backprop?(x: Values2D, y: Values2D): unknown;
  /** One step of gradient descent on a mini-batch of `[x, y]` pairs: in place, or returning `{ weights, biases }`. */
  updateMiniBatch?(miniBatch: [Values2D, Values2D][], eta: number): unknown;
}

/** A learner's network.py port: a factory making a Network of the given sizes (its weights are set by the checker). */
export interface LearnerNetwork {
  /** Makes a Network of the given layer sizes, input first (`(sizes) => new Network(sizes)`); the checker makes fresh nets with it and sets their weights. */
  network: (sizes: number[]) => NetworkLike;
}

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
  /** The cost (default quadratic). */
  cost?: Cost;
  /** The nets to try, input first (default [4,5,3] and the square [3,3,3,3], where a transposed w fits). */
  sizes?: readonly (readonly number[])[];
  /** Calls per net: batches for a function; groups of samples (new weights each) for backprop, mini-batches for updateMiniBatch (default 3). */
  calls?: number;
  /** Samples per batch, per group and per mini-batch (default 4). */
  batchSize?: number;
  /** The learning rate handed to updateMiniBatch (default 3, network.py's). */
  eta?: number;
  /** For a function: hand it `number[][]` ('arrays') or deltagraph matrices (default 'matrix'). */
  arrays?: ArrayKind;
  /** Seed of the random nets and batches (default 1). */
  seed?: number;
  /** Largest relative difference taken as equal (default 1e-6). */
  tolerance?: number;
}

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
  /** 'batch': the function on a batch; 'backprop': backprop(x, y) on one sample; 'update': updateMiniBatch. */
  readonly kind: 'batch' | 'backprop' | 'update';
  /** The net's layer sizes on this call. */
  readonly sizes: readonly number[];
  /** Samples in the call. */
  readonly m: number;
  /** A square net the checker added because the code failed on the shapes of one in `sizes`. */
  readonly probe?: boolean;
  /** Set when the code threw, or returned the wrong number or shape of arrays. */
  readonly problem?: string;
  /** The first wrong quantity, in backprop order (layer L first; δ, then ∂C/∂b, then ∂C/∂w). */
  readonly equation?: Equation;
  /** The layer where it broke first. */
  readonly layer?: number;
  /** Every quantity checked, in backprop order (for an update, of the step divided by −η). */
  readonly quantities: readonly QuantityCheck[];
  /** Whether every quantity was right. */
  readonly ok: boolean;
}

/** Where the learner should look, and why. */
export interface Diagnosis {
  /** The equation (BP1–BP4), the update or the forward pass. */
  readonly where: Where;
  /** The layer, where it applies. */
  readonly layer?: number;
  /** The call where it first went wrong. */
  readonly call: number;
  /** The classic bug that explains the output, when one does. */
  readonly bug?: ClassicBug;
}

/** What {@link checkBackprop} found. */
export interface BackpropCheck {
  /** Whether every call was right. */
  readonly ok: boolean;
  /** Every call, in order. */
  readonly calls: readonly CallCheck[];
  /** The first call that went wrong. */
  readonly firstFailure?: CallCheck;
  /** Where to look first (the equation or step, the layer, the call) and the classic bug that explains it; unset when every call was right or nothing could be located. */
  readonly diagnosis?: Diagnosis;
  /** The classic bugs whose predictions match every wrong call they make a prediction for. */
  readonly bugs: readonly ClassicBug[];
  /** Their names (each with its fix). */
  readonly explanations: readonly string[];
  /** Everything above, for a person. */
  readonly report: string;
}

const activationsByName: Record<HiddenActivation, Activation> = { sigmoid, relu, tanh };

interface CallRecord extends CallContext {
  call: number;
  learner: Gradients | null;
  /** Threw, returned the wrong shapes, or non-finite values: what code whose shapes do not fit does. */
  broken: boolean;
  check: CallCheck;
}

/** What runs the learner's code for one net: it turns calls into records. */
interface Runner {
  readonly describe: string;
  run(sizes: readonly number[], context: RunContext): void;
}

interface RunContext {
  probe: boolean;
  newNet(sizes: readonly number[]): Net;
  batch(sizes: readonly number[], m: number): { x: Matrix; y: Matrix };
  truth(samples: readonly Sample[]): Gradients;
  record(r: Omit<CallRecord, 'call' | 'check'> & { problem?: string; problemAt?: { equation: Equation; layer: number } }): void;
}

/**
 * Checks a learner's own backpropagation against autodiff on random nets and batches, and names the
 * first equation and layer that break and the classic bugs that explain the wrong values. Takes a
 * gradient function of the batch, or a port of network.py (`{ network: (sizes) => new Network(sizes) }`).
 *
 * @example
 * const verdict = checkBackprop(myBackprop, { form: 'column' });
 * console.log(verdict.report);
 */
export function checkBackprop(learner: LearnerBackprop | LearnerNetwork, options: CheckOptions): BackpropCheck;
export function checkBackprop(learner: LearnerBackprop<number[][]>, options: CheckOptions & { arrays: 'arrays' }): BackpropCheck;
export function checkBackprop(learner: LearnerBackprop | LearnerBackprop<number[][]> | LearnerNetwork, options: CheckOptions): BackpropCheck {
  const isNetwork = typeof learner === 'object' && learner !== null && typeof (learner as LearnerNetwork).network === 'function';
  if (typeof learner !== 'function' && !isNetwork) {
    throw new GraphError('checkBackprop: pass your gradient function (net, x, y) => { weights, biases, deltas? }, or { network: (sizes) => new Network(sizes) } for a port of network.py');
  }
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
  if (!Number.isInteger(m) || m < 1) throw new GraphError(`checkBackprop: batchSize must be a whole number ≥ 1, got ${m}`);
  const eta = options.eta ?? 3;
  if (!(eta > 0)) throw new GraphError(`checkBackprop: eta must be > 0, got ${eta}`);
  const tolerance = options.tolerance ?? 1e-6;
  const rng = new Rng(options.seed ?? 1);
  const setup: Setup = { form, hidden: activationsByName[hidden], output: activationsByName[output], cost };
  const runner = isNetwork ? networkRunner((learner as LearnerNetwork).network, form, calls, m, eta) : functionRunner(learner as LearnerBackprop, form, options.arrays ?? 'matrix', calls, m);

  const records: CallRecord[] = [];
  const runOn = (sizes: readonly number[], probe: boolean) => {
    const tracer = new BackpropTracer(denseNetGraph(sizes, hidden, cost === 'softmaxCrossEntropy' ? 'linear' : output, cost));
    try {
      runner.run(sizes, {
        probe,
        newNet: (s) => randomNet(s, setup, rng),
        batch: (s, rows) => {
          const x = matrix(rows, s[0], Array.from({ length: rows * s[0] }, () => rng.next()));
          const y = matrix(rows, s[s.length - 1]);
          for (let r = 0; r < rows; r++) y.data[r * y.cols + rng.int(y.cols)] = 1;
          return { x, y };
        },
        truth: (samples) => {
          // The gradient of the mean cost over every sample of the call, at the call's weights.
          const x = stack(samples.map((s) => s.x));
          const y = stack(samples.map((s) => s.y));
          const trace = tracer.trace({ x: x.data, y: y.data }, weightsByName(samples[0].net));
          return { weights: trace.layers.map((l) => l.weightGradient), biases: trace.layers.map((l) => l.biasGradient), deltas: trace.layers.map((l) => l.delta) };
        },
        record: (r) => {
          const call = records.length + 1;
          const base = { call, kind: r.kind, sizes: r.sizes, m: r.samples.reduce((s, x) => s + x.x.rows, 0), ...(probe ? { probe: true } : {}) };
          if (r.problem !== undefined) {
            records.push({ ...r, call, check: { ...base, problem: r.problem, ...(r.problemAt ?? {}), quantities: [], ok: false } });
            return;
          }
          const quantities = compare(r.learner!, r.truth, tolerance);
          const first = locate(quantities);
          records.push({ ...r, call, check: { ...base, quantities, ok: !first, ...(first ? { equation: first.equation, layer: first.layer } : {}) } });
        },
      });
    } finally {
      tracer.dispose();
    }
  };
  for (const sizes of sizesList) runOn(sizes, false);
  // Code whose shapes fail on a net tells nothing about its values there: try a square net of the
  // same depth, where every shape fits, so the values can say which bug it is.
  const depths = new Set(records.filter((r) => r.broken).map((r) => r.sizes.length));
  for (const depth of depths) {
    if (!sizesList.some((s) => s.length === depth && s.every((n) => n === s[0]))) runOn(Array.from({ length: depth }, () => 3), true);
  }

  const failures = records.filter((r) => !r.check.ok);
  const first = failures[0];
  const matched = first ? explain(failures, hypotheses(setup), tolerance) : [];
  const bugs: ClassicBug[] = matched.map(({ id, name }) => ({ id, name }));
  let diagnosis: Diagnosis | undefined;
  if (first) {
    const structural = { where: first.check.equation, layer: first.check.layer };
    if (matched.length > 0) {
      diagnosis = { ...matched[0].where(first), call: first.call, bug: bugs[0] };
    } else if (failures.every((r) => !r.broken && r.check.equation === 'BP3' && quantityOk(r.check, `∂C/∂w${r.check.layer}`))) {
      bugs.push(biasNotDelta);
      diagnosis = { where: 'BP3', layer: first.check.layer, call: first.call, bug: biasNotDelta };
    } else if (first.kind === 'update' && records.some((r) => r.kind === 'backprop' && r.sizes === first.sizes) && records.every((r) => r.kind !== 'backprop' || r.sizes !== first.sizes || r.check.ok)) {
      // backprop(x, y) was right on every sample of this net: the mistake is in how the update uses it.
      diagnosis = { where: 'update', call: first.call };
    } else if (structural.where) {
      diagnosis = { where: structural.where, layer: structural.layer, call: first.call };
    }
  }
  const checks = records.map((r) => r.check);
  const result = { ok: !first, calls: checks, firstFailure: first?.check, diagnosis, bugs, explanations: bugs.map((b) => b.name) };
  return { ...result, report: formatCheck(result, runner.describe, options, setup) };
}

const quantityOk = (c: CallCheck, name: string) => c.quantities.find((q) => q.name === name)?.ok === true;

function randomNet(sizes: readonly number[], setup: Setup, rng: Rng): Net {
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

function stack(rows: readonly Matrix[]): Matrix {
  if (rows.length === 1) return rows[0];
  const out = matrix(rows.reduce((s, r) => s + r.rows, 0), rows[0].cols);
  let at = 0;
  for (const r of rows) {
    out.data.set(r.data, at);
    at += r.data.length;
  }
  return out;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));
const finite = (g: Gradients) => [...g.weights.map((w) => w.data), ...g.biases].every((a) => a.every(Number.isFinite));

/**
 * The learner's ∂C/∂w, ∂C/∂b (and δ) in the row form, checked for count and shape; a string saying
 * what is wrong (with the equation and layer it points at) otherwise.
 */
function readGradients(
  out: { weights: unknown; biases: unknown; deltas?: unknown },
  sizes: readonly number[],
  m: number,
  form: Form,
  what: string,
): Gradients | { problem: string; at?: { equation: Equation; layer: number } } {
  const L = sizes.length - 1;
  const { weights, biases, deltas } = out;
  if (!Array.isArray(weights) || !Array.isArray(biases)) return { problem: `${what} must give ∂C/∂w and ∂C/∂b as arrays, one entry per layer` };
  if (weights.length !== L || biases.length !== L) return { problem: `${what} returned ${weights.length} weight and ${biases.length} bias gradients for ${L} layers` };
  const g: Gradients = { weights: new Array<Matrix>(L), biases: new Array<Float64Array>(L) };
  for (let i = L - 1; i >= 0; i--) {
    const l = i + 1;
    const dw = read2D(weights[i]);
    const w = form === 'column' ? { rows: sizes[l], cols: sizes[i] } : { rows: sizes[i], cols: sizes[l] };
    if (!dw) return { problem: `∂C/∂w${l} is not a matrix (Matrix or number[][])`, at: { equation: 'BP4', layer: l } };
    if (dw.rows !== w.rows || dw.cols !== w.cols) {
      const transposed = dw.rows === w.cols && dw.cols === w.rows;
      return { problem: `∂C/∂w${l} is ${shapeText(dw)} but w${l} is ${shapeText(w)}${transposed ? `: it is transposed (${form === 'column' ? 'BP4 is δ^l (a^{l−1})ᵀ' : 'BP4 is (a^{l−1})ᵀ δ^l'})` : ''}`, at: { equation: 'BP4', layer: l } };
    }
    g.weights[i] = form === 'column' ? transpose(dw) : dw;
    const db = readVector(biases[i]);
    if (db?.length !== sizes[l]) return { problem: `∂C/∂b${l} ${db ? `has ${db.length} entries` : 'is not a vector'}, b${l} has ${sizes[l]}`, at: { equation: 'BP3', layer: l } };
    g.biases[i] = db;
  }
  if (deltas !== undefined) {
    if (!Array.isArray(deltas) || deltas.length !== L) return { problem: `deltas must hold one δ per layer (${L})` };
    g.deltas = new Array<Matrix>(L);
    for (let i = L - 1; i >= 0; i--) {
      const d = read2D(deltas[i]);
      const expected = form === 'column' ? [sizes[i + 1], m] : [m, sizes[i + 1]];
      if (!d || d.rows !== expected[0] || d.cols !== expected[1]) {
        return { problem: `δ${i + 1} is ${d ? shapeText(d) : 'not a matrix'}, expected ${expected.join('×')}`, at: { equation: i === L - 1 ? 'BP1' : 'BP2', layer: i + 1 } };
      }
      g.deltas[i] = form === 'column' ? transpose(d) : d;
    }
  }
  return g;
}

/** A gradient function `(net, x, y) => { weights, biases, deltas? }` on whole batches. */
function functionRunner(learner: LearnerBackprop, form: Form, arrays: ArrayKind, calls: number, m: number): Runner {
  return {
    describe: `your function on batches of m = ${m}`,
    run(sizes, ctx) {
      const stream: Sample[] = [];
      const truths: Gradients[] = [];
      const toForm = (a: Matrix) => write2D(form === 'column' ? transpose(a) : a, arrays) as Matrix; // number[][] when asked for
      for (let k = 0; k < calls; k++) {
        const net = ctx.newNet(sizes);
        const { x, y } = ctx.batch(sizes, m);
        const sample = { net, x, y };
        stream.push(sample);
        const truth = ctx.truth([sample]);
        const base = { kind: 'batch' as const, sizes, samples: [sample], stream, start: stream.length - 1, truth, earlierTruths: [...truths] };
        truths.push(truth);
        let out: LearnerGradients<Values2D>;
        try {
          out = learner({ sizes, weights: net.weights.map(toForm), biases: net.biases.map((b) => Float64Array.from(b)) }, toForm(x), toForm(y));
        } catch (e) {
          ctx.record({ ...base, learner: null, broken: true, problem: `your function threw: ${errorText(e)}` });
          continue;
        }
        if (!out || typeof out !== 'object') {
          ctx.record({ ...base, learner: null, broken: true, problem: 'your function must return { weights, biases } (arrays, one entry per layer)' });
          continue;
        }
        const g = readGradients(out, sizes, m, form, 'your function');
        if ('problem' in g) ctx.record({ ...base, learner: null, broken: true, problem: g.problem, problemAt: g.at });
        else ctx.record({ ...base, learner: g, broken: !finite(g) });
      }
    },
  };
}

/** network.py's Network: backprop(x, y) sample by sample, and updateMiniBatch(miniBatch, eta). */
function networkRunner(make: (sizes: number[]) => NetworkLike, form: Form, calls: number, m: number, eta: number): Runner {
  const made = (sizes: readonly number[]) => {
    let net: NetworkLike;
    try {
      net = make([...sizes]);
    } catch (e) {
      throw new GraphError(`checkBackprop: network([${sizes}]) threw: ${errorText(e)}`);
    }
    if (!net || typeof net !== 'object' || !Array.isArray(net.weights) || !Array.isArray(net.biases) || net.weights.length !== sizes.length - 1) {
      throw new GraphError(`checkBackprop: network([${sizes}]) must make a net with weights and biases arrays of ${sizes.length - 1} layers (network.py's self.weights, self.biases)`);
    }
    if (typeof net.backprop !== 'function' && typeof net.updateMiniBatch !== 'function') {
      throw new GraphError('checkBackprop: the network needs a backprop(x, y) or an updateMiniBatch(miniBatch, eta) method');
    }
    const arrays = arrayKindOf(net.weights[0]);
    const bias = biasKindOf(net.biases[0], form);
    if (!arrays || !bias) throw new GraphError(`checkBackprop: network([${sizes}]).weights[0] must be a Matrix or number[][] and biases[0] a vector (column [[b0], [b1], …], row, or flat array)`);
    return { net, arrays, bias };
  };
  const setWeights = (n: { net: NetworkLike; arrays: ArrayKind; bias: BiasKind }, w: Net) => {
    n.net.weights = w.weights.map((m) => write2D(weightToForm(m, form), n.arrays));
    n.net.biases = w.biases.map((b) => writeVector(b, n.bias));
  };
  const sample = (n: { arrays: ArrayKind }, x: Matrix) => write2D(samplesToForm(x, form), n.arrays);
  let hasUpdate = false;
  let hasBackprop = false;
  return {
    get describe() {
      return [hasBackprop ? 'backprop(x, y) sample by sample' : '', hasUpdate ? `updateMiniBatch on mini-batches of m = ${m}, η = ${eta}` : ''].filter(Boolean).join(' and ');
    },
    run(sizes, ctx) {
      const probe = made(sizes);
      hasBackprop = typeof probe.net.backprop === 'function';
      hasUpdate = typeof probe.net.updateMiniBatch === 'function';
      if (hasBackprop) {
        // One net, `calls` groups of m samples, new weights for each group.
        const n = probe;
        const stream: Sample[] = [];
        for (let k = 0; k < calls; k++) {
          const net = ctx.newNet(sizes);
          for (let i = 0; i < m; i++) {
            const { x, y } = ctx.batch(sizes, 1);
            const s = { net, x, y };
            stream.push(s);
            const base = { kind: 'backprop' as const, sizes, samples: [s], stream, start: stream.length - 1, truth: ctx.truth([s]), earlierTruths: [] };
            let out: unknown;
            try {
              setWeights(n, net);
              out = n.net.backprop!(sample(n, x), sample(n, y));
            } catch (e) {
              ctx.record({ ...base, learner: null, broken: true, problem: `backprop(x, y) threw: ${errorText(e)}` });
              continue;
            }
            const pair = Array.isArray(out) && out.length === 2 ? { biases: out[0], weights: out[1] } : (out as { weights?: unknown; biases?: unknown; nablaW?: unknown; nablaB?: unknown } | undefined);
            const grads = pair ? { weights: pair.weights ?? (pair as { nablaW?: unknown }).nablaW, biases: pair.biases ?? (pair as { nablaB?: unknown }).nablaB } : { weights: undefined, biases: undefined };
            const g = readGradients(grads, sizes, 1, form, 'backprop(x, y) (network.py returns [nablaB, nablaW])');
            if ('problem' in g) ctx.record({ ...base, learner: null, broken: true, problem: g.problem, problemAt: g.at });
            else ctx.record({ ...base, learner: g, broken: !finite(g) });
          }
        }
      }
      if (hasUpdate) {
        // A fresh net, `calls` mini-batches in a row: the weights go on from where its update left them.
        const n = hasBackprop ? made(sizes) : probe;
        const stream: Sample[] = [];
        const truths: Gradients[] = [];
        let net = ctx.newNet(sizes);
        for (let k = 0; k < calls; k++) {
          const samples: Sample[] = Array.from({ length: m }, () => ({ net, ...ctx.batch(sizes, 1) }));
          stream.push(...samples);
          const truth = ctx.truth(samples);
          const base = { kind: 'update' as const, sizes, samples, stream, start: stream.length - m, truth, earlierTruths: [...truths], eta };
          truths.push(truth);
          let after: { weights: unknown; biases: unknown };
          try {
            setWeights(n, net);
            const out = n.net.updateMiniBatch!(samples.map((s) => [sample(n, s.x), sample(n, s.y)]), eta) as { weights?: unknown; biases?: unknown } | undefined;
            after = out && typeof out === 'object' && Array.isArray(out.weights) && Array.isArray(out.biases) ? { weights: out.weights, biases: out.biases } : { weights: n.net.weights, biases: n.net.biases };
          } catch (e) {
            ctx.record({ ...base, learner: null, broken: true, problem: `updateMiniBatch threw: ${errorText(e)}` });
            net = ctx.newNet(sizes);
            continue;
          }
          const read = readGradients(after, sizes, m, form, 'after updateMiniBatch, the net');
          if ('problem' in read) {
            ctx.record({ ...base, learner: null, broken: true, problem: read.problem.replace(/∂C\/∂w(\d)/, 'w$1').replace(/∂C\/∂b(\d)/, 'b$1') });
            net = ctx.newNet(sizes);
            continue;
          }
          // The step the update took, as the gradient it implies: (w_before − w_after) / η.
          const implied: Gradients = {
            weights: read.weights.map((w, l) => ({ ...w, data: w.data.map((v, i) => (net.weights[l].data[i] - v) / eta) })),
            biases: read.biases.map((b, l) => b.map((v, i) => (net.biases[l][i] - v) / eta)),
          };
          ctx.record({ ...base, learner: implied, broken: !finite(implied) });
          net = finite(read) ? { ...net, weights: read.weights, biases: read.biases } : ctx.newNet(sizes);
        }
      }
    },
  };
}

/** Every quantity the learner returned against `expected`, in backprop order: layer L first; δ, ∂C/∂b, ∂C/∂w. */
function compare(learner: Gradients, expected: Gradients, tolerance: number, floor?: Gradients): QuantityCheck[] {
  const L = learner.weights.length;
  const out: QuantityCheck[] = [];
  for (let i = L - 1; i >= 0; i--) {
    const layer = i + 1;
    const add = (name: string, equation: Equation, a: ArrayLike<number>, b: ArrayLike<number>, c?: ArrayLike<number>) => {
      const relativeError = relativeDifference(a, b, c ? 1e-4 * maxAbs(c) : 0);
      out.push({ layer, name, equation, relativeError, ok: relativeError <= tolerance });
    };
    if (learner.deltas && expected.deltas) add(`δ${layer}`, i === L - 1 ? 'BP1' : 'BP2', learner.deltas[i].data, expected.deltas[i].data, floor?.deltas?.[i].data);
    add(`∂C/∂b${layer}`, 'BP3', learner.biases[i], expected.biases[i], floor?.biases[i]);
    add(`∂C/∂w${layer}`, 'BP4', learner.weights[i].data, expected.weights[i].data, floor?.weights[i].data);
  }
  return out;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * The first equation the quantities show wrong, from the output back. Without δ it is reasoned from
 * ∂C/∂b and ∂C/∂w: both wrong means δ^l is (BP1 or BP2); ∂C/∂w^l right rules out a wrong δ^l, so a
 * wrong ∂C/∂b^l alone is BP3; a wrong ∂C/∂w^l alone is BP4.
 */
function locate(quantities: readonly QuantityCheck[]): { equation: Equation; layer: number } | undefined {
  const layers = [...new Set(quantities.map((q) => q.layer))];
  for (const layer of layers) {
    const qs = quantities.filter((q) => q.layer === layer);
    const delta = qs.find((q) => q.name.startsWith('δ'));
    const bias = qs.find((q) => q.equation === 'BP3')!;
    const weight = qs.find((q) => q.equation === 'BP4')!;
    const deltaEquation: Equation = layer === layers[0] ? 'BP1' : 'BP2';
    if (delta && !delta.ok) return { equation: deltaEquation, layer };
    if (!delta && !bias.ok && !weight.ok) return { equation: deltaEquation, layer };
    if (!bias.ok) return { equation: 'BP3', layer };
    if (!weight.ok) return { equation: 'BP4', layer };
  }
  return undefined;
}

/** max |a − b| over the larger of max |a|, max |b| and `floor`. */
function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) return Infinity;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * The hypotheses whose prediction matches the learner on every wrong call they predict, and on at
 * least one by value: a bug whose shapes cannot fit a net must see the code fail there, and a bug
 * that runs must see the code's values.
 */
function explain(wrong: readonly CallRecord[], list: readonly Hypothesis[], tolerance: number): Hypothesis[] {
  return list.filter((h) => {
    let matched = 0;
    for (const r of wrong) {
      const prediction = h.predict(r);
      if (prediction === null) continue;
      if (prediction === 'throws') {
        if (!r.broken) return false;
        continue;
      }
      // Held against the size of the right gradient too: a bug that saturates σ leaves values so small
      // that σ(z)(1 − σ(z)) rounds differently in the learner's code and the reference.
      if (!r.learner || !compare(r.learner, prediction, tolerance, r.truth).every((q) => q.ok)) return false;
      matched++;
    }
    return matched > 0;
  });
}

const kindText: Record<CallCheck['kind'], string> = { batch: 'your function on a batch', backprop: 'backprop(x, y) on one sample', update: 'updateMiniBatch' };

/** A place in words, as the report says it: `'BP2 at layer 2'`, or a sentence for the update and the forward pass. */
export function whereText(where: Where, layer?: number): string {
  if (where === 'update') return 'the update (w ← w − (η/m) Σ_x ∂C_x/∂w, in updateMiniBatch)';
  if (where === 'forward') return 'the forward pass that backprop reads (z and a)';
  return `${where} at layer ${layer}`;
}

function formatCheck(result: Omit<BackpropCheck, 'report'>, described: string, options: CheckOptions, setup: Setup): string {
  const nets = [...new Set(result.calls.filter((c) => !c.probe).map((c) => `[${c.sizes.join(',')}]`))].join(' and ');
  const what = `${result.calls.filter((c) => !c.probe).length} calls (${described}) on random ${nets} nets (${options.hidden ?? 'sigmoid'} hidden, ${setup.cost === 'softmaxCrossEntropy' ? 'softmax' : options.output ?? 'sigmoid'} output, ${setup.cost} cost, ${setup.form} form)`;
  if (result.ok) {
    const worst = Math.max(0, ...result.calls.flatMap((c) => c.quantities.map((q) => q.relativeError)));
    return `✓ Your backprop agrees with autodiff: ${what}; largest relative difference ${worst.toExponential(1)}.`;
  }
  const f = result.firstFailure!;
  const d = result.diagnosis;
  const lines = [`✗ Your backprop is wrong. Checked ${what}.`];
  const where = d ? `${whereText(d.where, d.layer)}, on call ${f.call}` : `call ${f.call}`;
  lines.push(`First wrong: ${where} (${kindText[f.kind]}, [${f.sizes.join(',')}], m = ${f.m})${f.problem ? `: ${f.problem}` : ''}.`);
  if (f.problem && d?.bug) lines.push(`The shapes point at ${whereText(d.where, d.layer)}: on a net where they fit, the values are those of the bug below.`);
  const earlier = result.calls.filter((c) => c.call < f.call && c.sizes.join() === f.sizes.join() && c.kind === f.kind);
  if (earlier.length > 0) lines.push(`(The call${earlier.length > 1 ? 's' : ''} before on this net ${earlier.length > 1 ? 'were' : 'was'} right: the bug depends on what ran before.)`);
  const probes = result.calls.filter((c) => c.probe);
  if (probes.length > 0) lines.push(`(Your code failed on the shapes of a net, so a square [${probes[0].sizes.join(',')}] net was tried too: calls ${probes[0].call}–${probes[probes.length - 1].call}.)`);
  const shown = f.quantities.length > 0 ? f : result.calls.find((c) => !c.ok && c.quantities.length > 0);
  if (shown) {
    lines.push(`Layer by layer, equation by equation${shown !== f ? ` (call ${shown.call}, [${shown.sizes.join(',')}])` : ''}${shown.kind === 'update' ? ', for the step divided by −η' : ''} (relative difference from autodiff):`);
    for (const q of shown.quantities) lines.push(`  ${`layer ${q.layer}`.padEnd(8)} ${q.equation}  ${q.name.padEnd(7)} ${q.relativeError.toExponential(1).padStart(8)}  ${q.ok ? 'ok' : 'WRONG'}`);
  }
  if (result.bugs.length > 0) {
    lines.push(result.bugs[0] === biasNotDelta ? 'Explained by (from which quantities are wrong and which right):' : 'Explained by (the reference with this bug planted gives your output on every wrong call):');
    for (const b of result.bugs) lines.push(`  - ${b.name}`);
  } else if (d && d.where !== 'update' && d.where !== 'forward') {
    lines.push(`No classic bug reproduces your output on its own: compare your ${d.where} at layer ${d.layer} with the equation, quantity by quantity.`);
  } else if (d?.where === 'update') {
    lines.push('No classic bug reproduces your output on its own: backprop(x, y) was right on every sample, so compare how updateMiniBatch sums the gradients and steps with w ← w − (η/m) Σ_x ∂C_x/∂w.');
  } else {
    lines.push('No classic bug reproduces your output on its own.');
  }
  return lines.join('\n');
}
