/**
 * Layers as functions over the graph API, also callable fluently as `g.dense(x, 30)` and
 * `g.dropout(h, 0.5)` (this module adds the methods to Graph; the package entries load it). Each
 * layer is recorded with its name and kind, so `Model.summary()` can list it.
 */
import { formatValue, GraphError, ShapeError } from '../core/errors.ts';
import { callSite } from '../core/site.ts';
import { ops } from '../ops/index.ts';
import { Graph } from '../graph/graph.ts';
import type { Initializer } from '../graph/initializers.ts';
import { Tensor } from '../graph/tensor.ts';

export type Activation = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'softmax';

export interface DenseOptions {
  activation?: Activation;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** Prefix of the parameter names: `${name}/kernel`, `${name}/bias`. Default dense_1, dense_2… */
  name?: string;
}

export interface LayerRecord {
  readonly name: string;
  readonly kind: string;
  readonly output: Tensor;
}

declare module '../graph/graph.ts' {
  interface Graph {
    /** A fully connected layer; see `dense`. */
    dense(x: Tensor, units: number, options?: DenseOptions): Tensor;
    /** Dropout; see `dropout`. */
    dropout(x: Tensor, rate: number, name?: string): Tensor;
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
 * [units] created as parameters of x's graph.
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
  if (x.rank !== 2 || nIn === null) throw new ShapeError('dense', [x.shape], 'the input must be [batch, features] with features known', callSite());
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
Graph.prototype.recordLayer = function (this: Graph, name: string, kind: string, output: Tensor) {
  return recordLayer(this, name, kind, output);
};
Object.defineProperty(Graph.prototype, 'layers', {
  get(this: Graph): readonly LayerRecord[] {
    return records.get(this) ?? [];
  },
});
