/**
 * traceBackprop: Nielsen's backpropagation made visible. For one batch it reads, layer by
 * layer, z^l, a^l, the error δ^l = ∂C/∂z^l (BP1 at the output, BP2 backwards), ∂C/∂b^l (BP3) and
 * ∂C/∂w^l (BP4) out of deltagraph's autodiff graph, in float64; and beside each, the hand-derived
 * reference (deltagraph/reference) on the same weights and batch, with the largest difference.
 *
 * Row form throughout (samples are rows): z^l = a^{l−1}·w^l + b^l, w^l is [n_{l−1}, n_l], δ^l and
 * z^l are [m, n_l]. The loss is the batch mean, so the 1/m sits inside δ^L.
 *
 * @example
 * const model = new Model({ inputs: x, outputs: g.dense(g.dense(x, 30, { activation: 'sigmoid' }), 10, { activation: 'sigmoid' }) });
 * model.compile({ loss: 'quadratic', optimizer: sgd(3) });
 * const trace = traceBackprop(model, { x: images, y: labels }); // 10 images, 10 labels
 * console.log(trace.toString());
 * trace.layers[1].delta; // δ2, a Matrix [10, 10]
 */
import { GraphError } from '../../core/errors.ts';
import { isOp, ops } from '../../ops/index.ts';
import { grad } from '../../graph/autodiff.ts';
import { initialValues } from '../../graph/initializers.ts';
import { labelNode } from '../../graph/labels.ts';
import { formatMath } from '../../graph/print.ts';
import type { Tensor } from '../../graph/tensor.ts';
import { compile } from '../../runtime/compile.ts';
import { Device } from '../../runtime/device.ts';
import type { Program } from '../../runtime/program.ts';
import type { Model } from '../model.ts';
import { backprop, forward, identity, relu, sigmoid, tanh, type Activation, type Cost, type Net } from '../reference/backprop.ts';
import { matrix, type Matrix } from '../reference/matrix.ts';
import { findDenseLayers, type DenseLayer, type LayerActivation } from './dense-layers.ts';
import { read2D, readVector, transpose, type Form } from './learner-values.ts';
import { Graph } from '../../graph/graph.ts';
import { applyActivation } from '../layers.ts';
import { binaryCrossEntropy, quadratic, softmaxCrossEntropy, type LossName } from '../losses.ts';

/** A graph of dense layers to trace (what a Model holds, for a graph built by hand). */
export interface GraphToTrace {
  /** The scalar loss: the batch mean of the per-sample cost. */
  loss: Tensor;
  /** The network's output, reached from `input` through dense layers. */
  output: Tensor;
  /** The graph input holding the batch, [null, n_0]. */
  input: Tensor;
  /** The graph input holding the targets: int class ids [null], or float rows [null, n_L]. */
  targets: Tensor;
  /** The cost the loss computes; the hand reference needs it (without it, no reference column). */
  cost?: Cost;
  /** Parameter values by name (default: the graph's initial values). */
  weights?: Weights;
}

/** Parameter values by name, as `model.getWeights()` returns them. */
export type Weights = ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>;

/** One batch: `x` is m rows of n_0 values; `y` is m class ids, or m one-hot rows of n_L values. */
export interface TraceBatch {
  /** m rows of n_0 input values. */
  x: ArrayLike<number>;
  /** m class ids, or m one-hot rows of n_L values. */
  y: ArrayLike<number>;
}

/** One traced quantity of a layer, with the hand reference's value beside it. */
export interface TracedQuantity {
  /** `z2`, `a2`, `δ2`, `∂C/∂b2`, `∂C/∂w2`. */
  readonly name: string;
  /** The equation that gives it, in the row form (`BP2 (δ3·w3ᵀ) ⊙ σ′(z2)`). */
  readonly equation: string;
  /** From the autodiff graph. */
  readonly value: Matrix;
  /** From the hand-derived reference, when the net is one it can compute. */
  readonly reference?: Matrix;
  /** max |autodiff − reference| over the entries. */
  readonly maxDifference?: number;
  /** For δ, ∂C/∂b and ∂C/∂w: the gradient graph's node read as maths (formatMath). */
  readonly formula?: string;
}

/**
 * One layer of a {@link BackpropTrace}: z, a, δ, ∂C/∂b and ∂C/∂w as arrays, each also with the
 * reference's value.
 */
export interface LayerTrace {
  /** l, counted from 1 as Nielsen does. */
  readonly layer: number;
  /** Its activation. */
  readonly activation: LayerActivation;
  /** z^l, [m, n_l]. */
  readonly z: Matrix;
  /** a^l, [m, n_l]. */
  readonly a: Matrix;
  /** δ^l = ∂C/∂z^l, [m, n_l] (BP1 for the last layer, BP2 for the others). */
  readonly delta: Matrix;
  /** ∂C/∂b^l, [n_l] (BP3); zeros for a layer without bias. */
  readonly biasGradient: Float64Array;
  /** ∂C/∂w^l, [n_{l−1}, n_l] (BP4). */
  readonly weightGradient: Matrix;
  /** The five quantities above, in this order, for printing and comparing. */
  readonly quantities: readonly TracedQuantity[];
}

/**
 * What {@link traceBackprop} returns: the traced quantities of every layer, and how far they are from
 * the reference.
 */
export interface BackpropTrace {
  /** Layer sizes, input first. */
  readonly sizes: readonly number[];
  /** The batch size m. */
  readonly m: number;
  /** The cost, when it is one the reference computes. */
  readonly cost?: Cost;
  /** The batch-mean loss from the graph. */
  readonly loss: number;
  /** The reference's loss, when it computes one. */
  readonly referenceLoss?: number;
  /** Why there is no reference column, when there is none. */
  readonly referenceNote?: string;
  /** The layers, input side first. */
  readonly layers: readonly LayerTrace[];
  /** The largest difference from the reference over the loss and every quantity of every layer. */
  readonly maxDifference?: number;
  /** The compact table: per layer and quantity, shape, norm, first entries, difference. */
  toString(): string;
}

const lossCosts: Record<LossName, Cost> = { quadratic: 'quadratic', binaryCrossEntropy: 'crossEntropy', softmaxCrossEntropy: 'softmaxCrossEntropy' };

/** A compiled model's graph as a GraphToTrace, with its current weights. */
export function modelToTrace(model: Model): GraphToTrace {
  if (!model.loss || !model.config) throw new GraphError('traceBackprop: call model.compile({ loss, optimizer }) first, so the model has a loss to differentiate');
  return { loss: model.loss, output: model.output, input: model.input, targets: model.labels, cost: lossCosts[model.config.loss], weights: model.getWeights() };
}

/** A learner's own net, network.py's way: lists of weight matrices and bias vectors. */
export interface LearnerNetToTrace {
  /** weights[l−1] is w^l: Matrix or number[][]; [n_l, n_{l−1}] in the column form, [n_{l−1}, n_l] in the row form. */
  readonly weights: readonly unknown[];
  /** biases[l−1] is b^l: a column [[b0], [b1], …], a row, or a flat array. */
  readonly biases: readonly unknown[];
}

/** How to read a learner's net: its form and what it computes. */
export interface LearnerNetOptions {
  /** 'column' (network.py's, the default) or 'row'. */
  form?: Form;
  /** Hidden activation (default sigmoid). */
  hidden?: 'sigmoid' | 'relu' | 'tanh';
  /** Output activation (default sigmoid; softmaxCrossEntropy uses softmax). */
  output?: 'sigmoid' | 'relu' | 'tanh';
  /** Default quadratic, network.py's. */
  cost?: Cost;
}

/** Samples network.py's way: `[x, y]` pairs, x a column (or row) of n_0, y one of n_L or a class id. */
export type SamplePairs = readonly (readonly [unknown, unknown])[];

/**
 * The z^l, a^l, δ^l, ∂C/∂b^l and ∂C/∂w^l of one batch, from autodiff, beside the hand reference.
 * `source` is a compiled Model (its current weights), a graph of dense layers, or a learner's own
 * net (network.py's `{ weights, biases }`, read as `options` say), with samples as `{ x, y }` or as
 * network.py's `[x, y]` pairs.
 *
 * @example
 * const net = new Network([2, 3, 2]); // a port of network.py: number[][] weights, column biases
 * const trace = traceBackprop(net, [[[[0.1], [0.9]], [[1], [0]]]]); // one sample (x, y)
 */
export function traceBackprop(source: Model | GraphToTrace | LearnerNetToTrace, batch: TraceBatch | SamplePairs, options: LearnerNetOptions = {}): BackpropTrace {
  const graphSource = 'trainingStep' in source ? modelToTrace(source) : 'loss' in source && 'targets' in source ? source : learnerNetToTrace(source as LearnerNetToTrace, options);
  const rows = Array.isArray(batch) ? pairsToBatch(batch as SamplePairs, graphSource.input.shape[1] as number, graphSource.output.shape[1] as number) : (batch as TraceBatch);
  const tracer = new BackpropTracer(graphSource);
  try {
    return tracer.trace(rows, graphSource.weights);
  } finally {
    tracer.dispose();
  }
}

/**
 * The graph autodiff differentiates for a fully connected net of `sizes`, in the row form, its
 * parameters named w1, b1, w2, … (checkBackprop's truth, and a learner's net to trace).
 */
export function denseNetGraph(sizes: readonly number[], hidden: 'sigmoid' | 'relu' | 'tanh', output: 'sigmoid' | 'relu' | 'tanh' | 'linear', cost: Cost): GraphToTrace {
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

/** A learner's `{ weights, biases }` as a graph to trace, with its values. */
export function learnerNetToTrace(net: LearnerNetToTrace, options: LearnerNetOptions = {}): GraphToTrace {
  const form = options.form ?? 'column';
  if (form !== 'column' && form !== 'row') throw new GraphError(`traceBackprop: form must be 'column' or 'row', got ${String(form)}`);
  if (!Array.isArray(net.weights) || !Array.isArray(net.biases) || net.weights.length === 0 || net.weights.length !== net.biases.length) {
    throw new GraphError('traceBackprop: a learner\'s net needs weights and biases arrays, one entry per layer (network.py\'s self.weights, self.biases)');
  }
  const weights = net.weights.map((w, i) => {
    const m = read2D(w);
    if (!m) throw new GraphError(`traceBackprop: weights[${i}] is not a Matrix or number[][]`);
    return form === 'column' ? transpose(m) : m;
  });
  const sizes = [weights[0].rows, ...weights.map((w) => w.cols)];
  weights.forEach((w, i) => {
    if (w.rows !== sizes[i]) throw new GraphError(`traceBackprop: w${i + 1} is ${form === 'column' ? `${w.cols}×${w.rows}` : `${w.rows}×${w.cols}`}, but layer ${i} has ${sizes[i]} neurons (${form} form)`);
  });
  const biases = net.biases.map((b, i) => {
    const v = readVector(b);
    if (v?.length !== sizes[i + 1]) throw new GraphError(`traceBackprop: b${i + 1} must have ${sizes[i + 1]} entries, got ${v ? v.length : 'no vector'}`);
    return v;
  });
  const cost = options.cost ?? 'quadratic';
  const source = denseNetGraph(sizes, options.hidden ?? 'sigmoid', cost === 'softmaxCrossEntropy' ? 'linear' : options.output ?? 'sigmoid', cost);
  return { ...source, weights: new Map(weights.flatMap((w, i) => [[`w${i + 1}`, w.data] as const, [`b${i + 1}`, biases[i]] as const])) };
}

/** network.py's `[x, y]` pairs as rows: x a column or row of n_0, y one of n_L or a class id. */
function pairsToBatch(pairs: SamplePairs, n0: number, nL: number): TraceBatch {
  if (pairs.length === 0) throw new GraphError('traceBackprop: no samples');
  const x = new Float64Array(pairs.length * n0);
  const y = new Float64Array(pairs.length * nL);
  pairs.forEach(([xi, yi], r) => {
    const xv = readVector(xi);
    if (xv?.length !== n0) throw new GraphError(`traceBackprop: sample ${r}: x must have ${n0} entries, got ${xv ? xv.length : 'no vector'}`);
    x.set(xv, r * n0);
    if (typeof yi === 'number') {
      if (!Number.isInteger(yi) || yi < 0 || yi >= nL) throw new GraphError(`traceBackprop: sample ${r}: label ${yi} is not a class id in 0…${nL - 1}`);
      y[r * nL + yi] = 1;
    } else {
      const yv = readVector(yi);
      if (yv?.length !== nL) throw new GraphError(`traceBackprop: sample ${r}: y must have ${nL} entries or be a class id, got ${yv ? yv.length : 'no vector'}`);
      y.set(yv, r * nL);
    }
  });
  return { x, y };
}

/** The graph nodes of one layer's traced quantities (labelled z1, a1, δ1, ∂C/∂b1, ∂C/∂w1). */
export interface LayerTensors {
  /** z^l. */
  readonly z: Tensor;
  /** a^l. */
  readonly a: Tensor;
  /** δ^l = ∂C/∂z^l. */
  readonly delta: Tensor;
  /** ∂C/∂b^l, or null for a layer without bias. */
  readonly biasGradient: Tensor | null;
  /** ∂C/∂w^l. */
  readonly weightGradient: Tensor;
}

/** One float64 program that computes every traced quantity; traces many batches and weights. */
export class BackpropTracer {
  /** The dense layers found, input side first. */
  readonly layers: readonly DenseLayer[];
  /** Per layer, the nodes traced: hand them to formatMath or toDot. */
  readonly tensors: readonly LayerTensors[];
  private readonly formulas: { delta: string; bias?: string; weight: string }[];
  /** What the program returns: the loss, then per layer z, a, δ, ∂C/∂w, then the ∂C/∂b there are. */
  private readonly outputs: Tensor[];
  /** Layer sizes, input first. */
  readonly sizes: readonly number[];
  private readonly program: Program;
  private readonly device = new Device({ dtype: 'float64', threads: false });
  private readonly activations: LayerActivation[];

  constructor(private readonly source: GraphToTrace) {
    const { loss, output, input, targets, cost } = source;
    if (loss.graph !== output.graph || input.graph !== output.graph || targets.graph !== output.graph) {
      throw new GraphError('traceBackprop: loss, output, input and targets must be tensors of one graph');
    }
    if (!isOp(input.node, ops.input) || input.rank !== 2 || input.shape[1] === null) throw new GraphError(`traceBackprop: input must be a graph input [null, features], got ${input}`);
    if (!isOp(targets.node, ops.input)) throw new GraphError(`traceBackprop: targets must be a graph input, got ${targets}`);
    if (loss.shape.some((d) => d !== 1)) throw new GraphError(`traceBackprop: the loss must be a scalar (the batch mean), got ${loss}`);
    this.layers = findDenseLayers(output, input);
    this.sizes = [input.shape[1], ...this.layers.map((l) => l.weight.shape[1] as number)];
    this.activations = this.layers.map((l) => l.activation);
    const last = this.layers.length - 1;
    // Nielsen's a^L of a softmax cross-entropy net is the softmax, even where the model outputs logits.
    const as = this.layers.map((l, i) => (i === last && cost === 'softmaxCrossEntropy' && l.activation === 'linear' ? l.z.softmax(-1) : l.a));
    if (as[last] !== this.layers[last].a) this.activations[last] = 'softmax';
    const zs = this.layers.map((l) => l.z);
    const params = this.layers.flatMap((l) => (l.bias ? [l.weight, l.bias] : [l.weight]));
    const grads = grad(loss, [...zs, ...params]);
    const deltas = grads.slice(0, zs.length);
    const paramGrads = new Map(params.map((p, i) => [p.id, grads[zs.length + i]]));
    const dWs = this.layers.map((l) => paramGrads.get(l.weight.id)!);
    const dbs = this.layers.map((l) => (l.bias ? paramGrads.get(l.bias.id)! : null));
    // Nielsen's names for the printed formulas: a0 = x, y the (one-hot) targets, w^l, b^l.
    labelNode(input, 'a0');
    labelNode(targets.dtype === 'int' ? targets.oneHot(this.sizes[this.sizes.length - 1]) : targets, 'y');
    this.layers.forEach((layer, i) => {
      const l = i + 1;
      labelNode(layer.weight, `w${l}`);
      if (layer.bias) labelNode(layer.bias, `b${l}`);
      labelNode(as[i], `a${l}`);
      labelNode(zs[i], `z${l}`);
      labelNode(deltas[i], `δ${l}`);
      labelNode(dWs[i], `∂C/∂w${l}`);
      if (dbs[i]) labelNode(dbs[i]!, `∂C/∂b${l}`);
    });
    this.tensors = this.layers.map((_, i) => ({ z: zs[i], a: as[i], delta: deltas[i], biasGradient: dbs[i], weightGradient: dWs[i] }));
    this.formulas = this.tensors.map((t) => ({ delta: formatMath(t.delta), bias: t.biasGradient ? formatMath(t.biasGradient) : undefined, weight: formatMath(t.weightGradient) }));
    this.outputs = [loss, ...zs, ...as, ...deltas, ...dWs, ...dbs.filter((d): d is Tensor => d !== null)];
    this.program = compile(loss.graph, { outputs: this.outputs, device: this.device });
  }

  /** The trace of one batch at `weights` (by name; default the graph's initial values). */
  trace(batch: TraceBatch, weights?: Weights): BackpropTrace {
    const { input, targets } = this.source;
    const n0 = this.sizes[0];
    const nL = this.sizes[this.sizes.length - 1];
    if (!batch || batch.x?.length === undefined || batch.y?.length === undefined) throw new GraphError('traceBackprop: the batch must be { x, y }');
    if (batch.x.length === 0 || batch.x.length % n0 !== 0) throw new GraphError(`traceBackprop: x has ${batch.x.length} values, not a whole number of rows of ${n0}`);
    const m = batch.x.length / n0;
    const y = targetRows(batch.y, m, nL);
    const graph = input.graph;
    const values = weights instanceof Map ? weights : new Map(Object.entries(weights ?? {}));
    for (const p of this.layers.flatMap((l) => (l.bias ? [l.weight, l.bias] : [l.weight]))) {
      this.device.write(p.name!, values.get(p.name!) ?? initialValues(graph.ir().init.get(p.id)!));
    }
    const feedY = targets.dtype === 'int' ? Int32Array.from({ length: m }, (_, r) => argmaxRow(y, r)) : y.data;
    const out = this.program.run({ [input.name!]: Float64Array.from(batch.x), [targets.name!]: feedY });
    const L = this.layers.length;
    const shapeOf = (k: number): [number, number] => {
      const s = this.program.outputShapes[k];
      return s.length === 1 ? [1, s[0]] : [s[0], s[1]];
    };
    const read = (k: number) => matrix(...shapeOf(k), out[k]);
    const loss = out[0][0];
    const zs = Array.from({ length: L }, (_, i) => read(1 + i));
    const as = Array.from({ length: L }, (_, i) => read(1 + L + i));
    const deltas = Array.from({ length: L }, (_, i) => read(1 + 2 * L + i));
    const dWs = Array.from({ length: L }, (_, i) => read(1 + 3 * L + i));
    let k = 1 + 4 * L;
    const dbs = this.layers.map((l) => (l.bias ? read(k++) : matrix(1, l.weight.shape[1] as number)));

    const weightValues = this.layers.map((l) => values.get(l.weight.name!) ?? initialValues(graph.ir().init.get(l.weight.id)!));
    const biasValues = this.layers.map((l, i) => (l.bias ? values.get(l.bias.name!) ?? initialValues(graph.ir().init.get(l.bias.id)!) : new Float64Array(this.sizes[i + 1])));
    const net = referenceNetFor(this.sizes, this.activations, this.source.cost, weightValues, biasValues);
    const x = matrix(m, n0, batch.x);
    const ref = typeof net === 'string' ? null : { pass: forward(net, x), result: backprop(net, x, y) };

    const cost = this.source.cost;
    const layers: LayerTrace[] = this.layers.map((layer, i) => {
      const l = i + 1;
      const f = fName(this.activations[i]);
      const quantity = (name: string, equation: string, value: Matrix, reference?: Matrix, formula?: string): TracedQuantity => ({
        name,
        equation,
        value,
        ...(reference ? { reference, maxDifference: maxDifference(value, reference) } : {}),
        ...(formula ? { formula } : {}),
      });
      const formulas = this.formulas[i];
      const bp1 = cost === 'quadratic' ? `(a${l} − y) ⊙ ${f}′(z${l}) / m` : cost === 'crossEntropy' ? `(a${l} − y) / m` : cost === 'softmaxCrossEntropy' ? `(softmax(z${l}) − y) / m` : `∇aC ⊙ ${f}′(z${l})`;
      const quantities = [
        quantity(`z${l}`, `a${l - 1}·w${l}${layer.bias ? ` + b${l}` : ''}`, zs[i], ref?.pass.zs[i]),
        quantity(`a${l}`, this.activations[i] === 'linear' ? `z${l}` : `${f}(z${l})`, as[i], ref?.pass.activations[l]),
        quantity(`δ${l}`, i === L - 1 ? `BP1 ${bp1}` : `BP2 (δ${l + 1}·w${l + 1}ᵀ) ⊙ ${f}′(z${l})`, deltas[i], ref?.result.deltas[i], formulas.delta),
        quantity(`∂C/∂b${l}`, `BP3 Σ_rows δ${l}`, dbs[i], ref ? matrix(1, dbs[i].cols, ref.result.biasGradients[i]) : undefined, formulas.bias),
        quantity(`∂C/∂w${l}`, `BP4 a${l - 1}ᵀ·δ${l}`, dWs[i], ref?.result.weightGradients[i], formulas.weight),
      ];
      return { layer: l, activation: this.activations[i], z: zs[i], a: as[i], delta: deltas[i], biasGradient: dbs[i].data, weightGradient: dWs[i], quantities };
    });
    const diffs = layers.flatMap((l) => l.quantities.map((q) => q.maxDifference ?? 0));
    const trace: BackpropTrace = {
      sizes: this.sizes,
      m,
      cost,
      loss,
      layers,
      ...(ref ? { referenceLoss: ref.result.loss, maxDifference: Math.max(Math.abs(loss - ref.result.loss), ...diffs) } : { referenceNote: net as string }),
      toString: () => formatTrace(trace),
    };
    return trace;
  }

  /** Frees the tracer's program and device. */
  dispose(): void {
    this.program.dispose();
    this.device.dispose();
  }
}

/**
 * The hand reference's Net (deltagraph/reference) of a compiled Model or a traced graph, with its
 * current weights (or `source.weights`): hand it to `backprop(net, x, y)` and step through BP1–BP4
 * on your own model. Throws when the reference cannot compute the net, saying why.
 *
 * @example
 * const net = referenceNetOf(model);
 * const { deltas, weightGradients } = backprop(net, matrix(10, 784, images), matrix(10, 10, oneHot));
 */
export function referenceNetOf(source: Model | GraphToTrace): Net {
  const s = 'trainingStep' in source ? modelToTrace(source) : source;
  const layers = findDenseLayers(s.output, s.input);
  const sizes = [s.input.shape[1] as number, ...layers.map((l) => l.weight.shape[1] as number)];
  const activations = layers.map((l) => l.activation);
  if (s.cost === 'softmaxCrossEntropy' && activations[activations.length - 1] === 'linear') activations[activations.length - 1] = 'softmax';
  const values = s.weights instanceof Map ? s.weights : new Map(Object.entries(s.weights ?? {}));
  const init = s.output.graph.ir().init;
  const net = referenceNetFor(
    sizes,
    activations,
    s.cost,
    layers.map((l) => values.get(l.weight.name!) ?? initialValues(init.get(l.weight.id)!)),
    layers.map((l, i) => (l.bias ? values.get(l.bias.name!) ?? initialValues(init.get(l.bias.id)!) : new Float64Array(sizes[i + 1]))),
  );
  if (typeof net === 'string') throw new GraphError(`referenceNetOf: ${net}`);
  return net;
}

/** The hand reference's Net with these weights, or why the reference cannot compute this net. */
function referenceNetFor(sizes: readonly number[], activations: readonly LayerActivation[], cost: Cost | undefined, weights: ArrayLike<number>[], biases: ArrayLike<number>[]): Net | string {
  if (!cost) return 'no reference: pass the cost the loss computes (quadratic, crossEntropy or softmaxCrossEntropy)';
  const hidden = [...new Set(activations.slice(0, -1))];
  if (hidden.length > 1) return `no reference: it has one hidden activation, this net has ${hidden.join(' and ')}`;
  const out = activations[activations.length - 1];
  if (hidden[0] === 'softmax') return 'no reference: softmax is an output activation only';
  if (cost === 'softmaxCrossEntropy' ? out !== 'softmax' : out === 'softmax') return `no reference: a ${out} output with the ${cost} cost`;
  if (cost === 'crossEntropy' && out !== 'sigmoid') return `no reference: the crossEntropy cost needs a sigmoid output, this net has ${out}`;
  const act = (a: LayerActivation | undefined): Activation => (a === 'relu' ? relu : a === 'tanh' ? tanh : a === 'linear' ? identity : sigmoid);
  return {
    weights: weights.map((w, i) => matrix(sizes[i], sizes[i + 1], w)),
    biases: biases.map((b) => Float64Array.from(b)),
    hidden: act(hidden[0]),
    output: act(out === 'softmax' ? undefined : out),
    cost,
  };
}

/** The targets as m one-hot (or float) rows of n_L. */
function targetRows(y: ArrayLike<number>, m: number, nL: number): Matrix {
  if (y.length === m * nL) return matrix(m, nL, y);
  if (y.length !== m) throw new GraphError(`traceBackprop: y has ${y.length} values; give ${m} class ids or ${m} rows of ${nL} (x has ${m} rows)`);
  const rows = matrix(m, nL);
  for (let r = 0; r < m; r++) {
    const c = y[r];
    if (!Number.isInteger(c) || c < 0 || c >= nL) throw new GraphError(`traceBackprop: label ${c} of row ${r} is not a class id in 0…${nL - 1}`);
    rows.data[r * nL + c] = 1;
  }
  return rows;
}

function argmaxRow(y: Matrix, r: number): number {
  let best = 0;
  for (let j = 1; j < y.cols; j++) if (y.data[r * y.cols + j] > y.data[r * y.cols + best]) best = j;
  return best;
}

function fName(a: LayerActivation): string {
  return a === 'sigmoid' ? 'σ' : a === 'linear' ? 'id' : a;
}

export function maxDifference(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) return Infinity;
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

function norm(a: Matrix): number {
  let s = 0;
  for (const v of a.data) s += v * v;
  return Math.sqrt(s);
}

const num = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(2));

/** The compact table of a trace. */
export function formatTrace(trace: BackpropTrace): string {
  const acts = trace.layers.map((l) => l.activation).join('/');
  const lines = [
    `Backprop trace of [${trace.sizes.join(',')}] (${acts})${trace.cost ? `, ${trace.cost} cost` : ''}, batch of m = ${trace.m}, float64; row form z = a·w + b, one row per sample`,
    `loss C = ${trace.loss.toPrecision(8)}${trace.referenceLoss === undefined ? '' : `   reference ${trace.referenceLoss.toPrecision(8)}`}`,
  ];
  const header = ['quantity', 'equation', 'shape', '‖·‖', 'first entries', trace.referenceNote ? '' : 'max |autodiff − reference|'];
  const rows = trace.layers.flatMap((l) =>
    l.quantities.map((q) => [
      q.name,
      q.equation,
      `${q.value.rows}×${q.value.cols}`,
      num(norm(q.value)),
      [...q.value.data.subarray(0, 3)].map(num).join(' ') + (q.value.data.length > 3 ? ' …' : ''),
      q.maxDifference === undefined ? '' : q.maxDifference.toExponential(1),
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  lines.push(line(header));
  rows.forEach((r, i) => {
    if (i > 0 && i % 5 === 0) lines.push('');
    lines.push(line(r));
  });
  lines.push(trace.referenceNote ?? `largest difference from the hand reference: ${trace.maxDifference!.toExponential(1)}`);
  lines.push('', 'The same quantities read off the autodiff graph (formatMath):');
  for (const l of [...trace.layers].reverse()) {
    for (const q of l.quantities) if (q.formula) lines.push(`  ${q.name} = ${q.formula.replace(/\n/g, '\n  ')}`);
  }
  return lines.join('\n');
}
