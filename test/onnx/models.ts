/**
 * The models the ONNX tests export and import: the MNIST presets' networks (as examples/mnist.ts
 * builds them), a batch-norm net, and the attention example's model; plus ONNX Runtime and a
 * relative difference.
 */
import * as ort from 'onnxruntime-node';
import { compile, Graph, Rng, type Tensor } from '../../src/index.ts';
import { Model } from '../../src/nn/index.ts';

/** max |a − b| over max |b|: the agreement the tests ask for (1e-5). */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

export function randomImages(count: number, features: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count * features }, () => rng.next());
}

/** Gives every parameter random values (moving variances positive), so nothing is a trivial 0 or 1. */
export function randomizeWeights(model: Model, seed: number): void {
  const rng = new Rng(seed);
  const weights = new Map<string, Float64Array>();
  for (const [name, values] of model.getWeights()) {
    const positive = name.endsWith('movingVariance');
    weights.set(name, values.map(() => (positive ? 0.5 + rng.next() : (rng.next() - 0.5) * (name.endsWith('kernel') ? 0.3 : 1))));
  }
  model.setWeights(weights);
}

/** The MNIST presets' networks, built as examples/mnist.ts builds them. */
export function mnistPreset(name: 'classic' | 'improved' | 'conv', seed = 1): Model {
  const g = new Graph({ seed });
  if (name === 'conv') {
    const x = g.input('x', [null, 28, 28, 1]);
    let h: Tensor = x;
    for (const filters of [20, 40]) h = g.maxPool2d(g.conv2d(h, filters, { kernelSize: 5, activation: 'relu', kernelInitializer: 'heNormal' }));
    h = g.dropout(g.dense(g.flatten(h), 100, { activation: 'relu', kernelInitializer: 'heNormal' }), 0.5);
    return new Model({ inputs: x, outputs: g.dense(h, 10, { activation: 'softmax', kernelInitializer: 'heNormal' }) });
  }
  const x = g.input('x', [null, 784]);
  if (name === 'classic') {
    const h = g.dense(x, 30, { activation: 'sigmoid', kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' });
    return new Model({ inputs: x, outputs: g.dense(h, 10, { activation: 'sigmoid', kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' }) });
  }
  const h = g.dropout(g.dense(x, 800, { activation: 'relu', kernelInitializer: 'heNormal' }), 0.3);
  return new Model({ inputs: x, outputs: g.dense(h, 10, { activation: 'softmax', kernelInitializer: 'heNormal' }) });
}

/** A conv net with batch normalisation, 'same' padding, average and global pooling, a residual add. */
export function batchNormNet(seed = 2): Model {
  const g = new Graph({ seed });
  const x = g.input('x', [null, 28, 28, 1]);
  const a = g.batchNorm(g.conv2d(x, 8, { kernelSize: 3, padding: 'same', useBias: false })).relu();
  const b = g.batchNorm(g.conv2d(a, 8, { kernelSize: 3, padding: 'same', useBias: false }));
  const pooled = g.avgPool2d(a.add(b).relu(), { poolSize: 2 });
  const features = g.globalAveragePooling2d(g.conv2d(pooled, 16, { kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  return new Model({ inputs: x, outputs: g.dense(g.batchNorm(features), 10).logSoftmax() });
}

/** The attention example's model (examples/attention.ts): ids → embedding + positions → attention block → dense → logits. */
export function attentionModel(seed = 3, length = 5): { graph: Graph; ids: Tensor; logits: Tensor } {
  const g = new Graph({ seed });
  const digits = 10;
  const width = 32;
  const ids = g.input('ids', [null, length], 'int');
  const tokens = g.embedding(ids, { inputDim: digits, outputDim: width });
  const x = tokens.add(g.parameter('positions', [length, width], 'glorotUniform'));
  const [q, k, v] = ['query', 'key', 'value'].map((name) => g.dense(x, width, { useBias: false, name }));
  const weights = q.matMul(k, false, true).mul(1 / Math.sqrt(width)).softmax(-1);
  const h = g.layerNorm(x.add(weights.matMul(v)));
  const logits = g.dense(g.dense(h, 64, { activation: 'relu' }), digits);
  return { graph: g, ids, logits };
}

/** deltagraph's float32 outputs of a bare graph. */
export function runGraph(graph: Graph, output: Tensor, feeds: Record<string, ArrayLike<number>>): Float32Array {
  const program = compile(graph, { outputs: [output], training: false });
  const [y] = program.run(feeds);
  program.device.dispose();
  return Float32Array.from(y);
}

/** ONNX Runtime's output of `bytes` for one input. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, output = 'output'): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run(feeds);
    const data = result[output].data as ArrayLike<number | bigint | boolean>;
    return Float32Array.from(data as ArrayLike<number>, Number); // bool and int64 outputs as numbers
  } finally {
    await session.release();
  }
}

export { ort };
