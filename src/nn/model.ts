/**
 * Model: a graph with an input and an output, trained by mini-batch gradient descent (`fit`, in
 * fit.ts). It uses the public graph and runtime APIs only: the loss is graph ops, the gradients
 * come from `grad`, the optimizer is graph updates, a training step is one compiled program, and
 * its parameters, with those of the evaluation and prediction programs, live on one Device.
 */
import { checkOptionNames, formatValue, GraphError } from '../core/errors.ts';
import { ancestors } from '../core/ir.ts';
import { formatBytes, MAX_ELEMENTS } from '../core/limits.ts';
import { formatShape } from '../core/shape.ts';
import { isOp, ops } from '../ops/index.ts';
import { grad } from '../graph/autodiff.ts';
import type { Graph } from '../graph/graph.ts';
import { initialValues } from '../graph/initializers.ts';
import type { Tensor } from '../graph/tensor.ts';
import { checkNumericsByDefault, compile } from '../runtime/compile.ts';
import { Device } from '../runtime/device.ts';
import type { Precision } from '../runtime/memory.ts';
import type { Feeds, Program } from '../runtime/program.ts';
import type { FloatArray } from '../backends/registry.ts';
import { argmax, countCorrect } from './batches.ts';
import { DataError } from './data/errors.ts';
import { validateDataset, type Dataset } from './data/dataset.ts';
import { fit, fitAsync, isTraining, type FitOptions, type History } from './fit.ts';
import { lossFor, type LossName } from './losses.ts';
import type { Optimizer } from './optim.ts';
import { summarize } from './summary.ts';

/** Options of a new {@link Model}. */
export interface ModelOptions {
  /** The input, [null, features] or an image [null, height, width, channels] (fed as rows of h·w·c values). */
  inputs: Tensor;
  /** The output, [null, classes]: probabilities, sigmoid activations or logits. */
  outputs: Tensor;
  /** The int labels input [null] the loss compares with (default: a new input named 'labels'). */
  labels?: Tensor;
  /** Precision of the parameters and of every program (default 'float32'). */
  dtype?: Precision;
  /** Split large matrix multiplies with a helper thread (default true where the runtime allows; see Device). */
  threads?: boolean;
  /**
   * The device to run on (default: a new wasm device). For the GPU, make one first:
   * `device: await Device.create({ backend: 'webgpu' })`; the model then trains with `fitAsync`
   * and answers with `predictAsync`, `evaluateAsync` and `getWeightsAsync`.
   */
  device?: Device;
}

/** What {@link Model.compile} takes. */
export interface CompileConfig {
  /** The loss to minimise: `'quadratic'`, `'binaryCrossEntropy'` or `'softmaxCrossEntropy'`. */
  loss: LossName;
  /** How parameters are updated: {@link sgd}, {@link momentum} or {@link adam}. */
  optimizer: Optimizer;
  /** L2 regularisation λ in Nielsen's form: W ← (1 − ηλ/n)·W − η·dW, n = training-set size. Kernels only. */
  l2?: number;
}

/** What {@link Model.evaluate} returns. */
export interface Evaluation {
  /** The mean loss over the dataset. */
  loss: number;
  /** The fraction classified right. */
  accuracy: number;
}

/** What `compile` made: the configuration and the loss over the labels. */
interface Compiled {
  readonly config: CompileConfig;
  readonly loss: Tensor;
}

/**
 * A classifier made of a graph: an input, an output, and, once compiled, a loss and an optimizer.
 * `fit` trains it (every step one compiled program: forward, backward and update), `evaluate`,
 * `predict` and `predictClasses` use it, `summary()` lists its layers, `saveModel` and `modelToBytes`
 * keep it.
 *
 * @example
 * const g = new Graph({ seed: 1 });
 * const x = g.input('x', [null, 784]);
 * const model = new Model({ inputs: x, outputs: g.dense(g.dense(x, 30).sigmoid(), 10) });
 * model.compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }) });
 * const history = model.fit(train, { epochs: 5, batchSize: 10, validationData: validation });
 * console.log(model.summary(), history.epochs.at(-1), model.predictClasses(test.x));
 */
export class Model {
  /** The graph the model was built in. */
  readonly graph: Graph;
  /** The input tensor. */
  readonly input: Tensor;
  /** The output tensor. */
  readonly output: Tensor;
  /** The int labels input the loss reads, [null]. */
  readonly labels: Tensor;
  /** Where the parameters and every program of the model live. */
  readonly device: Device;
  /** Set by a callback to end `fit` after the current epoch. */
  stopTraining = false;
  /** Epochs trained so far (saved with the model; schedules continue from it). */
  epochsTrained = 0;
  private compiled: Compiled | null = null;
  private rate: Tensor | null = null;
  private readonly trainSteps = new Map<string, Program>();
  private evalProgram: Program | null = null;
  private predictProgram: Program | null = null;

  constructor(options: ModelOptions) {
    const { inputs, outputs } = options;
    if (inputs?.graph === undefined || inputs.graph !== outputs?.graph) throw new GraphError('Model: inputs and outputs must be tensors of one graph');
    if (!isOp(inputs.node, ops.input) || inputs.rank < 2 || inputs.shape.slice(1).some((d) => d === null)) {
      throw new GraphError(`Model: inputs must be a graph input of shape [null, features] or [null, height, width, channels] (every dimension but the batch known), got ${inputs}`);
    }
    if (outputs.rank !== 2 || outputs.shape[1] === null) throw new GraphError(`Model: outputs must be [null, classes], got ${formatShape(outputs.shape)}`);
    const g = inputs.graph;
    if (options.labels && (options.labels.graph !== g || !isOp(options.labels.node, ops.input) || options.labels.rank !== 1)) {
      throw new GraphError(`Model: labels must be an input [null] of the model's graph, got ${options.labels}`);
    }
    this.graph = g;
    this.input = inputs;
    this.output = outputs;
    this.labels = options.labels ?? g.input(g.has('labels') ? g.uniqueName('labels') : 'labels', [null], 'int');
    if (options.device && options.dtype && options.device.dtype !== options.dtype) throw new GraphError(`Model: dtype '${options.dtype}' differs from the device's '${options.device.dtype}'`);
    if (options.device?.isDisposed) throw new GraphError('Model: the device was disposed');
    this.device = options.device ?? new Device({ dtype: options.dtype ?? 'float32', threads: options.threads });
    // Place the parameters now, so that weights can be read and set before any run.
    this.predictor();
  }

  /** Values per sample: an image input [null, h, w, c] takes rows of h·w·c (datasets keep samples as rows). */
  get features(): number {
    return (this.input.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  }

  /** The number of classes: the output's last dimension. */
  get classes(): number {
    return this.output.shape[1] as number;
  }

  /** The loss (batch mean) that `compile` built over `labels`, if compiled. */
  get loss(): Tensor | null {
    return this.compiled?.loss ?? null;
  }

  /** The configuration given to `compile`, if any. */
  get config(): CompileConfig | null {
    return this.compiled?.config ?? null;
  }

  /** The scalar input the training step reads its learning rate from (made with the first step). */
  get learningRate(): Tensor {
    this.rate ??= this.graph.input(this.graph.has('learningRate') ? this.graph.uniqueName('learningRate') : 'learningRate', []);
    return this.rate;
  }

  /** Chooses the loss and the optimizer (and L2) for `fit` and `evaluate`. */
  compile(config: CompileConfig): this {
    if (isTraining(this)) throw new GraphError('Model.compile: the model is training (compile was called from a fit callback); compile it after fit returns');
    checkOptionNames('Model.compile', config, ['loss', 'optimizer', 'l2']);
    const lossFn = lossFor(config?.loss);
    if (!config.optimizer || typeof config.optimizer.updates !== 'function') throw new GraphError('Model.compile: optimizer must be made by sgd(), momentum() or adam()');
    if (config.l2 !== undefined && !(Number.isFinite(config.l2) && config.l2 >= 0)) throw new GraphError(`Model.compile: l2 must be a number ≥ 0, got ${formatValue(config.l2)}`);
    refuseOptimizerBeyondDevice(this, config.optimizer);
    this.compiled = { config, loss: lossFn(this.output, this.labels) };
    this.trainSteps.clear();
    this.evalProgram = null;
    return this;
  }

  /** Trains on `train` and returns the history of every epoch (see fit.ts). */
  fit(train: Dataset, options: FitOptions = {}): History {
    return fit(this, train, options);
  }

  /**
   * `fit` that yields to the event loop between steps (every `yieldEveryMs`, default 16), so a
   * page does not freeze while it trains: the same steps and results.
   */
  fitAsync(train: Dataset, options: FitOptions = {}): Promise<History> {
    return fitAsync(this, train, options);
  }

  /**
   * Mean loss and accuracy over a dataset, as an inference program: dropout off, batchNorm on its moving statistics.
   *
   * @param options.batchSize - Samples per run (default 1000).
   */
  evaluate(data: Dataset, options: { batchSize?: number } = {}): Evaluation {
    this.refuseOnGpu('evaluate', 'evaluateAsync(data)');
    const batches = this.evaluationBatches(data, options);
    let next = batches.next();
    while (!next.done) next = batches.next(next.value.program.run(next.value.feeds));
    return next.value;
  }

  /** `evaluate` on any device (the only way on a WebGPU device): one read back per batch. */
  async evaluateAsync(data: Dataset, options: { batchSize?: number } = {}): Promise<Evaluation> {
    const batches = this.evaluationBatches(data, options);
    let next = batches.next();
    while (!next.done) next = batches.next(await next.value.program.runAsync(next.value.feeds));
    return next.value;
  }

  /** The batches of an evaluation: yields each batch's program and feeds, takes back its outputs. */
  private *evaluationBatches(data: Dataset, options: { batchSize?: number }): Generator<{ program: Program; feeds: Feeds }, Evaluation, FloatArray[]> {
    const { loss } = this.requireCompiled('evaluate');
    this.checkData(data, 'evaluation data');
    if (data.count === 0) throw new DataError('no samples to evaluate', { file: 'evaluation data' });
    this.evalProgram ??= compile(this.graph, { outputs: [loss, this.output], device: this.device, training: false });
    const program = this.evalProgram;
    const batch = options.batchSize ?? 1000;
    const k = data.features;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < data.count; start += batch) {
      const n = Math.min(batch, data.count - start);
      const y = data.y.subarray(start, start + n);
      const [value, out] = yield { program, feeds: { [this.input.name!]: data.x.subarray(start * k, (start + n) * k), [this.labels.name!]: y } };
      lossSum += value[0] * n;
      correct += countCorrect(out, y, n, this.classes);
    }
    return { loss: lossSum / data.count, accuracy: correct / data.count };
  }

  /**
   * The outputs for rows of inputs (count × features) as one array (count × classes), as evaluate computes them.
   *
   * @param options.batchSize - Samples per run (default 1000).
   */
  predict(x: Float32Array | Float64Array, options: { batchSize?: number } = {}): Float32Array {
    this.refuseOnGpu('predict', 'predictAsync(x)');
    const batches = this.predictionBatches(x, options);
    let next = batches.next();
    while (!next.done) next = batches.next(next.value.program.run(next.value.feeds));
    return next.value;
  }

  /** `predict` on any device (the only way on a WebGPU device). */
  async predictAsync(x: Float32Array | Float64Array, options: { batchSize?: number } = {}): Promise<Float32Array> {
    const batches = this.predictionBatches(x, options);
    let next = batches.next();
    while (!next.done) next = batches.next(await next.value.program.runAsync(next.value.feeds));
    return next.value;
  }

  private *predictionBatches(x: Float32Array | Float64Array, options: { batchSize?: number }): Generator<{ program: Program; feeds: Feeds }, Float32Array, FloatArray[]> {
    const f = this.features;
    if (x.length % f !== 0) throw new DataError(`predict: ${x.length} values is not a whole number of rows of ${f} features`);
    const count = x.length / f;
    const out = new Float32Array(count * this.classes);
    const program = this.predictor();
    const batch = options.batchSize ?? 1000;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const [y] = yield { program, feeds: { [this.input.name!]: x.subarray(start * f, (start + n) * f) } };
      out.set(y, start * this.classes);
    }
    return out;
  }

  /** On a WebGPU device values arrive asynchronously: the sync method says which to call instead. */
  private refuseOnGpu(what: string, instead: string): void {
    if (this.device.gpu) throw new GraphError(`Model.${what}: this model runs on a webgpu device, whose results arrive asynchronously: use await model.${instead}`);
  }

  /** Predicted class of each row of inputs. */
  predictClasses(x: Float32Array | Float64Array): Int32Array {
    return this.classesOf(this.predict(x));
  }

  /** `predictClasses` on any device (the only way on a WebGPU device). */
  async predictClassesAsync(x: Float32Array | Float64Array): Promise<Int32Array> {
    return this.classesOf(await this.predictAsync(x));
  }

  private classesOf(p: Float32Array): Int32Array {
    const k = this.classes;
    return Int32Array.from({ length: p.length / k }, (_, r) => argmax(p, r * k, k));
  }

  /** A copy of every parameter of the graph (optimizer state included), by name. */
  getWeights(): Map<string, Float64Array> {
    this.refuseOnGpu('getWeights', 'getWeightsAsync()');
    const init = this.graph.ir().init;
    // A parameter no program has used yet (optimizer state before the first fit) has its initial value.
    return new Map(this.graph.parameters.map((p) => [p.name!, this.device.hasParameter(p.name!) ? this.device.read(p.name!) : initialValues(init.get(p.id)!)]));
  }

  /** `getWeights` on any device (the only way on a WebGPU device). */
  async getWeightsAsync(): Promise<Map<string, Float64Array>> {
    const init = this.graph.ir().init;
    const entries = await Promise.all(this.graph.parameters.map(async (p) => [p.name!, this.device.hasParameter(p.name!) ? await this.device.readAsync(p.name!) : initialValues(init.get(p.id)!)] as const));
    return new Map(entries);
  }

  /** Sets parameters by name; every name must exist and every length fit. */
  setWeights(weights: ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>): void {
    const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
    for (const [name] of entries) {
      if (this.device.hasParameter(name)) continue;
      if (!this.graph.has(name) || !isOp(this.graph.get(name).node, ops.parameter)) throw new GraphError(`setWeights: the model has no parameter named '${name}'`);
      // Placed by compiling a program that reads it (optimizer state before the first fit).
      compile(this.graph, { outputs: [this.graph.get(name)], device: this.device });
    }
    for (const [name, values] of entries) this.device.write(name, values);
  }

  /** A table of the layers: name and kind, output shape, parameter count; and the totals, trainable and not. */
  summary(): string {
    return summarize(this.input, this.output);
  }

  /** Ends the device's helper thread; the model cannot run afterwards. */
  dispose(): void {
    this.device.dispose();
  }

  /**
   * The training step for a training set of `samples` (n enters through L2): outputs the loss and
   * the output, updates every trainable parameter on the loss path (and, as every training
   * program, the state of the graph's training updates: batchNorm's moving statistics).
   *
   * @param options.checkNumerics - Compile with checkNumerics (default: off, unless
   *   DELTAGRAPH_CHECK_NUMERICS=1).
   */
  trainingStep(samples: number, options: { checkNumerics?: boolean } = {}): Program {
    const { config, loss } = this.requireCompiled('fit');
    const checkNumerics = options.checkNumerics ?? checkNumericsByDefault();
    const key = `${config.l2 ? samples : 0}${checkNumerics ? ':checked' : ''}`;
    let program = this.trainSteps.get(key);
    if (program) return program;
    const onLossPath = new Set(ancestors(this.graph.ir().nodes, [loss.id]));
    const params = this.graph.trainableParameters.filter((p) => onLossPath.has(p.id));
    let grads = grad(loss, params);
    const l2 = config.l2 ?? 0;
    // Nielsen's L2 on weights (not biases): the gradient gains (λ/n)·W.
    if (l2 > 0) grads = grads.map((d, i) => (params[i].rank >= 2 ? d.add(params[i].mul(l2 / samples)) : d));
    const updates = config.optimizer.updates(params, grads, this.learningRate);
    program = compile(this.graph, { outputs: [loss, this.output], updates, device: this.device, training: true, checkNumerics });
    this.trainSteps.set(key, program);
    return program;
  }

  /**
   * Refuses a dataset that does not fit the model, naming `name`.
   *
   * @param options.finite - Scan the inputs for NaN and ±∞ (default true).
   */
  checkData(data: Dataset, name: string, options: { finite?: boolean } = {}): void {
    validateDataset(data, name, options);
    if (data.features !== this.features) {
      throw new DataError(`samples have ${data.features} features but the model's input is ${formatShape(this.input.shape)}`, { file: name });
    }
    if (data.classes > this.classes) {
      throw new DataError(`labels have ${data.classes} classes but the model's output is ${formatShape(this.output.shape)}`, { file: name });
    }
  }

  private requireCompiled(what: string): Compiled {
    if (!this.compiled) throw new GraphError(`${what}: call model.compile({ loss, optimizer }) first`);
    return this.compiled;
  }

  private predictor(): Program {
    this.predictProgram ??= compile(this.graph, { outputs: [this.output], device: this.device, training: false });
    return this.predictProgram;
  }
}

/**
 * Refuses, at Model.compile and before anything is filled, an optimizer whose state does not fit
 * beside the parameters the device holds (Adam keeps two values per parameter): the largest layer
 * named, with its line. The training step's compile checks again, with every buffer it places.
 */
function refuseOptimizerBeyondDevice(model: Model, optimizer: Optimizer): void {
  const slots = optimizer.slots?.length ?? 0;
  if (slots === 0) return;
  const { device, graph } = model;
  const sizeOf = (p: Tensor) => (p.shape as number[]).reduce((a, b) => a * b, 1);
  const params = graph.trainableParameters.filter((p) => !optimizer.slots.some((s) => device.hasParameter(`optimizer/${p.name}/${s}`)));
  const state = params.reduce((sum, p) => sum + sizeOf(p) * slots, 0);
  if (device.size + state <= MAX_ELEMENTS) return;
  const width = device.dtype === 'float32' ? 4 : 8;
  const bytes = (n: number) => formatBytes(n * width);
  const largest = params.reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a));
  const site = largest.node.site ? ` (${largest.node.site})` : '';
  throw new GraphError(
    `Model.compile: ${optimizer.name} keeps ${slots} values (${optimizer.slots.join(', ')}) beside each trainable parameter: ${bytes(state)} as ${device.dtype} for its state, ` +
      `beside the ${bytes(device.size)} the device holds (the parameters), more than the ${bytes(MAX_ELEMENTS)} a device holds. ` +
      `The largest layer: '${largest.name}' ${formatShape(largest.shape)}${site}, ${bytes(sizeOf(largest))} and ${bytes(sizeOf(largest) * slots)} of ${optimizer.name} state. ` +
      `sgd keeps no state; or make the layer smaller. None of the state was allocated`,
  );
}
