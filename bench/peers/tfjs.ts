/**
 * TensorFlow.js peer for bench/training.ts: seconds per epoch of 50,000 MNIST images for the same
 * workloads, on TF.js's 'wasm' and 'cpu' backends (Node, tfjs-core 4.22).
 *   W1: [784,30,10] sigmoid/sigmoid, quadratic cost (mean over the batch of ½‖a−y‖²), SGD, batch 10, η = 3
 *   W2: [784,800,10] ReLU/linear, softmax cross-entropy (mean over the batch), SGD, batch 128, η = 0.1
 *   W3: images [28,28,1] (NHWC): conv 5x5x20 valid + ReLU → maxPool 2 → conv 5x5x40 valid + ReLU →
 *       maxPool 2 → dense 100 ReLU → dense 10, softmax cross-entropy, SGD with momentum
 *       (η = 0.05, μ = 0.9, tf.train.momentum), batch 64
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (tensorflow/tfjs#8474: training any
 * conv2d on 'wasm' throws "Kernel 'Conv2DBackpropFilter' not registered"). On a backend without it,
 * W3's convolutions carry their own gradient (tf.customGrad, see conv2dValid): the input gradient
 * by tf.conv2dTranspose and the filter gradient as one tf.conv2d over transposed tensors, both
 * wasm kernels, which is what a TF.js user training a conv net on wasm has to write.
 *
 * Written the way a TF.js user would for speed: tf.variable weights (seeded Glorot-uniform), the
 * batches as tensors created once (see makeBatches), int labels one-hot per step, each step inside
 * tf.tidy, the update by `tf.train.sgd(lr).minimize()` (default; `update: 'variableGrads'` does
 * tf.variableGrads plus assign instead: no faster within noise on W1/wasm, so the idiomatic one
 * stays), and the loss read back only every SYNC_EVERY steps and after the last step, so every
 * timed run ends with all its work done. Then seconds are scaled from the slice to 50,000 images.
 *
 * Run: npx tsx bench/peers/tfjs.ts [wasm|cpu] [W1|W2|W3]   (default: both backends, all workloads)
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Registers the 'wasm' backend; in Node it finds its .wasm files next to its own dist/ bundle, so
// no setWasmPaths is needed. Single-threaded (no threaded build in Node), with SIMD.
import '@tensorflow/tfjs-backend-wasm';
import { loadMnist, type Dataset } from '../../src/nn/node/index.ts';

// tfjs-core's bundles carry no gradient functions (the @tensorflow/tfjs umbrella, not installed,
// imports them). Its per-file dist is ESM with extensionless imports, which Node's ESM loader
// rejects; required through CommonJS, tsx transpiles it. It shares the global engine and gradient
// registry with the bundle above, so tf.variableGrads / optimizer.minimize work. Needs tsx.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');

export type Backend = 'wasm' | 'cpu';
export type WorkloadName = 'W1' | 'W2' | 'W3';
export type Update = 'minimize' | 'variableGrads';

export interface TfjsOptions {
  backend: Backend;
  workload: WorkloadName;
  /** Timed runs (default 3). */
  runs?: number;
  /** How the step updates the weights (default 'minimize'). */
  update?: Update;
  /** Images per timed run (default: see IMAGES); the time is scaled to 50,000. */
  images?: number;
}

export interface TfjsResult {
  backend: string;
  workload: string;
  secondsPerEpoch: { median: number; min: number; max: number };
  runs: number[];
  notes: string;
}

const WORKLOADS = {
  W1: { hidden: 30, activation: 'sigmoid', batchSize: 10, lr: 3, momentum: 0, warmupSteps: 100 },
  W2: { hidden: 800, activation: 'relu', batchSize: 128, lr: 0.1, momentum: 0, warmupSteps: 10 },
  W3: { hidden: 100, activation: 'relu', batchSize: 64, lr: 0.05, momentum: 0.9, warmupSteps: 3 },
} as const;

/**
 * Images per timed run: the cpu backend is far slower, so it gets a smaller slice (W3 on cpu: 2
 * steps of 64 per run, as each takes about 30 s here; bench/training.ts leaves it out).
 */
const IMAGES: Record<Backend, Record<WorkloadName, number>> = {
  wasm: { W1: 5000, W2: 6400, W3: 1920 },
  cpu: { W1: 2000, W2: 1280, W3: 128 },
};

const EPOCH = 50_000;
/** Read the loss back every this many steps (wasm and cpu run kernels eagerly, so this is cheap). */
const SYNC_EVERY = 100;

let mnist: Dataset | undefined;
const trainSet = (): Dataset => (mnist ??= loadMnist().train);

interface Net {
  vars: tf.Variable[];
  /** Mean loss of the batch (xb: n x 784, or n x 28 x 28 x 1 for W3; yb: one-hot n x 10). Call inside a tidy. */
  loss(xb: tf.Tensor, yb: tf.Tensor2D): tf.Scalar;
  dispose(): void;
}

/** Seeded Glorot-uniform values (fans as Keras: a conv filter [kh, kw, in, out] has fans kh·kw·in and kh·kw·out), as a variable. */
function glorot<R extends tf.Rank>(shape: tf.ShapeMap[R], seed: number): tf.Variable<R> {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const limit = Math.sqrt(6 / (receptive * (shape[shape.length - 2] + shape[shape.length - 1])));
  // In a tidy so the initial value is freed (the variable keeps its own reference).
  return tf.tidy(() => tf.variable(tf.randomUniform<R>(shape, -limit, limit, 'float32', seed)));
}

const zeros = (n: number): tf.Variable<tf.Rank.R1> => tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([n])));

function makeNet(workload: WorkloadName, seed: number): Net {
  if (workload === 'W3') return makeConvNet(seed);
  const { hidden, activation } = WORKLOADS[workload];
  const w1 = glorot<tf.Rank.R2>([784, hidden], seed);
  const b1 = zeros(hidden);
  const w2 = glorot<tf.Rank.R2>([hidden, 10], seed + 1);
  const b2 = zeros(10);
  const vars: tf.Variable[] = [w1, b1, w2, b2];
  const loss =
    activation === 'sigmoid'
      ? (xb: tf.Tensor, yb: tf.Tensor2D): tf.Scalar => {
          const a = tf.sigmoid(tf.add(tf.matMul(tf.sigmoid(tf.add(tf.matMul(xb as tf.Tensor2D, w1), b1)), w2), b2));
          // mean over the batch of ½‖a − y‖², as one sum scaled by 1 / (2n): fewer kernels.
          return tf.mul(tf.sum(tf.squaredDifference(a, yb)), 0.5 / xb.shape[0]);
        }
      : (xb: tf.Tensor, yb: tf.Tensor2D): tf.Scalar => {
          const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xb as tf.Tensor2D, w1), b1)), w2), b2);
          // Default reduction SUM_BY_NONZERO_WEIGHTS = mean over the batch; has its own fused gradient.
          return tf.losses.softmaxCrossEntropy(yb, logits);
        };
  return { vars, loss, dispose: () => tf.dispose(vars) };
}

/** W3: conv 5x5x20 → maxPool 2 → conv 5x5x40 → maxPool 2 → dense 100 → dense 10, NHWC. */
function makeConvNet(seed: number): Net {
  const k1 = glorot<tf.Rank.R4>([5, 5, 1, 20], seed);
  const c1 = zeros(20);
  const k2 = glorot<tf.Rank.R4>([5, 5, 20, 40], seed + 1);
  const c2 = zeros(40);
  const w3 = glorot<tf.Rank.R2>([4 * 4 * 40, 100], seed + 2);
  const b3 = zeros(100);
  const w4 = glorot<tf.Rank.R2>([100, 10], seed + 3);
  const b4 = zeros(10);
  const vars: tf.Variable[] = [k1, c1, k2, c2, w3, b3, w4, b4];
  const builtIn = tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
  // The first layer's input is the data: like TF.js's own gradient, skip its input gradient.
  const [conv1, conv2] = builtIn ? [tf.conv2d, tf.conv2d] : [conv2dValidOfData, conv2dValid];
  const loss = (xb: tf.Tensor, yb: tf.Tensor2D): tf.Scalar => {
    const pool = (x: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D => tf.maxPool(tf.relu(tf.add(x, bias)) as tf.Tensor4D, 2, 2, 'valid');
    const h = pool(conv2(pool(conv1(xb as tf.Tensor4D, k1, 1, 'valid'), c1), k2, 1, 'valid'), c2);
    const flat = tf.reshape(h, [xb.shape[0], 4 * 4 * 40]) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, w3), b3)), w4), b4);
    return tf.losses.softmaxCrossEntropy(yb, logits);
  };
  return { vars, loss, dispose: () => tf.dispose(vars) };
}

type Conv = (x: tf.Tensor4D, f: tf.Tensor4D, strides: 1, pad: 'valid') => tf.Tensor4D;

/**
 * tf.conv2d(x, f, 1, 'valid') with its gradients written out, for backends without a
 * Conv2DBackpropFilter kernel (wasm). dx is the transposed convolution of dy (tf.conv2dTranspose:
 * the Conv2DBackpropInput kernel TF.js's own gradient uses), or zeros if `inputGradient` is false
 * (x is data: no gradient flows to it, and TF.js's own gradient would not compute one); df[a, b,
 * i, o] = Σ x[n, r + a, c + b, i]·dy[n, r, c, o] is a convolution of x taken as [in, h, w, batch]
 * images with dy taken as a [oh, ow, batch, out] filter, giving [in, kh, kw, out].
 */
function conv2dWithGradients(inputGradient: boolean): Conv {
  const conv = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, f, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x, f]);
    return {
      value: tf.conv2d(x, f, 1, 'valid'),
      gradFunc: (dy: tf.Tensor, [xs, fs]: tf.Tensor[]) => {
        const dx = inputGradient ? tf.conv2dTranspose(dy as tf.Tensor4D, fs as tf.Tensor4D, xs.shape as [number, number, number, number], 1, 'valid') : tf.zerosLike(xs);
        const df = tf.transpose(tf.conv2d(tf.transpose(xs, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid'), [1, 2, 0, 3]);
        return [dx, df];
      },
    };
  });
  return (x, f) => conv(x, f) as tf.Tensor4D; // strides 1, 'valid' only
}
export const conv2dValid = conv2dWithGradients(true);
const conv2dValidOfData = conv2dWithGradients(false);

type Step = (xb: tf.Tensor, yb: tf.Tensor2D, wantLoss: boolean) => tf.Scalar | undefined;

/** Builds the training step: returns the batch loss if asked, else nothing (the cost is disposed). */
function makeStep(net: Net, workload: WorkloadName, update: Update): { step: Step; dispose(): void } {
  const { lr, momentum } = WORKLOADS[workload];
  if (update === 'minimize') {
    const optimizer = momentum > 0 ? tf.train.momentum(lr, momentum) : tf.train.sgd(lr);
    return {
      step: (xb, yb, wantLoss) => optimizer.minimize(() => net.loss(xb, yb), wantLoss) ?? undefined,
      dispose: () => {
        optimizer.dispose();
        // MomentumOptimizer.dispose (4.22) does not call SGD's, which frees the −η scalar it keeps.
        if (momentum > 0) (optimizer as unknown as { c: tf.Tensor }).c.dispose();
      },
    };
  }
  if (momentum > 0) throw new Error(`update 'variableGrads' is plain SGD; ${workload} uses momentum`);
  return {
    step: (xb, yb, wantLoss) => {
      const { value, grads } = tf.variableGrads(() => net.loss(xb, yb), net.vars);
      for (const v of net.vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
      return wantLoss ? value : undefined; // inside the caller's tidy, so the rest is freed there
    },
    dispose: () => {},
  };
}

/** n x 10 float one-hot rows. Not oneHot(…, 'float32'): the wasm OneHot kernel ignores the dtype and yields zeros. */
const oneHotFloat = (labels: tf.Tensor1D): tf.Tensor2D => tf.cast(tf.oneHot(labels, 10) as tf.Tensor2D, 'float32');

interface Batch {
  /** n x 784, or n x 28 x 28 x 1 images for W3. */
  x: tf.Tensor;
  labels: tf.Tensor1D;
}

/**
 * The first n training images as batches, each its own tensor, created once. Not tf.slice of one
 * big tensor per step: the wasm Slice kernel copies its whole input out of the heap on every call,
 * so a step would cost O(dataset) (several times the W1 step at 5,000 images, worse at 50,000).
 */
function makeBatches(ds: Dataset, n: number, batchSize: number, images = false): Batch[] {
  if (n > ds.count) throw new Error(`asked for ${n} images, the training set has ${ds.count}`);
  const out: Batch[] = [];
  for (let start = 0; start + batchSize <= n; start += batchSize) {
    out.push({
      x: tf.tensor(ds.x.subarray(start * ds.features, (start + batchSize) * ds.features), images ? [batchSize, 28, 28, 1] : [batchSize, ds.features]),
      labels: tf.tensor1d(ds.y.subarray(start, start + batchSize), 'int32'),
    });
  }
  return out;
}

/** One pass over the batches in order; resolves with the last loss read back. */
async function trainPass(step: Step, batches: Batch[]): Promise<number> {
  let last = NaN;
  for (let s = 0; s < batches.length; s++) {
    const wantLoss = (s + 1) % SYNC_EVERY === 0 || s === batches.length - 1;
    // One-hot per step, as deltagraph one-hots the int labels inside its graph.
    const loss = tf.tidy(() => step(batches[s].x, oneHotFloat(batches[s].labels), wantLoss));
    if (loss) {
      last = (await loss.data())[0];
      loss.dispose();
    }
  }
  return last;
}

async function useBackend(backend: Backend): Promise<void> {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' failed to initialise`);
  await tf.ready();
}

const version = (): string => tf.version_core.split('.').slice(0, 2).join('.');

export async function measureTfjs(options: TfjsOptions): Promise<TfjsResult> {
  const { backend, workload, runs = 3, update = 'minimize' } = options;
  const images = options.images ?? IMAGES[backend][workload];
  const { batchSize, warmupSteps } = WORKLOADS[workload];
  await useBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const net = makeNet(workload, 1);
  const { step, dispose } = makeStep(net, workload, update);
  const batches = makeBatches(trainSet(), images, batchSize, workload === 'W3');
  const steps = batches.length;

  // Warm up (kernel setup, JIT); W1's steps are tiny, so it gets more of them.
  await trainPass(step, batches.slice(0, warmupSteps));
  const seconds: number[] = [];
  let loss = NaN;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    loss = await trainPass(step, batches);
    seconds.push(((performance.now() - started) / 1000) * (EPOCH / (steps * batchSize)));
  }
  dispose();
  net.dispose();
  tf.dispose(batches.flatMap((b) => [b.x, b.labels]));
  const leaked = tf.memory().numTensors - tensorsBefore;

  const sorted = [...seconds].sort((a, b) => a - b);
  const simd = backend === 'wasm' ? `, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'on' : 'off'}` : '';
  return {
    backend,
    workload,
    secondsPerEpoch: { median: (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2, min: sorted[0], max: sorted[sorted.length - 1] },
    runs: seconds,
    notes:
      `TF.js ${tf.version_core} ${backend}${simd}; update ${update}${workload === 'W3' && !tf.getKernel('Conv2DBackpropFilter', backend) ? ' (conv filter gradient written with tf.customGrad: no Conv2DBackpropFilter kernel on this backend)' : ''}; ${steps * batchSize} images (${steps} steps of ${batchSize}) per run ` +
      `after ${Math.min(warmupSteps, steps)} warm-up steps, scaled to ${EPOCH}; last batch loss ${loss.toFixed(4)}` +
      (leaked !== 0 ? `; WARNING ${leaked} tensors leaked` : ''),
  };
}

/**
 * Correctness check: W1 from a fresh init, loss (mean ½‖a−y‖²) on `evalImages` held-out training
 * images before and after one epoch over the first `images` training images. The loss must fall.
 */
export async function checkTfjsLearns(backend: Backend, images = 5000, evalImages = 1000): Promise<{ before: number; after: number }> {
  await useBackend(backend);
  const { batchSize } = WORKLOADS.W1;
  const ds = trainSet();
  const net = makeNet('W1', 2);
  const { step, dispose } = makeStep(net, 'W1', 'minimize');
  const batches = makeBatches(ds, images, batchSize);
  // Held-out images: the last evalImages of the 50,000, not seen in training.
  const evalX = tf.tensor2d(ds.x.subarray((ds.count - evalImages) * ds.features, ds.count * ds.features), [evalImages, ds.features]);
  const evalY = tf.tidy(() => oneHotFloat(tf.tensor1d(ds.y.subarray(ds.count - evalImages), 'int32')));
  const evalLoss = async (): Promise<number> => {
    const loss = tf.tidy(() => net.loss(evalX, evalY));
    const value = (await loss.data())[0];
    loss.dispose();
    return value;
  };
  const before = await evalLoss();
  await trainPass(step, batches);
  const after = await evalLoss();
  dispose();
  net.dispose();
  tf.dispose([...batches.flatMap((b) => [b.x, b.labels]), evalX, evalY]);
  return { before, after };
}

/**
 * Correctness check of conv2dValid: its input and filter gradients against the cpu backend's own
 * kernels (Conv2DBackpropInput/Filter) on random data; the largest difference relative to the
 * largest gradient value.
 */
export async function checkConv2dValid(): Promise<number> {
  await useBackend('cpu');
  return tf.tidy(() => {
    const x = tf.randomNormal<tf.Rank.R4>([3, 9, 7, 2], 0, 1, 'float32', 1);
    const f = tf.randomNormal<tf.Rank.R4>([3, 2, 2, 4], 0, 1, 'float32', 2);
    const w = tf.randomNormal([3, 7, 6, 4], 0, 1, 'float32', 3);
    const grads = (conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D) => tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv(x as tf.Tensor4D, f as tf.Tensor4D), w)))([x, f]);
    const ours = grads((x, f) => conv2dValid(x, f, 1, 'valid'));
    const theirs = grads((x, f) => tf.conv2d(x, f, 1, 'valid'));
    return Math.max(...ours.map((g, i) => tf.max(tf.abs(tf.sub(g, theirs[i]))).dataSync()[0] / tf.max(tf.abs(theirs[i])).dataSync()[0]));
  });
}

// Run directly: print one line per measurement, then the learning check per backend.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const backends = (['wasm', 'cpu'] as const).filter((b) => !args.some((a) => a === 'wasm' || a === 'cpu') || args.includes(b));
  const workloads = (['W1', 'W2', 'W3'] as const).filter((w) => !args.some((a) => /^W[123]$/.test(a)) || args.includes(w));
  const f = (n: number): string => n.toFixed(2);
  try {
    for (const backend of backends) {
      for (const workload of workloads) {
        const r = await measureTfjs({ backend, workload });
        console.log(`TF.js ${version()} ${backend} ${workload}: ${f(r.secondsPerEpoch.median)} s per epoch (min ${f(r.secondsPerEpoch.min)}, max ${f(r.secondsPerEpoch.max)}, ${r.runs.length} runs)`);
        console.log(`  ${r.notes}`);
      }
    }
    if (workloads.includes('W3')) {
      const error = await checkConv2dValid();
      console.log(`conv2d gradients by tf.customGrad (used on wasm) against the cpu backend's kernels: largest relative difference ${error.toExponential(1)}${error < 1e-5 ? '' : '  (TOO LARGE)'}`);
      if (!(error < 1e-5)) process.exitCode = 1;
    }
    for (const backend of backends) {
      const { before, after } = await checkTfjsLearns(backend);
      console.log(`TF.js ${version()} ${backend} W1 learning check, 1 epoch of 5,000 images: held-out loss ${before.toFixed(4)} -> ${after.toFixed(4)}${after < before ? '' : '  (DID NOT FALL)'}`);
      if (!(after < before)) process.exitCode = 1;
    }
  } catch (err) {
    // Report here: the wasm module's own uncaughtException handler would dump its minified source.
    console.error(err);
    process.exitCode = 1;
  }
}
