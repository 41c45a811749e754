/**
 * Model: a graph with an input and an output, trained by mini-batch gradient descent. It uses
 * nothing but the public graph API: the loss is graph ops, the gradients come from `grad`, the
 * optimizer is graph updates, and a training step is one compiled program. Its parameters, and
 * those of the evaluation and prediction programs, live in one Memory.
 */
import { grad } from '../graph/autodiff.ts';
import type { Graph } from '../graph/builder.ts';
import { compile } from '../graph/compile.ts';
import { GraphError } from '../graph/errors.ts';
import type { Program } from '../graph/executor.ts';
import { ancestors } from '../graph/ir.ts';
import { Memory, type Precision } from '../graph/memory.ts';
import { formatShape } from '../graph/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import type { FloatArray } from '../ops/registry.ts';
import { DataError } from './data/errors.ts';
import type { Augment } from './data/augment.ts';
import { nonFiniteInput, validateDataset, type Dataset } from './data/dataset.ts';
import { Rng } from './init.ts';
import { lossFor, type LossName } from './losses.ts';
import { learningRateAt, type Optimizer } from './optim.ts';

export interface ModelOptions {
  /** The input, [null, features]. */
  inputs: Tensor;
  /** The output, [null, classes]: probabilities, sigmoid activations or logits. */
  outputs: Tensor;
  /** Precision of the parameters and of every program (default 'float32'). */
  dtype?: Precision;
  /** Split large matrix multiplies with a helper thread (default true where the runtime allows; see Memory). */
  threads?: boolean;
}

export interface CompileConfig {
  loss: LossName;
  optimizer: Optimizer;
  /** L2 regularisation λ in Nielsen's form: W ← (1 − ηλ/n)·W − η·dW, n = training-set size. Kernels only. */
  l2?: number;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Shuffle the training set every epoch (default true), seeded. */
  shuffle?: boolean;
  /** Seed of the shuffle (default: the graph's seed). */
  seed?: number;
  validationData?: Dataset;
  callbacks?: readonly Callback[];
  /** Distorts each training batch in place before its step (e.g. randomShift), from the fit's Rng. */
  augment?: Augment;
}

export interface BatchLogs {
  epoch: number;
  /** Step within the epoch (1-based) and the steps of the epoch. */
  step: number;
  steps: number;
  /** Mean training loss of the epoch so far. */
  loss: number;
}

export interface EpochLogs {
  /** 1-based, counting epochs trained before (a resumed model goes on counting). */
  epoch: number;
  /** Mean loss and accuracy over the epoch's training batches, as they were trained. */
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
  msPerStep: number;
  seconds: number;
}

export interface TrainInfo {
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  samples: number;
}

/** Hooks into `fit`. Set `model.stopTraining = true` to stop after the current epoch. */
export interface Callback {
  onTrainBegin?(info: TrainInfo, model: Model): void;
  onEpochBegin?(epoch: number, model: Model): void;
  onBatchEnd?(logs: BatchLogs, model: Model): void;
  onEpochEnd?(logs: EpochLogs, model: Model): void;
  onTrainEnd?(history: History, model: Model): void;
}

export interface History {
  epochs: EpochLogs[];
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

interface Compiled {
  config: CompileConfig;
  labels: Tensor;
  loss: Tensor;
}

export class Model {
  readonly graph: Graph;
  readonly input: Tensor;
  readonly output: Tensor;
  readonly memory: Memory;
  /** Set by a callback to end `fit` after the current epoch. */
  stopTraining = false;
  /** Epochs trained so far (saved with the model; schedules continue from it). */
  epochsTrained = 0;
  private compiled: Compiled | null = null;
  private readonly trainSteps = new Map<number, Program>();
  private evalProgram: Program | null = null;
  /** Where fit's gather kernel reads a batch's row indices (see batchGatherer). */
  private batchIndices: { offset: number; size: number } | null = null;
  private predictProgram: Program | null = null;

  constructor(options: ModelOptions) {
    const { inputs, outputs } = options;
    if (inputs.graph !== outputs.graph) throw new GraphError('Model: inputs and outputs must be tensors of one graph');
    if (inputs.node.op !== 'input' || inputs.rank !== 2 || inputs.shape[1] === null) {
      throw new GraphError(`Model: inputs must be a graph input of shape [null, features], got ${inputs}`);
    }
    if (outputs.rank !== 2 || outputs.shape[1] === null) throw new GraphError(`Model: outputs must be [null, classes], got ${formatShape(outputs.shape)}`);
    this.graph = inputs.graph;
    this.input = inputs;
    this.output = outputs;
    this.memory = new Memory(options.dtype ?? 'float32', { threads: options.threads });
    // Place the parameters now, so that weights can be read and set before any run.
    this.predictor();
  }

  get features(): number {
    return this.input.shape[1] as number;
  }

  get classes(): number {
    return this.output.shape[1] as number;
  }

  /** The loss (batch mean) and the labels input that `compile` added to the graph, if any. */
  get lossGraph(): { loss: Tensor; labels: Tensor } | null {
    return this.compiled ? { loss: this.compiled.loss, labels: this.compiled.labels } : null;
  }

  /** The configuration given to `compile`, if any. */
  get config(): CompileConfig | null {
    return this.compiled?.config ?? null;
  }

  /** Chooses the loss and the optimizer (and L2) for `fit` and `evaluate`. */
  compile(config: CompileConfig): this {
    const lossFn = lossFor(config.loss);
    if (!config.optimizer || typeof config.optimizer.updates !== 'function') throw new GraphError('Model.compile: optimizer must be made by sgd(), momentum() or adam()');
    if (config.l2 !== undefined && !(Number.isFinite(config.l2) && config.l2 >= 0)) throw new GraphError(`Model.compile: l2 must be a number ≥ 0, got ${config.l2}`);
    const g = this.graph;
    const labels = g.has('labels') ? g.get('labels') : g.input('labels', [null], 'int');
    this.compiled = { config, labels, loss: lossFn(this.output, labels) };
    this.trainSteps.clear();
    this.evalProgram = null;
    return this;
  }

  /** Trains on `train` and returns the history of every epoch. */
  fit(train: Dataset, options: FitOptions = {}): History {
    const compiled = this.requireCompiled('fit');
    const { epochs = 1, batchSize = 32, shuffle = true, validationData, callbacks = [] } = options;
    if (!(Number.isInteger(epochs) && epochs >= 0)) throw new GraphError(`fit: epochs must be a whole number, got ${epochs}`);
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new GraphError(`fit: batchSize must be a positive whole number, got ${batchSize}`);
    const gather = this.memory.wasm !== null;
    this.checkData(train, 'training data', { finite: !gather }); // scanned after the upload instead
    if (train.count === 0) throw new DataError('no samples to train on', { file: 'training data' });
    if (validationData) this.checkData(validationData, 'validation data');

    const step = this.trainStep(train.count);
    const f = this.features;
    const rng = new Rng(options.seed ?? this.graph.rng.next() * 2 ** 32);
    const order = Int32Array.from({ length: train.count }, (_, i) => i);
    // Batches are written straight into the step's input buffers: no feed copy per step.
    const input = this.input.name!;
    const prepared = (n: number) => step.prepare({ [input]: [n, f], labels: [n], learningRate: [] });
    const full = prepared(Math.min(batchSize, train.count));
    const rest = train.count % batchSize;
    const last = rest === 0 || train.count < batchSize ? full : prepared(rest);
    // after the plans: one may move the memory to a shared one, which would copy the upload again
    const writeBatch = gather ? this.batchGatherer(train, batchSize) : copyRows;
    const steps = Math.ceil(train.count / batchSize);
    const history: History = { epochs: [] };
    this.stopTraining = false;
    for (const c of callbacks) c.onTrainBegin?.({ epochs, stepsPerEpoch: steps, batchSize, samples: train.count }, this);

    for (let e = 0; e < epochs && !this.stopTraining; e++) {
      const epoch = this.epochsTrained + 1;
      for (const c of callbacks) c.onEpochBegin?.(epoch, this);
      if (shuffle) shuffleInPlace(order, rng);
      const rate = learningRateAt(compiled.config.optimizer.learningRate, this.epochsTrained);
      // If training diverges, the weights go back to this state instead of staying NaN.
      const before = this.getWeights();
      const started = performance.now();
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < steps; s++) {
        const n = Math.min(batchSize, train.count - s * batchSize);
        const run = n === batchSize || last === full ? full : last;
        const xb = run.input(input);
        const yb = run.input('labels');
        writeBatch(train, order, s * batchSize, n, xb, yb);
        run.input('learningRate')[0] = rate;
        options.augment?.(xb, n, rng);
        const [loss, out] = run.run();
        const value = loss[0];
        if (!Number.isFinite(value)) {
          this.setWeights(before);
          throw new GraphError(
            `fit: the loss became ${value} at epoch ${epoch}, step ${s + 1}: training diverged (try a lower learning rate); the weights are back as they were at the start of epoch ${epoch}`,
          );
        }
        lossSum += value * n;
        correct += countCorrect(out, yb, n, this.classes);
        if (callbacks.length > 0) {
          const logs = { epoch, step: s + 1, steps, loss: lossSum / Math.min(train.count, (s + 1) * batchSize) };
          for (const c of callbacks) c.onBatchEnd?.(logs, this);
        }
      }
      const ms = performance.now() - started;
      this.epochsTrained++;
      const logs: EpochLogs = {
        epoch,
        loss: lossSum / train.count,
        accuracy: correct / train.count,
        learningRate: rate,
        msPerStep: ms / steps,
        seconds: ms / 1000,
      };
      if (validationData) {
        const v = this.evaluate(validationData);
        logs.valLoss = v.loss;
        logs.valAccuracy = v.accuracy;
      }
      history.epochs.push(logs);
      for (const c of callbacks) c.onEpochEnd?.(logs, this);
    }
    for (const c of callbacks) c.onTrainEnd?.(history, this);
    return history;
  }

  /** Mean loss and accuracy over a dataset, with dropout off. */
  evaluate(data: Dataset, options: { batchSize?: number } = {}): Evaluation {
    const compiled = this.requireCompiled('evaluate');
    this.checkData(data, 'evaluation data');
    this.evalProgram ??= compile(this.graph, { outputs: [compiled.loss, this.output], memory: this.memory, training: false });
    const program = this.evalProgram;
    let lossSum = 0;
    let correct = 0;
    this.forEachBatch(data, options.batchSize ?? 1000, (x, y, n) => {
      const [loss, out] = program.run({ [this.input.name!]: x, labels: y });
      lossSum += loss[0] * n;
      correct += countCorrect(out, y, n, this.classes);
    });
    return { loss: lossSum / data.count, accuracy: correct / data.count };
  }

  /** The outputs for rows of inputs (count × features), dropout off, as one array (count × classes). */
  predict(x: Float32Array | Float64Array, options: { batchSize?: number } = {}): Float32Array {
    const f = this.features;
    if (x.length % f !== 0) throw new DataError(`predict: ${x.length} values is not a whole number of rows of ${f} features`);
    const count = x.length / f;
    const out = new Float32Array(count * this.classes);
    const program = this.predictor();
    const batch = options.batchSize ?? 1000;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const [y] = program.run({ [this.input.name!]: x.subarray(start * f, (start + n) * f) });
      out.set(y, start * this.classes);
    }
    return out;
  }

  /** Predicted class of each row of inputs. */
  predictClasses(x: Float32Array | Float64Array): Int32Array {
    const p = this.predict(x);
    const k = this.classes;
    return Int32Array.from({ length: p.length / k }, (_, r) => argmax(p, r * k, k));
  }

  /** A copy of every parameter of the graph (optimizer state included), by name. */
  getWeights(): Map<string, Float64Array> {
    const data = this.graph.ir().data;
    // A parameter no program has used yet (optimizer state before the first fit) has its initial value.
    return new Map(
      this.graph.parameters.map((p) => [p.name!, this.memory.hasParameter(p.name!) ? this.memory.read(p.name!) : Float64Array.from(data.get(p.id)!)]),
    );
  }

  /** Sets parameters by name; every name must exist and every length fit. */
  setWeights(weights: ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>): void {
    const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
    for (const [name] of entries) if (!this.memory.hasParameter(name)) this.ensureParameter(name);
    for (const [name, values] of entries) this.memory.write(name, values);
  }

  /** A table of the layers: name and kind, output shape, parameter count; and the totals. */
  summary(): string {
    const needed = new Set(ancestors(this.graph.ir().nodes, [this.output.id]));
    const trainable = this.graph.trainableParameters.filter((p) => needed.has(p.id));
    const count = (ps: readonly Tensor[]) => ps.reduce((s, p) => s + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);
    const rows: [string, string, string][] = [[`${this.input.name} (input)`, formatShape(this.input.shape), '0']];
    for (const layer of this.graph.layers) {
      if (!needed.has(layer.output.id)) continue;
      const own = trainable.filter((p) => p.name!.startsWith(`${layer.name}/`));
      rows.push([`${layer.name} (${layer.kind})`, formatShape(layer.output.shape), String(count(own))]);
    }
    const widths = [0, 1, 2].map((i) => Math.max(...[['Layer', 'Output shape', 'Params'][i], ...rows.map((r) => r[i])].map((c) => c.length)));
    const line = (r: readonly string[]) => r.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('   ');
    const rule = '─'.repeat(widths[0] + widths[1] + widths[2] + 6);
    return [line(['Layer', 'Output shape', 'Params']), rule, ...rows.map(line), rule, `Total trainable parameters: ${count(trainable)}`].join('\n');
  }

  private requireCompiled(what: string): Compiled {
    if (!this.compiled) throw new GraphError(`${what}: call model.compile({ loss, optimizer }) first`);
    return this.compiled;
  }

  private predictor(): Program {
    this.predictProgram ??= compile(this.graph, { outputs: [this.output], memory: this.memory, training: false });
    return this.predictProgram;
  }

  /** The training step for a training set of n samples (n enters through L2). */
  private trainStep(n: number): Program {
    const compiled = this.requireCompiled('fit');
    const key = compiled.config.l2 ? n : 0;
    let program = this.trainSteps.get(key);
    if (program) return program;
    const g = this.graph;
    const onLossPath = new Set(ancestors(g.ir().nodes, [compiled.loss.id]));
    const params = g.trainableParameters.filter((p) => onLossPath.has(p.id));
    let grads = grad(compiled.loss, params);
    const l2 = compiled.config.l2 ?? 0;
    // Nielsen's L2 on weights (not biases): the gradient gains (λ/n)·W.
    if (l2 > 0) grads = grads.map((d, i) => (params[i].rank >= 2 ? d.add(params[i].mul(l2 / n)) : d));
    const lr = g.has('learningRate') ? g.get('learningRate') : g.input('learningRate', []);
    const updates = compiled.config.optimizer.updates(params, grads, lr);
    program = compile(g, { outputs: [compiled.loss, this.output], updates, memory: this.memory, training: true });
    this.trainSteps.set(key, program);
    return program;
  }

  private ensureParameter(name: string): void {
    if (!this.graph.has(name) || this.graph.get(name).node.op !== 'parameter') {
      throw new GraphError(`setWeights: the model has no parameter named '${name}'`);
    }
    compile(this.graph, { outputs: [this.graph.get(name)], memory: this.memory });
  }

  /**
   * Batches by a WebAssembly kernel: the training set is copied into the memory once per `fit`
   * (and checked there for non-finite values, faster than in JS), and each batch's rows are
   * gathered from it together, so their cache misses overlap (MNIST batches of 10 rows: 4–5 µs
   * a step, against 7–11 µs copying row by row from JS, slower still into a shared memory).
   */
  private batchGatherer(train: Dataset, batchSize: number): typeof copyRows {
    const memory = this.memory;
    let wasm = memory.wasm!;
    const source = memory.upload(train.x);
    if (!this.batchIndices || this.batchIndices.size < batchSize) this.batchIndices = { offset: memory.alloc(batchSize), size: batchSize };
    const at = this.batchIndices.offset;
    wasm.firstNonFinite(source * 4, train.x.length, at * 4);
    const first = memory.int32View(at, 1)[0];
    if (first >= 0) throw nonFiniteInput(train, first, 'training data');
    const rowBytes = 4 * train.features;
    let indices = memory.int32View(at, batchSize);
    let generation = memory.generation;
    return (data, order, start, n, xb, yb) => {
      if (memory.generation !== generation) {
        // the memory grew or moved: new views, and (if it moved) kernels bound to the new one
        indices = memory.int32View(at, batchSize);
        wasm = memory.wasm!;
        generation = memory.generation;
      }
      for (let b = 0; b < n; b++) {
        const i = order[start + b];
        indices[b] = i;
        yb[b] = data.y[i];
      }
      wasm.gatherRows(source * 4, at * 4, n, rowBytes, xb.byteOffset);
    };
  }

  private checkData(data: Dataset, name: string, options: { finite?: boolean } = {}): void {
    validateDataset(data, name, options);
    if (data.features !== this.features) {
      throw new DataError(`samples have ${data.features} features but the model's input is ${formatShape(this.input.shape)}`, { file: name });
    }
    if (data.classes > this.classes) {
      throw new DataError(`labels have ${data.classes} classes but the model's output is ${formatShape(this.output.shape)}`, { file: name });
    }
  }

  private forEachBatch(data: Dataset, batch: number, f: (x: Float32Array, y: Int32Array, n: number) => void): void {
    const k = data.features;
    for (let start = 0; start < data.count; start += batch) {
      const n = Math.min(batch, data.count - start);
      f(data.x.subarray(start * k, (start + n) * k), data.y.subarray(start, start + n), n);
    }
  }
}

function shuffleInPlace(order: Int32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

function argmax(values: ArrayLike<number>, start: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[start + j] > values[start + best]) best = j;
  return best;
}

/** Copies samples order[start .. start+n) into the batch buffers (data was validated up front). */
function copyRows(data: Dataset, order: Int32Array, start: number, n: number, xb: FloatArray, yb: FloatArray): void {
  const f = data.features;
  const x = data.x;
  const y = data.y;
  for (let b = 0; b < n; b++) {
    const i = order[start + b];
    // set() of a row view is a memory copy, 3x faster than an element loop (the view is tiny garbage)
    xb.set(x.subarray(i * f, i * f + f), b * f);
    yb[b] = y[i];
  }
}

function countCorrect(out: FloatArray, labels: ArrayLike<number>, n: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < n; r++) if (argmax(out, r * classes, classes) === labels[r]) correct++;
  return correct;
}
