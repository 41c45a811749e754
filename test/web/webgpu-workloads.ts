/**
 * The page side of test/web/webgpu.test.ts: W1, W2, W3 and the attention example trained 50 steps
 * on a WebGPU device and on a wasm device from the same initial weights and batches, in the page
 * (Chromium, SwiftShader). Bundled for the browser by the test; `globalThis.webgpuWorkloads` runs one.
 */
import { compile, Device, grad, Graph } from 'deltagraph';
import 'deltagraph/webgpu';
import { adam, randomNormal, type Dataset, type Model } from 'deltagraph/nn';
import { buildW1, buildW2, buildW3 } from '../../bench/workloads.ts';

const STEPS = 50;

/** Synthetic "images" (sparse, as MNIST's pixels are) whose class depends on a few of them: made here, learnable. */
function dataset(count: number, features: number, classes: number): Dataset {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = Float32Array.from({ length: count * features }, () => (next() < 0.25 ? next() : 0));
  const y = Int32Array.from({ length: count }, (_, r) => Math.floor(x.subarray(r * features, r * features + 60).reduce((a, b) => a + b, 0) * 3) % classes);
  return { x, y, count, features, classes };
}

const models = {
  W1: { build: (device: Device) => buildW1({ device }), batchSize: 10 },
  // W2 and W3 at smaller batches than their benchmarks' (128, 64): SwiftShader is slow, and the
  // agreement with wasm does not depend on the batch size.
  W2: { build: (device: Device) => buildW2({ device }), batchSize: 32 },
  W3: { build: (device: Device) => buildW3({ device }), batchSize: 8 },
};

/** The losses of STEPS steps of a model (the running mean of the epoch after each step), and the ms a step took. */
async function fitLosses(model: Model, batchSize: number, gpu: boolean) {
  const data = dataset(STEPS * batchSize, 784, 10);
  const losses: number[] = [];
  const callbacks = [{ onBatchEnd: (logs: { loss: number }) => void losses.push(logs.loss) }];
  const options = { epochs: 1, batchSize, shuffle: false, callbacks };
  const started = performance.now();
  if (gpu) await model.fitAsync(data, options);
  else model.fit(data, options);
  return { losses, msPerStep: (performance.now() - started) / STEPS };
}

/** The attention example's model (token and position embeddings, q/k/v, softmax over the keys, residual, layer norm), Adam. */
async function attention(device: Device, gpu: boolean) {
  const length = 5;
  const g = new Graph({ seed: 3 });
  const ids = g.input('ids', [null, length], 'int');
  const targets = g.input('targets', [null, length], 'int');
  const rate = g.input('learningRate', []);
  const tokens = g.embedding(ids, { inputDim: 10, outputDim: 32 });
  const x = tokens.add(g.parameter('positions', [length, 32], randomNormal(0.5)));
  const [q, k, v] = ['query', 'key', 'value'].map((name) => g.dense(x, 32, { useBias: false, name }));
  const weights = q.matMul(k, false, true).mul(1 / Math.sqrt(32)).softmax(-1);
  const h = g.layerNorm(x.add(weights.matMul(v)));
  const logits = g.dense(g.dense(h, 64, { activation: 'relu' }), 10);
  const loss = logits.softmaxCrossEntropy(targets).mean();
  const params = g.trainableParameters;
  const updates = adam({ learningRate: 0.01 }).updates(params, grad(loss, params), rate);
  const train = compile(g, { outputs: [loss], updates, training: true, device });
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const losses: number[] = [];
  const started = performance.now();
  for (let s = 0; s < STEPS; s++) {
    const xs = Int32Array.from({ length: 64 * length }, () => Math.floor(next() * 10));
    const ys = xs.map((_, i) => xs[i - (i % length) + length - 1 - (i % length)]);
    const feeds = { ids: xs, targets: ys, learningRate: [0.01] };
    const [value] = gpu ? await train.runAsync(feeds) : train.run(feeds);
    losses.push(value[0]);
  }
  return { losses, msPerStep: (performance.now() - started) / STEPS, stats: train.stats };
}

async function run(name: string) {
  const gpuDevice = await Device.create({ backend: 'webgpu' });
  const wasmDevice = new Device();
  const info = { adapter: gpuDevice.backendNote };
  try {
    if (name === 'attention') {
      const gpu = await attention(gpuDevice, true);
      const wasm = await attention(wasmDevice, false);
      return { ...info, gpu: gpu.losses, wasm: wasm.losses, gpuMs: gpu.msPerStep, wasmMs: wasm.msPerStep, submits: gpu.stats.gpu?.submits };
    }
    const { build, batchSize } = models[name as keyof typeof models];
    const gpu = await fitLosses(build(gpuDevice), batchSize, true);
    const wasm = await fitLosses(build(wasmDevice), batchSize, false);
    return { ...info, gpu: gpu.losses, wasm: wasm.losses, gpuMs: gpu.msPerStep, wasmMs: wasm.msPerStep, batchSize };
  } finally {
    gpuDevice.dispose();
    wasmDevice.dispose();
  }
}

(globalThis as unknown as { webgpuWorkloads: typeof run }).webgpuWorkloads = run;
