/**
 * Layers as functions over the graph API, also callable fluently as `g.dense(x, 30)`,
 * `g.dropout(h, 0.5)`, `g.conv2d(x, 20, { kernelSize: 5 })`, `g.maxPool2d(h)`, `g.flatten(p)`,
 * `g.batchNorm(h)`
 * (this module adds the methods to Graph; the package entries load it). Each
 * layer is recorded with its name and kind, so `Model.summary()` can list it.
 */
import { checkOptionNames, formatValue, GraphError, ShapeError } from '../core/errors.ts';
import { callSite } from '../core/site.ts';
import type { Padding } from '../ops/conv.ts';
import { ops } from '../ops/index.ts';
import { Graph } from '../graph/graph.ts';
import { randomUniform, type Initializer } from '../graph/initializers.ts';
import { Tensor } from '../graph/tensor.ts';

/** A layer's activation, applied to its output (`linear`: none). */
export type Activation = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax';

/** Options of {@link dense} (`g.dense(x, units, options)`). */
export interface DenseOptions {
  /** Applied to x·W + b (default `'linear'`, none; or chain `.sigmoid()` after the layer). */
  activation?: Activation;
  /** Add a bias b (default true). */
  useBias?: boolean;
  /** Initial values of the kernel W (default `'glorotUniform'`, as TF.js). */
  kernelInitializer?: Initializer;
  /** Initial values of the bias (default `'zeros'`). */
  biasInitializer?: Initializer;
  /** Prefix of the parameter names: `${name}/kernel`, `${name}/bias`. Default dense_1, dense_2… */
  name?: string;
}

/** Options of {@link conv2d} (`g.conv2d(x, filters, options)`). */
export interface Conv2dOptions {
  /** [kh, kw] of the filters, or one number for both. */
  kernelSize: number | readonly [number, number];
  /** Default 1. */
  strides?: number | readonly [number, number];
  /** 'valid' (default), 'same' or [[top, bottom], [left, right]]. */
  padding?: Padding;
  /** Spacing of the filter taps (default 1). */
  dilations?: number | readonly [number, number];
  /** Applied to the convolution plus bias (default `'linear'`). */
  activation?: Activation;
  /** Add a bias, one per filter (default true). */
  useBias?: boolean;
  /** Initial values of the filters (default `'glorotUniform'`). */
  kernelInitializer?: Initializer;
  /** Initial values of the bias (default `'zeros'`). */
  biasInitializer?: Initializer;
  /** Prefix of the parameter names: `${name}/kernel`, `${name}/bias`. Default conv2d_1, conv2d_2… */
  name?: string;
}

/** Options of {@link maxPool2d} and {@link avgPool2d}. */
export interface Pool2dOptions {
  /** [ph, pw] of the windows, or one number for both (default 2). */
  poolSize?: number | readonly [number, number];
  /** Default: the pool size. */
  strides?: number | readonly [number, number];
  /** 'valid' (default), 'same' or [[top, bottom], [left, right]]. */
  padding?: Padding;
  /** The layer's name in summaries. Default maxPool2d_1, avgPool2d_1… */
  name?: string;
}

/** Options of {@link embedding}. */
export interface EmbeddingOptions {
  /** Vocabulary size: ids are whole numbers in [0, inputDim). */
  inputDim: number;
  /** Width of each vector. */
  outputDim: number;
  /** Default: uniform in [−0.05, 0.05], as TF.js. */
  embeddingsInitializer?: Initializer;
  /** Prefix of the parameter name: `${name}/embeddings`. Default embedding_1, embedding_2… */
  name?: string;
}

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance (default 1e-3, as TF.js). */
  epsilon?: number;
  /** Prefix of the parameter names: `${name}/gamma`, `${name}/beta`. Default layerNorm_1, … */
  name?: string;
}

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Weight of the old moving statistics in each training step's update (default 0.99, as TF.js). */
  momentum?: number;
  /** Added to the variance (default 1e-3, as TF.js). */
  epsilon?: number;
  /** Learn an offset beta, one per feature (default true). */
  center?: boolean;
  /** Learn a scale gamma, one per feature (default true). */
  scale?: boolean;
  /**
   * Prefix of the parameter names: `${name}/gamma`, `${name}/beta` and the non-trainable
   * `${name}/movingMean`, `${name}/movingVariance`. Default batchNorm_1, batchNorm_2…
   */
  name?: string;
}

/** A layer as the graph records it, for summaries and model files ({@link Graph.layers}). */
export interface LayerRecord {
  /** Its name (`dense_1`), the prefix of its parameters' names. */
  readonly name: string;
  /** What it is, as summaries print it (`dense sigmoid`, `conv2d 5x5 relu`). */
  readonly kind: string;
  /** Its output. */
  readonly output: Tensor;
}

declare module '../graph/graph.ts' {
  interface Graph {
    /** A fully connected layer; see `dense`. */
    dense(x: Tensor, units: number, options?: DenseOptions): Tensor;
    /** Dropout; see `dropout`. */
    dropout(x: Tensor, rate: number, name?: string): Tensor;
    /** A 2-d convolution layer over NHWC images; see `conv2d`. */
    conv2d(x: Tensor, filters: number, options: Conv2dOptions): Tensor;
    /** Max pooling over NHWC images; see `maxPool2d`. */
    maxPool2d(x: Tensor, options?: Pool2dOptions): Tensor;
    /** Average pooling over NHWC images; see `avgPool2d`. */
    avgPool2d(x: Tensor, options?: Pool2dOptions): Tensor;
    /** The mean of every channel over the image: [batch, h, w, c] → [batch, c]. */
    globalAveragePooling2d(x: Tensor, name?: string): Tensor;
    /** [batch, …] → [batch, features]; see `flatten`. */
    flatten(x: Tensor, name?: string): Tensor;
    /** Int ids → learned vectors; see `embedding`. */
    embedding(ids: Tensor, options: EmbeddingOptions): Tensor;
    /** Normalises the last axis, then scales and shifts it; see `layerNorm`. */
    layerNorm(x: Tensor, options?: LayerNormOptions): Tensor;
    /** Batch normalisation over the last axis, with moving statistics; see `batchNorm`. */
    batchNorm(x: Tensor, options?: BatchNormOptions): Tensor;
    /** Layers in the order they were made: name, kind and output (for summaries). */
    readonly layers: readonly LayerRecord[];
    /** Marks `output` as the result of a layer called `name`, so summaries can list it. */
    recordLayer(name: string, kind: string, output: Tensor): Tensor;
  }
}

const records = new WeakMap<Graph, LayerRecord[]>();

function recordLayer(g: Graph, name: string, kind: string, output: Tensor): Tensor {
  if (!records.has(g)) records.set(g, []);
  records.get(g)!.push({ name, kind, output });
  return output;
}

function own(x: Tensor, layer: string): Graph {
  if (!(x instanceof Tensor)) throw new GraphError(`${layer}: expected a Tensor, got ${formatValue(x)}`, callSite());
  return x.graph;
}

/**
 * A fully connected layer: activation(x · kernel + bias), with kernel [nIn, units] and bias
 * [units] created as parameters of x's graph. A sequence [batch, steps, nIn] gets the same
 * kernel at every step.
 *
 * @example
 * const g = new Graph({ seed: 42 });
 * const x = g.input('x', [null, 784]);
 * const h = g.dense(x, 30).sigmoid(); // or dense(x, 30, { activation: 'sigmoid' })
 */
export function dense(x: Tensor, units: number, options: DenseOptions = {}): Tensor {
  const g = own(x, 'dense');
  if (!Number.isInteger(units) || units <= 0) throw new GraphError(`dense: units must be a positive whole number, got ${formatValue(units)}`, callSite());
  const nIn = x.shape[x.rank - 1];
  if ((x.rank !== 2 && x.rank !== 3) || nIn === null) throw new ShapeError('dense', [x.shape], 'the input must be [batch, features] or [batch, steps, features] with features known', callSite());
  const prefix = options.name ?? g.uniqueName('dense');
  const kernel = g.parameter(`${prefix}/kernel`, [nIn, units], options.kernelInitializer ?? 'glorotUniform');
  let z = x.matMul(kernel);
  if (options.useBias ?? true) z = z.add(g.parameter(`${prefix}/bias`, [units], options.biasInitializer ?? 'zeros'));
  const activation = options.activation ?? 'linear';
  return recordLayer(g, prefix, `dense ${activation}`, applyActivation(z, activation));
}

/**
 * Dropout: while training, zeroes each element with probability `rate` and scales the rest by
 * 1/(1 − rate); in a program compiled with `training: false` it is the identity. Each training
 * step draws a new mask from a stream seeded by the graph's seed.
 *
 * @example
 * const h = g.dropout(g.dense(x, 100, { activation: 'relu' }), 0.5);
 */
export function dropout(x: Tensor, rate: number, name?: string): Tensor {
  const g = own(x, 'dropout');
  if (!(rate >= 0 && rate < 1)) throw new GraphError(`dropout: rate must be a number in [0, 1), got ${formatValue(rate)}`, callSite());
  const prefix = name ?? g.uniqueName('dropout');
  if (rate === 0) return recordLayer(g, prefix, 'dropout 0', x);
  const mask = g.apply(ops.dropoutMask, [x], { rate, seed: Math.floor(g.rng.next() * 2 ** 31) });
  return recordLayer(g, prefix, `dropout ${rate}`, x.mul(mask));
}

/**
 * A 2-d convolution layer (TF.js's conv2d layer): activation(x ⋆ kernel + bias) over NHWC images
 * x [batch, h, w, in], with kernel [kh, kw, in, filters] and bias [filters] created as parameters.
 *
 * @example
 * const x = g.input('x', [null, 28, 28, 1]);
 * const h = g.conv2d(x, 20, { kernelSize: 5, activation: 'relu' }); // [null, 24, 24, 20]
 */
export function conv2d(x: Tensor, filters: number, options: Conv2dOptions): Tensor {
  const g = own(x, 'conv2d');
  if (!Number.isInteger(filters) || filters <= 0) throw new GraphError(`conv2d: filters must be a positive whole number, got ${filters}`, callSite());
  const size = options?.kernelSize;
  const [kh, kw] = typeof size === 'number' ? [size, size] : (size ?? []);
  if (![kh, kw].every((k) => Number.isInteger(k) && k > 0)) throw new GraphError(`conv2d: kernelSize must be a positive whole number or two, got ${JSON.stringify(size)}`, callSite());
  const channels = x.shape[3];
  if (x.rank !== 4 || channels === null) throw new ShapeError('conv2d', [x.shape], 'the input must be an image [batch, height, width, channels] with channels known', callSite());
  const prefix = options.name ?? g.uniqueName('conv2d');
  const kernel = g.parameter(`${prefix}/kernel`, [kh, kw, channels, filters], options.kernelInitializer ?? 'glorotUniform');
  let z = x.conv2d(kernel, { strides: options.strides, padding: options.padding, dilations: options.dilations });
  if (options.useBias ?? true) z = z.add(g.parameter(`${prefix}/bias`, [filters], options.biasInitializer ?? 'zeros'));
  const activation = options.activation ?? 'linear';
  return recordLayer(g, prefix, `conv2d ${kh}x${kw} ${activation}`, applyActivation(z, activation));
}

function pool(kind: 'maxPool2d' | 'avgPool2d', x: Tensor, options: Pool2dOptions = {}): Tensor {
  const g = own(x, kind);
  const size = options.poolSize ?? 2;
  const prefix = options.name ?? g.uniqueName(kind);
  const y = x[kind](size, { strides: options.strides, padding: options.padding });
  return recordLayer(g, prefix, `${kind} ${typeof size === 'number' ? `${size}x${size}` : size.join('x')}`, y);
}

/**
 * Max pooling (TF.js's maxPooling2d layer): the maximum of each poolSize window (default 2) per
 * channel, strides the pool size unless given.
 *
 * @example
 * const p = g.maxPool2d(g.conv2d(x, 20, { kernelSize: 5, activation: 'relu' })); // [null, 12, 12, 20]
 */
export function maxPool2d(x: Tensor, options?: Pool2dOptions): Tensor {
  return pool('maxPool2d', x, options);
}

/** Average pooling (TF.js's averagePooling2d layer), as `maxPool2d` with the mean of each window. */
export function avgPool2d(x: Tensor, options?: Pool2dOptions): Tensor {
  return pool('avgPool2d', x, options);
}

/** The mean of each channel over the whole image: [batch, h, w, c] → [batch, c]. */
export function globalAveragePooling2d(x: Tensor, name?: string): Tensor {
  const g = own(x, 'globalAveragePooling2d');
  if (x.rank !== 4) throw new ShapeError('globalAveragePooling2d', [x.shape], 'the input must be an image [batch, height, width, channels]', callSite());
  return recordLayer(g, name ?? g.uniqueName('globalAveragePooling2d'), 'globalAveragePooling2d', x.mean([1, 2]));
}

/**
 * [batch, …] → [batch, features], the values of each sample in order (a reshape: no copy).
 *
 * @example
 * const logits = g.dense(g.flatten(p), 10);
 */
export function flatten(x: Tensor, name?: string): Tensor {
  const g = own(x, 'flatten');
  const rest = x.shape.slice(1);
  if (x.rank < 2 || rest.some((d) => d === null)) throw new ShapeError('flatten', [x.shape], 'every dimension but the batch must be known', callSite());
  const features = (rest as number[]).reduce((a, b) => a * b, 1);
  return recordLayer(g, name ?? g.uniqueName('flatten'), 'flatten', x.reshape([-1, features]));
}

/**
 * An embedding (TF.js's embedding layer): int ids of any shape → their rows of a learned table
 * [inputDim, outputDim], a `gather`. An id outside [0, inputDim) is a run-time error naming it.
 *
 * @example
 * const ids = g.input('ids', [null, 8], 'int');
 * const vectors = g.embedding(ids, { inputDim: 10, outputDim: 16 }); // [null, 8, 16]
 */
export function embedding(ids: Tensor, options: EmbeddingOptions): Tensor {
  const g = own(ids, 'embedding');
  const { inputDim, outputDim } = options ?? {};
  if (![inputDim, outputDim].every((d) => Number.isInteger(d) && d > 0)) {
    throw new GraphError(`embedding: inputDim and outputDim must be positive whole numbers, got ${inputDim} and ${outputDim}`, callSite());
  }
  if (ids.dtype !== 'int') throw new ShapeError('embedding', [ids.shape], "ids must be an int tensor (x.cast('int') converts)", callSite());
  const prefix = options.name ?? g.uniqueName('embedding');
  const table = g.parameter(`${prefix}/embeddings`, [inputDim, outputDim], options.embeddingsInitializer ?? randomUniform(-0.05, 0.05));
  return recordLayer(g, prefix, 'embedding', table.gather(ids));
}

/**
 * Layer normalisation (TF.js's layerNormalization over the last axis): each row's values minus
 * their mean, over √(variance + epsilon), times gamma plus beta (learned, one per feature;
 * ones and zeros at first). Composed of graph ops, so it differentiates to any order.
 *
 * @example
 * const h = g.layerNorm(x.add(g.dense(x, 16))); // a residual connection, normalised
 */
export function layerNorm(x: Tensor, options: LayerNormOptions = {}): Tensor {
  const g = own(x, 'layerNorm');
  const features = x.shape[x.rank - 1];
  if (x.rank < 1 || features === null) throw new ShapeError('layerNorm', [x.shape], 'the last dimension (the features) must be known', callSite());
  const epsilon = options.epsilon ?? 1e-3;
  if (!(epsilon > 0)) throw new GraphError(`layerNorm: epsilon must be a number > 0, got ${epsilon}`, callSite());
  const prefix = options.name ?? g.uniqueName('layerNorm');
  const centred = x.sub(x.mean(-1, true));
  const normalised = centred.div(centred.square().mean(-1, true).add(epsilon).sqrt());
  const gamma = g.parameter(`${prefix}/gamma`, [features], 'ones');
  const beta = g.parameter(`${prefix}/beta`, [features], 'zeros');
  return recordLayer(g, prefix, 'layerNorm', normalised.mul(gamma).add(beta));
}

/**
 * Batch normalisation (TF.js's batchNormalization over the last axis, the features or channels,
 * of [batch, features] or [batch, height, width, channels]): each feature minus its mean, over
 * √(variance + epsilon), times gamma plus beta (learned; ones and zeros at first). A training
 * program takes the mean and variance over the batch (and the image) and its gradient flows
 * through them; after each of its steps the moving statistics follow them,
 * movingMean ← momentum·movingMean + (1 − momentum)·mean and the same for the variance, the biased
 * one (the mean of the squared deviations, as TF.js and Keras 3; PyTorch keeps n/(n − 1) of it).
 * Inference programs (predict, evaluate) normalise with the moving statistics (zeros and ones at
 * first). They are non-trainable parameters: the optimizer never changes them, and they are
 * saved with the model.
 *
 * @example
 * const h = g.batchNorm(g.conv2d(x, 20, { kernelSize: 5, useBias: false })).relu();
 */
export function batchNorm(x: Tensor, options: BatchNormOptions = {}): Tensor {
  const g = own(x, 'batchNorm');
  checkOptionNames('batchNorm', options, ['momentum', 'epsilon', 'center', 'scale', 'name']);
  const { momentum = 0.99, epsilon = 1e-3, center = true, scale = true } = options;
  const prefix = options.name ?? g.uniqueName('batchNorm');
  const fail = (what: string, value: unknown): never => {
    throw new GraphError(`batchNorm '${prefix}': ${what}, got ${formatValue(value)}`, callSite());
  };
  if (!(typeof momentum === 'number' && momentum >= 0 && momentum <= 1)) fail('momentum must be a number in [0, 1]', momentum);
  if (!(typeof epsilon === 'number' && epsilon > 0 && Number.isFinite(epsilon))) fail('epsilon must be a number > 0', epsilon);
  if (typeof center !== 'boolean') fail('center must be true or false', center);
  if (typeof scale !== 'boolean') fail('scale must be true or false', scale);
  const features = x.shape[x.rank - 1];
  if (x.rank < 2 || features === null || x.dtype !== 'float') {
    throw new ShapeError('batchNorm', [x.shape], 'the input must be float, [batch, features] or [batch, height, width, channels], with the last dimension known', callSite(), prefix);
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  // In TF.js's order: gamma, beta, moving mean, moving variance.
  const gamma = scale ? g.parameter(`${prefix}/gamma`, [features], 'ones') : null;
  const beta = center ? g.parameter(`${prefix}/beta`, [features], 'zeros') : null;
  const movingMean = g.parameter(`${prefix}/movingMean`, [features], 'zeros', { trainable: false });
  const movingVariance = g.parameter(`${prefix}/movingVariance`, [features], 'ones', { trainable: false });
  const batchMean = x.mean(axes);
  const mean = batchMean.inTrainPhase(movingMean);
  const centred = x.sub(mean);
  // While training, mean is the batch's: this is the batch's variance (unused, and not computed, otherwise).
  const batchVariance = centred.square().mean(axes);
  const variance = batchVariance.inTrainPhase(movingVariance);
  // γ/√(v + ε) per feature first, so that x meets one multiply and one add.
  const factor = variance.add(epsilon).pow(-0.5);
  let y = centred.mul(gamma ? factor.mul(gamma) : factor);
  if (beta) y = y.add(beta);
  const follow = (moving: Tensor, batch: Tensor) => moving.mul(momentum).add(batch.mul(1 - momentum));
  g.addTrainingUpdate(movingMean, follow(movingMean, batchMean), mean);
  g.addTrainingUpdate(movingVariance, follow(movingVariance, batchVariance), mean);
  return recordLayer(g, prefix, 'batchNorm', y);
}

/** `z` with `activation` applied (`'linear'` leaves it as it is). */
export function applyActivation(z: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case 'linear':
      return z;
    case 'sigmoid':
      return z.sigmoid();
    case 'tanh':
      return z.tanh();
    case 'relu':
      return z.relu();
    case 'softmax':
      return z.softmax();
    default:
      throw new GraphError(`unknown activation '${String(activation)}'; use linear, sigmoid, tanh, relu or softmax`, callSite());
  }
}

function sameGraph(g: Graph, x: Tensor, layer: string): void {
  if (x instanceof Tensor && x.graph !== g) throw new GraphError(`${layer}: ${x} belongs to another graph`, callSite());
}

Graph.prototype.dense = function (this: Graph, x: Tensor, units: number, options?: DenseOptions) {
  sameGraph(this, x, 'dense');
  return dense(x, units, options);
};
Graph.prototype.dropout = function (this: Graph, x: Tensor, rate: number, name?: string) {
  sameGraph(this, x, 'dropout');
  return dropout(x, rate, name);
};
Graph.prototype.conv2d = function (this: Graph, x: Tensor, filters: number, options: Conv2dOptions) {
  sameGraph(this, x, 'conv2d');
  return conv2d(x, filters, options);
};
Graph.prototype.maxPool2d = function (this: Graph, x: Tensor, options?: Pool2dOptions) {
  sameGraph(this, x, 'maxPool2d');
  return maxPool2d(x, options);
};
Graph.prototype.avgPool2d = function (this: Graph, x: Tensor, options?: Pool2dOptions) {
  sameGraph(this, x, 'avgPool2d');
  return avgPool2d(x, options);
};
Graph.prototype.globalAveragePooling2d = function (this: Graph, x: Tensor, name?: string) {
  sameGraph(this, x, 'globalAveragePooling2d');
  return globalAveragePooling2d(x, name);
};
Graph.prototype.flatten = function (this: Graph, x: Tensor, name?: string) {
  sameGraph(this, x, 'flatten');
  return flatten(x, name);
};
Graph.prototype.embedding = function (this: Graph, ids: Tensor, options: EmbeddingOptions) {
  sameGraph(this, ids, 'embedding');
  return embedding(ids, options);
};
Graph.prototype.layerNorm = function (this: Graph, x: Tensor, options?: LayerNormOptions) {
  sameGraph(this, x, 'layerNorm');
  return layerNorm(x, options);
};
Graph.prototype.batchNorm = function (this: Graph, x: Tensor, options?: BatchNormOptions) {
  sameGraph(this, x, 'batchNorm');
  return batchNorm(x, options);
};
Graph.prototype.recordLayer = function (this: Graph, name: string, kind: string, output: Tensor) {
  return recordLayer(this, name, kind, output);
};
Object.defineProperty(Graph.prototype, 'layers', {
  get(this: Graph): readonly LayerRecord[] {
    return records.get(this) ?? [];
  },
});
