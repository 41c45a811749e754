/**
 * The training loop of `Model.fit`: shuffles, feeds each batch from the training set uploaded to
 * the model's device (gathered there, no copy in JS per row), runs the compiled step, tracks loss
 * and accuracy, validates, and calls the callbacks.
 */
import { checkOptionNames, formatValue, GraphError, NumericsError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { FloatArray } from '../backends/index.ts';
import type { DeviceRows } from '../runtime/device.ts';
import type { PreparedRun } from '../runtime/program.ts';
import { KEPT_STEPS } from '../runtime/gpu-steps.ts';
import { countCorrect } from './batches.ts';
import type { Augment } from './data/augment.ts';
import { nonFiniteInput, shuffle, type Dataset } from './data/dataset.ts';
import { DataError } from './data/errors.ts';
import type { Evaluation, Model } from './model.ts';
import { learningRateAt } from './optim.ts';

/** Options of `fit` and `fitAsync`. */
export interface FitOptions {
  /** Passes over the training set (default 1). */
  epochs?: number;
  /** Samples per step (default 32); the last batch of an epoch may be shorter. */
  batchSize?: number;
  /** Shuffle the training set every epoch (default true), seeded. */
  shuffle?: boolean;
  /** Seed of the shuffle (default: drawn from the graph's seeded Rng). */
  seed?: number;
  /** A dataset to evaluate after every epoch (`valLoss`, `valAccuracy` in the history). */
  validationData?: Dataset;
  /** Hooks called during training ({@link progressBar}, {@link earlyStopping} or your own). */
  callbacks?: readonly Callback[];
  /** Distorts each training batch in place before its step (e.g. randomShift), from the fit's Rng. */
  augment?: Augment;
  /**
   * fitAsync only: how long to train before yielding to the event loop, in ms (default 16: a page
   * keeps drawing at ~60 frames a second, a worker gets its messages).
   */
  yieldEveryMs?: number;
  /**
   * fitAsync on a WebGPU device: the steps submitted between two reads of their losses and
   * outputs (default 16). Each step's loss and outputs are kept on the GPU and read back
   * together, so the epoch's loss and accuracy are exact and a step waits for nothing.
   */
  readEvery?: number;
  /**
   * Check every op's output for NaN and infinities and stop at the first with a NumericsError
   * naming the op, its inputs and your line (see compile's checkNumerics). Slower; for finding
   * why a loss became NaN. Default: off, unless DELTAGRAPH_CHECK_NUMERICS=1.
   */
  checkNumerics?: boolean;
}

/** What `onBatchEnd` is given after each step. */
export interface BatchLogs {
  /** The epoch (1-based). */
  epoch: number;
  /** Step within the epoch (1-based) and the steps of the epoch. */
  step: number;
  /** The steps of the epoch. */
  steps: number;
  /** Mean training loss of the epoch so far. */
  loss: number;
}

/** One epoch of the history `fit` returns. */
export interface EpochLogs {
  /** 1-based, counting epochs trained before (a resumed model goes on counting). */
  epoch: number;
  /** Mean loss and accuracy over the epoch's training batches, as they were trained. */
  loss: number;
  /** Fraction of the epoch's training samples classified right (the largest output is the label). */
  accuracy: number;
  /** Mean loss over `validationData`, when given. */
  valLoss?: number;
  /** Accuracy over `validationData`, when given. */
  valAccuracy?: number;
  /** The learning rate of the epoch (schedules change it). */
  learningRate: number;
  /** Milliseconds per training step, the epoch's mean. */
  msPerStep: number;
  /** Seconds the epoch took, evaluation included. */
  seconds: number;
}

/** What `onTrainBegin` is given. */
export interface TrainInfo {
  /** Epochs to train. */
  epochs: number;
  /** Steps per epoch. */
  stepsPerEpoch: number;
  /** Samples per step. */
  batchSize: number;
  /** Training samples. */
  samples: number;
}

/** Hooks into `fit`. Set `model.stopTraining = true` to stop after the current epoch. */
export interface Callback {
  /** Before the first epoch. */
  onTrainBegin?(info: TrainInfo, model: Model): void;
  /** Before each epoch (1-based). */
  onEpochBegin?(epoch: number, model: Model): void;
  /** After each step. */
  onBatchEnd?(logs: BatchLogs, model: Model): void;
  /** After each epoch, with its logs (validation included). */
  onEpochEnd?(logs: EpochLogs, model: Model): void;
  /** After the last epoch, with the whole history. */
  onTrainEnd?(history: History, model: Model): void;
}

/** What `fit` returns: the logs of every epoch, in order. */
export interface History {
  /** One entry per epoch trained. */
  epochs: EpochLogs[];
}

/** Models in a `fit` now: a `fit` of the same model from one of its callbacks would feed its rows into the running one's. */
const running = new WeakSet<Model>();

/** Whether `model` is being trained by `fit` or `fitAsync` (so `fit` and `compile` must wait). */
export function isTraining(model: Model): boolean {
  return running.has(model);
}

/**
 * What the training loop asks of its driver on a WebGPU device, where values arrive
 * asynchronously: the kept outputs of prepared runs, the weights, an evaluation.
 */
type Request = { readonly kept: readonly PreparedRun[] } | { readonly weights: true } | { readonly evaluate: Dataset };

/** Trains `model` on `train` and returns the history of every epoch. */
export function fit(model: Model, train: Dataset, options: FitOptions = {}): History {
  if (model.device.gpu) throw new GraphError("fit: this model runs on a webgpu device, whose steps run asynchronously: use await fitAsync(model, data, options) (or model.fitAsync)");
  const loop = trainingLoop(model, train, options);
  for (;;) {
    const next = loop.next();
    if (next.done) return next.value;
  }
}

/**
 * `fit` that yields to the event loop every `yieldEveryMs` of training, so a page stays responsive
 * and callbacks can draw; the same steps and results as `fit`.
 */
export async function fitAsync(model: Model, train: Dataset, options: FitOptions = {}): Promise<History> {
  const every = options.yieldEveryMs ?? 16;
  if (!(every >= 0)) throw new GraphError(`fitAsync: yieldEveryMs must be a number of milliseconds >= 0, got ${every}`);
  const loop = trainingLoop(model, train, options);
  let answer: unknown;
  for (let since = performance.now(); ; ) {
    const next = loop.next(answer);
    answer = undefined;
    if (next.done) return next.value;
    const request = next.value;
    if (request) {
      answer = await serve(model, request);
      since = performance.now();
    } else if (performance.now() - since >= every) {
      await yieldToEventLoop();
      since = performance.now();
    }
  }
}

/** Answers the training loop's request (reads from the GPU: the event loop turns meanwhile). */
async function serve(model: Model, request: Request): Promise<unknown> {
  if ('kept' in request) return Promise.all(request.kept.map((run) => run.readKept()));
  if ('weights' in request) return model.getWeightsAsync();
  return model.evaluateAsync(request.evaluate);
}

/** A macrotask turn without setTimeout's 4 ms clamp (MessageChannel: pages, workers and Node). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** The training loop, paused after every step (fit runs it through, fitAsync yields between). */
function* trainingLoop(model: Model, train: Dataset, options: FitOptions): Generator<Request | undefined, History, unknown> {
  if (running.has(model)) {
    throw new GraphError('fit: this model is already training (fit was called from one of its callbacks); call it after the running fit returns, or train another model');
  }
  running.add(model);
  try {
    return yield* trainModel(model, train, options);
  } finally {
    running.delete(model);
  }
}

const fitOptions: readonly (keyof FitOptions)[] = ['epochs', 'batchSize', 'shuffle', 'seed', 'validationData', 'callbacks', 'augment', 'checkNumerics', 'yieldEveryMs', 'readEvery'];

function* trainModel(model: Model, train: Dataset, options: FitOptions): Generator<Request | undefined, History, unknown> {
  checkOptionNames('fit', options, fitOptions);
  if (!model.config) throw new GraphError('fit: call model.compile({ loss, optimizer }) first');
  const { epochs = 1, batchSize = 32, validationData, callbacks = [] } = options;
  if (!(Number.isInteger(epochs) && epochs >= 0)) throw new GraphError(`fit: epochs must be a whole number, got ${formatValue(epochs)}`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new GraphError(`fit: batchSize must be a positive whole number, got ${formatValue(batchSize)}`);
  model.checkData(train, 'training data', { finite: false }); // scanned on the device below
  if (train.count === 0) throw new DataError('no samples to train on', { file: 'training data' });
  if (validationData) model.checkData(validationData, 'validation data');
  if (options.checkNumerics !== undefined && typeof options.checkNumerics !== 'boolean') throw new GraphError(`fit: checkNumerics must be true or false, got ${formatValue(options.checkNumerics)}`);
  const gpu = model.device.gpu !== null;
  const readEvery = options.readEvery ?? 16;
  if (!(Number.isInteger(readEvery) && readEvery >= 1 && readEvery <= KEPT_STEPS)) throw new GraphError(`fit: readEvery must be a whole number of steps in [1, ${KEPT_STEPS}], got ${formatValue(readEvery)}`);
  if (gpu && options.augment) throw new GraphError('fitAsync: augment changes each batch on the CPU, but a webgpu device gathers its batches on the GPU; train without augment there, or on a wasm device');
  if (gpu && options.checkNumerics) throw new GraphError('fitAsync: checkNumerics scans every kernel\'s output on the CPU; to find the op that made a NaN, train on a wasm device with checkNumerics');
  const step = model.trainingStep(train.count, { checkNumerics: options.checkNumerics });

  const rng = new Rng(options.seed ?? model.graph.rng.next() * 2 ** 32);
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const [x, labels, rate] = [model.input.name!, model.labels.name!, model.learningRate.name!];
  const prepared = (n: number) => step.prepare({ [x]: [n, model.features], [labels]: [n], [rate]: [] });
  const full = prepared(Math.min(batchSize, train.count));
  const rest = train.count % batchSize;
  const last = rest === 0 || train.count < batchSize ? full : prepared(rest);
  // After the plans: the first may move the memory to a shared one, which would copy the rows again.
  const rows = model.device.uploadRows(train.x, train.features);
  if (rows.firstNonFinite >= 0) throw nonFiniteInput(train, rows.firstNonFinite, 'training data');
  const steps = Math.ceil(train.count / batchSize);
  const history: History = { epochs: [] };
  model.stopTraining = false;
  for (const c of callbacks) c.onTrainBegin?.({ epochs, stepsPerEpoch: steps, batchSize, samples: train.count }, model);

  for (let e = 0; e < epochs && !model.stopTraining; e++) {
    const epoch = model.epochsTrained + 1;
    for (const c of callbacks) c.onEpochBegin?.(epoch, model);
    if (options.shuffle ?? true) shuffle(order, () => rng.next());
    const learningRate = learningRateAt(model.config!.optimizer.learningRate, model.epochsTrained);
    // If training diverges, the weights go back to this state instead of staying NaN.
    const before = gpu ? ((yield { weights: true }) as Map<string, Float64Array>) : model.getWeights();
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    /** What a step computed: its loss, accuracy and the callbacks' logs. */
    const account = (s: number, [loss, out]: FloatArray[], labelsOf: ArrayLike<number>) => {
      const start = s * batchSize;
      const n = Math.min(batchSize, train.count - start);
      const value = loss[0];
      if (!Number.isFinite(value)) {
        model.setWeights(before);
        const diverged = `fit: the loss became ${value} at epoch ${epoch}, step ${s + 1}: training diverged (try a lower learning rate); the weights are back as they were at the start of epoch ${epoch}`;
        if (gpu) throw new GraphError(`${diverged}; to name the op that made the first NaN or infinity, train on a wasm device with { checkNumerics: true }`);
        const found = step.checkNumerics ? null : replayChecked(model, train, rows, order, batchSize, s, learningRate, before);
        if (found) {
          found.message = `${diverged}. Replayed with checkNumerics, the first NaN or infinity: ${found.message}`;
          throw found;
        }
        throw new GraphError(`${diverged}; fit again with { checkNumerics: true } (or DELTAGRAPH_CHECK_NUMERICS=1) to name the op that made the first NaN or infinity`);
      }
      lossSum += value * n;
      correct += countCorrect(out, labelsOf, n, model.classes);
      if (callbacks.length > 0) {
        const logs = { epoch, step: s + 1, steps, loss: lossSum / Math.min(train.count, (s + 1) * batchSize) };
        for (const c of callbacks) c.onBatchEnd?.(logs, model);
      }
    };
    /** On a GPU: steps submitted whose outputs are kept there, not read yet. */
    const pending: { s: number; run: PreparedRun }[] = [];
    for (let s = 0; s < steps; s++) {
      const start = s * batchSize;
      const n = Math.min(batchSize, train.count - start);
      const run = n === batchSize || last === full ? full : last;
      run.gather(x, rows, order, start, n);
      const yb = run.input(labels);
      for (let b = 0; b < n; b++) yb[b] = train.y[order[start + b]];
      run.input(rate)[0] = learningRate;
      if (options.augment) options.augment(run.input(x), n, rng, model.features);
      if (gpu) {
        run.submit({ keep: true });
        pending.push({ s, run });
        if (pending.length < readEvery && s < steps - 1) continue;
        const runs = last === full ? [full] : [full, last];
        const kept = (yield { kept: runs }) as FloatArray[][][];
        for (const p of pending) account(p.s, kept[runs.indexOf(p.run)].shift()!, labelsAt(train, order, p.s * batchSize, batchSize));
        pending.length = 0;
        continue;
      }
      let results: FloatArray[];
      try {
        results = run.run();
      } catch (e) {
        // A NumericsError stops the step before any update: the weights are those of the step before.
        if (e instanceof NumericsError) e.message = `fit (epoch ${epoch}, step ${s + 1}): ${e.message}`;
        throw e;
      }
      account(s, results, yb);
      yield;
    }
    const ms = performance.now() - started;
    model.epochsTrained++;
    const logs: EpochLogs = { epoch, loss: lossSum / train.count, accuracy: correct / train.count, learningRate, msPerStep: ms / steps, seconds: ms / 1000 };
    if (validationData) {
      const v = gpu ? ((yield { evaluate: validationData }) as Evaluation) : model.evaluate(validationData);
      logs.valLoss = v.loss;
      logs.valAccuracy = v.accuracy;
    }
    history.epochs.push(logs);
    for (const c of callbacks) c.onEpochEnd?.(logs, model);
  }
  for (const c of callbacks) c.onTrainEnd?.(history, model);
  return history;
}

/** The labels of rows order[start .. start + n) (the batch a step trained on), clipped to the data. */
function labelsAt(train: Dataset, order: Int32Array, start: number, n: number): Float64Array {
  const count = Math.min(n, train.count - start);
  return Float64Array.from({ length: count }, (_, b) => train.y[order[start + b]]);
}

/**
 * After the loss became non-finite at step `failed` of an epoch: replays the epoch's steps up to
 * that one with a training step that checks numerics, from the weights of the epoch's start and on
 * the same batches, to name the op that made the first NaN or infinity. It runs only on this
 * failure path, so training is as fast as ever. Null when the replay does not reproduce it
 * (dropout masks and augmentations are drawn anew; augmentation is left out).
 */
function replayChecked(model: Model, train: Dataset, rows: DeviceRows, order: Int32Array, batchSize: number, failed: number, learningRate: number, before: Map<string, Float64Array>): NumericsError | null {
  const [x, labels, rate] = [model.input.name!, model.labels.name!, model.learningRate.name!];
  const plans = new Map<number, PreparedRun>();
  try {
    const step = model.trainingStep(train.count, { checkNumerics: true });
    for (let s = 0; s <= failed; s++) {
      const start = s * batchSize;
      const n = Math.min(batchSize, train.count - start);
      let run = plans.get(n);
      if (!run) plans.set(n, (run = step.prepare({ [x]: [n, model.features], [labels]: [n], [rate]: [] })));
      run.gather(x, rows, order, start, n);
      const yb = run.input(labels);
      for (let b = 0; b < n; b++) yb[b] = train.y[order[start + b]];
      run.input(rate)[0] = learningRate;
      run.run();
    }
    return null;
  } catch (e) {
    return e instanceof NumericsError ? e : null;
  } finally {
    model.setWeights(before);
  }
}
