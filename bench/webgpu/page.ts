/**
 * The page of `npm run bench:webgpu` (bench/webgpu.ts bundles it with esbuild and serves it from
 * http://127.0.0.1, a secure context, so `navigator.gpu` exists). It trains W2 or W3 on synthetic
 * rows, in one framework at a time, and answers with milliseconds per step:
 *   deltagraph webgpu: `Device.create({ backend: 'webgpu' })`, `Model.fitAsync` (one submit per step,
 *     the losses read back every 16 steps and at the end of each timed epoch);
 *   deltagraph wasm: the same Model on a wasm device, `fit` (one thread: the page is not isolated);
 *   TF.js 4.22 webgpu: tf.variable weights, an optimizer, `optimizer.minimize` per step, the loss
 *     read only after the last step of a timed run (`await data()`: `dataSync` read 0 on SwiftShader,
 *     without waiting for the steps, through its canvas path);
 *   jax-js 0.1.25 webgpu: the whole step (loss, gradient, update) under one `jit`, the loss read at
 *     the end of a timed run.
 * A timed run is `steps` steps after `warmup` steps; `rounds` runs give the median. Every framework
 * sees the same rows and labels (a seeded generator) and the same shapes.
 */
import { Device } from '../../src/index.ts';
import '../../src/webgpu.ts';
import type { Dataset, Model } from '../../src/nn/index.ts';
import { buildW2, buildW3 } from '../workloads.ts';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import { defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';

export type WorkloadId = 'W2' | 'W3';
export type Framework = 'deltagraph-webgpu' | 'deltagraph-wasm' | 'tfjs-webgpu' | 'jax-webgpu';

export interface RunConfig {
  workload: WorkloadId;
  framework: Framework;
  warmup: number;
  steps: number;
  rounds: number;
}

export interface RunResult {
  msPerStep: number[];
  /** The last timed step's loss (a check that it trained, not a comparison). */
  loss: number;
  /** deltagraph only: what a step did (program.stats). */
  stats?: { steps: number; fused: number; gpu?: unknown; backends?: unknown };
  note: string;
}

const SPEC = {
  W2: { batch: 128, features: 784, lr: 0.1, momentum: 0 },
  W3: { batch: 64, features: 784, lr: 0.05, momentum: 0.9 },
} as const;

/** Rows of "images" (20% of pixels lit) and labels from a seeded generator: the same for every framework. */
function synthetic(count: number): { x: Float32Array; y: Int32Array } {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = Float32Array.from({ length: count * 784 }, () => (next() < 0.2 ? next() : 0));
  const y = Int32Array.from({ length: count }, () => Math.floor(next() * 10));
  return { x, y };
}

const log = (message: string) => console.log(`[page] ${message}`);

// ---------------------------------------------------------------------------------------------
// deltagraph

async function deltagraph(cfg: RunConfig): Promise<RunResult> {
  const { batch } = SPEC[cfg.workload];
  const gpu = cfg.framework === 'deltagraph-webgpu';
  const device = gpu ? await Device.create({ backend: 'webgpu' }) : new Device({ backend: 'wasm' });
  const model = (cfg.workload === 'W2' ? buildW2 : buildW3)({ device });
  const dataset = (n: number): Dataset => ({ ...synthetic(n), count: n, features: 784, classes: 10 });
  const train = (data: Dataset, epochs: number) => (gpu ? model.fitAsync(data, { epochs, batchSize: batch, readEvery: 16, shuffle: false }) : Promise.resolve(model.fit(data, { epochs, batchSize: batch, shuffle: false })));
  try {
    // Warm-up: plans, pipelines (compiled by the first submit), JIT. A fit of `warmup` steps.
    if (cfg.warmup > 0) await train(dataset(cfg.warmup * batch), 1);
    // Timed: `rounds` epochs of `steps` steps each; fit's own clock per epoch (the steps, the reads).
    const history = await train(dataset(cfg.steps * batch), cfg.rounds);
    const program = model.trainingStep(cfg.steps * batch);
    const { steps, fused, gpu: gpuStats, backends } = program.stats as { steps: number; fused: number; gpu?: unknown; backends?: unknown };
    return {
      msPerStep: history.epochs.map((e) => e.msPerStep),
      loss: history.epochs[history.epochs.length - 1].loss,
      stats: { steps, fused, gpu: gpuStats, backends },
      note: gpu ? `${device.backendNote ?? 'webgpu'}` : `wasm, ${device.threads ? 'helper thread' : 'one thread'}`,
    };
  } finally {
    model.dispose();
  }
}

/**
 * Diagnostic: each dispatch of a deltagraph GPU step timed alone (its own pass and submit, then
 * onSubmittedWorkDone), `repeats` times, grouped by kernel. Reaches into the program's private plan
 * (bench code, not API). The dispatches run on the live weights, so training state drifts: a profile,
 * not a training run.
 */
async function profile(workload: WorkloadId, repeats: number): Promise<{ total: number; stepMs: number; kernels: { label: string; op: string; dispatches: number; ms: number; workgroups: string }[] }> {
  const { batch } = SPEC[workload];
  const device = await Device.create({ backend: 'webgpu' });
  const model = (workload === 'W2' ? buildW2 : buildW3)({ device });
  try {
    // The training step's plan for a batch, its inputs left as bound (zeros: no kernel's work changes).
    const program = model.trainingStep(batch);
    const run = program.prepare({ [model.input.name!]: [batch, model.features], [model.labels.name!]: [batch], [model.learningRate.name!]: [] });
    run.submit(); // one whole step (zeros in, class 0): compiles the pipelines and makes the bind group
    await (device.gpu as unknown as { device: GPUDevice }).device.queue.onSubmittedWorkDone();
    const plans = (program as unknown as { plans: Map<string, { gpu: GpuStepsInside | null }> }).plans;
    const steps = [...plans.values()].map((p) => p.gpu).find((g) => g);
    if (!steps) throw new Error('profile: no GPU plan found (the private layout of Program/Plan changed)');
    const gpuDevice: GPUDevice = steps.context.device;
    const queue = gpuDevice.queue;
    const timeOne = async (i: number) => {
      const encoder = gpuDevice.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, steps.bindGroup);
      pass.setPipeline(steps.pipelines[i]);
      const [x, y, z] = steps.groups[i];
      pass.dispatchWorkgroups(x, y, z);
      pass.end();
      const t0 = performance.now();
      queue.submit([encoder.finish()]);
      await queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    // A whole step the same way (one submit of every dispatch), for the sum's reference.
    const timeStep = async () => {
      const encoder = gpuDevice.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, steps.bindGroup);
      steps.pipelines.forEach((p, i) => {
        pass.setPipeline(p);
        pass.dispatchWorkgroups(...steps.groups[i]);
      });
      pass.end();
      const t0 = performance.now();
      queue.submit([encoder.finish()]);
      await queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await queue.onSubmittedWorkDone();
    const stepTimes: number[] = [];
    const per: number[][] = steps.pipelines.map(() => []);
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < steps.pipelines.length; i++) {
        if (r === 0) log(`profile ${workload}: dispatch ${i + 1}/${steps.pipelines.length} [${steps.groups[i].join('x')}] ${steps.kernels[steps.owners[i]].label.replace(/, built at .*\)$/, ')')} ...`);
        per[i].push(await timeOne(i));
        if (r === 0) log(`  ${per[i][0].toFixed(1)} ms`);
      }
      stepTimes.push(await timeStep());
    }
    const byKernel = new Map<string, { label: string; op: string; dispatches: number; ms: number; workgroups: string }>();
    per.forEach((times, i) => {
      const label = steps.kernels[steps.owners[i]].label;
      const entry = byKernel.get(label) ?? { label, op: label.split(' ')[0], dispatches: 0, ms: 0, workgroups: '' };
      entry.dispatches++;
      entry.ms += median(times);
      entry.workgroups += `${entry.workgroups ? ' + ' : ''}${steps.groups[i].join('x')}`;
      byKernel.set(label, entry);
    });
    const kernels = [...byKernel.values()].sort((a, b) => b.ms - a.ms);
    return { total: kernels.reduce((s, k) => s + k.ms, 0), stepMs: median(stepTimes), kernels };
  } finally {
    model.dispose();
  }
}

/**
 * Diagnostic: compiles the pipelines of a deltagraph GPU training step one at a time
 * (createComputePipelineAsync, timed), to find a shader that the GPU process takes long over or
 * dies on. The plan is bound with createComputePipeline recording the WGSL instead of compiling it.
 */
async function shaders(workload: WorkloadId, limit = 1e9): Promise<{ label: string; chars: number; ms: number }[]> {
  const { batch } = SPEC[workload];
  const device = await Device.create({ backend: 'webgpu' });
  const model = (workload === 'W2' ? buildW2 : buildW3)({ device });
  const proto = GPUDevice.prototype as unknown as Record<string, unknown>;
  const original = { pipeline: proto.createComputePipeline, module: proto.createShaderModule };
  const recorded: { label: string; code: string }[] = [];
  proto.createShaderModule = function (this: GPUDevice, d: GPUShaderModuleDescriptor) {
    recorded.push({ label: d.label ?? '', code: d.code });
    return { getCompilationInfo: async () => ({ messages: [] }) } as unknown as GPUShaderModule;
  };
  proto.createComputePipeline = () => ({}) as GPUComputePipeline;
  try {
    const program = model.trainingStep(batch);
    program.prepare({ [model.input.name!]: [batch, model.features], [model.labels.name!]: [batch], [model.learningRate.name!]: [] });
  } finally {
    proto.createComputePipeline = original.pipeline;
    proto.createShaderModule = original.module;
  }
  if (limit === 0) {
    model.dispose();
    return recorded.map(({ label, code }) => ({ label, chars: code.length, ms: 0, code }));
  }
  const gpu = (device.gpu as unknown as { device: GPUDevice }).device;
  const out: { label: string; chars: number; ms: number }[] = [];
  for (const { label, code } of recorded.slice(0, limit)) {
    const short = label.replace(/, built at .*\)$/, ')');
    log(`compile ${short} (${code.length} chars) ...`);
    const t0 = performance.now();
    const module = gpu.createShaderModule({ code, label });
    await gpu.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } }).catch((e) => log(`  failed: ${(e as Error).message.slice(0, 200)}`));
    const ms = performance.now() - t0;
    log(`  ${ms.toFixed(0)} ms`);
    out.push({ label: short, chars: code.length, ms });
  }
  model.dispose();
  return out;
}

/** The private fields of runtime/gpu-steps.ts's GpuSteps that the profile reads. */
interface GpuStepsInside {
  context: { device: GPUDevice };
  bindGroup: GPUBindGroup;
  pipelines: GPUComputePipeline[];
  groups: [number, number, number][];
  owners: number[];
  kernels: { label: string }[];
}

// ---------------------------------------------------------------------------------------------
// TF.js 4.22 webgpu

let tfReady: Promise<boolean> | null = null;

async function tfjs(cfg: RunConfig): Promise<RunResult> {
  tfReady ??= tf.setBackend('webgpu');
  if (!(await tfReady)) throw new Error('TF.js: the webgpu backend did not initialise');
  await tf.ready();
  const spec = SPEC[cfg.workload];
  const B = spec.batch;
  const glorot = (shape: number[], seed: number) => {
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const limit = Math.sqrt(6 / (receptive * (shape[shape.length - 2] + shape[shape.length - 1])));
    return tf.tidy(() => tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', seed)));
  };
  const zeros = (n: number) => tf.tidy(() => tf.variable(tf.zeros([n])));
  let vars: tf.Variable[];
  let logits: (xb: tf.Tensor) => tf.Tensor2D;
  if (cfg.workload === 'W2') {
    const [w1, b1, w2, b2] = [glorot([784, 800], 1), zeros(800), glorot([800, 10], 2), zeros(10)];
    vars = [w1, b1, w2, b2];
    logits = (xb) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(xb as tf.Tensor2D, w1), b1)), w2), b2) as tf.Tensor2D;
  } else {
    const [k1, c1, k2, c2] = [glorot([5, 5, 1, 20], 1), zeros(20), glorot([5, 5, 20, 40], 2), zeros(40)];
    const [w3, b3, w4, b4] = [glorot([640, 100], 3), zeros(100), glorot([100, 10], 4), zeros(10)];
    vars = [k1, c1, k2, c2, w3, b3, w4, b4];
    logits = (xb) => {
      let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(xb as tf.Tensor4D, k1 as tf.Tensor4D, 1, 'valid'), c1)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, k2 as tf.Tensor4D, 1, 'valid'), c2)) as tf.Tensor4D, 2, 2, 'valid');
      const d = tf.relu(tf.add(tf.matMul(tf.reshape(h, [B, 640]) as tf.Tensor2D, w3), b3)) as tf.Tensor2D;
      return tf.add(tf.matMul(d, w4), b4) as tf.Tensor2D;
    };
  }
  const optimizer = cfg.workload === 'W2' ? tf.train.sgd(spec.lr) : tf.train.momentum(spec.lr, spec.momentum);
  // The batches as tensors made once (the rows of a fit's batches); labels one-hot per step.
  const batches = (count: number) => {
    const { x, y } = synthetic(count * B);
    return Array.from({ length: count }, (_, s) => ({
      x: tf.tensor(x.subarray(s * B * 784, (s + 1) * B * 784), cfg.workload === 'W2' ? [B, 784] : [B, 28, 28, 1]),
      y: tf.tensor1d(y.subarray(s * B, (s + 1) * B), 'int32'),
    }));
  };
  const step = (b: { x: tf.Tensor; y: tf.Tensor1D }) =>
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(b.y, 10), logits(b.x)) as tf.Scalar, true)!;
  const run = async (data: ReturnType<typeof batches>) => {
    let cost: tf.Scalar | null = null;
    for (const b of data) {
      cost?.dispose();
      cost = step(b);
    }
    const value = (await cost!.data())[0]; // the only read: waits for every step's work
    cost!.dispose();
    return value;
  };
  const warm = batches(cfg.warmup);
  const timed = batches(cfg.steps);
  try {
    if (cfg.warmup > 0) await run(warm);
    const ms: number[] = [];
    let loss = NaN;
    for (let r = 0; r < cfg.rounds; r++) {
      const t0 = performance.now();
      loss = await run(timed);
      ms.push((performance.now() - t0) / cfg.steps);
    }
    return { msPerStep: ms, loss, note: `TF.js ${tf.version_core} ${tf.getBackend()}` };
  } finally {
    for (const b of [...warm, ...timed]) tf.dispose([b.x, b.y]);
    tf.dispose(vars);
    optimizer.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// jax-js 0.1.25 webgpu

let jaxReady: Promise<string[]> | null = null;

type Params = Record<string, np.Array>;

async function jax(cfg: RunConfig): Promise<RunResult> {
  jaxReady ??= init('webgpu');
  if (!(await jaxReady).includes('webgpu')) throw new Error('jax-js: no webgpu device');
  defaultDevice('webgpu');
  const spec = SPEC[cfg.workload];
  const B = spec.batch;
  let seed = 7;
  const uniform = (shape: number[]) => {
    const receptive = shape.length === 4 ? shape[2] * shape[3] : 1; // OIHW
    const [fanIn, fanOut] = shape.length === 4 ? [shape[1] * receptive, shape[0] * receptive] : [shape[0], shape[1]];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 * limit - limit);
    return np.array(values).reshape(shape);
  };
  let params: Params;
  let forward: (p: Params, x: np.Array) => np.Array;
  if (cfg.workload === 'W2') {
    params = { w1: uniform([784, 800]), b1: np.zeros([800]), w2: uniform([800, 10]), b2: np.zeros([10]) };
    forward = (p, x) => np.matmul(nn.relu(np.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2);
  } else {
    // NCHW images, OIHW filters (jax's conv layout); max pool 2 as a reshape and a max.
    params = {
      k1: uniform([20, 1, 5, 5]), c1: np.zeros([1, 20, 1, 1]), k2: uniform([40, 20, 5, 5]), c2: np.zeros([1, 40, 1, 1]),
      w3: uniform([640, 100]), b3: np.zeros([100]), w4: uniform([100, 10]), b4: np.zeros([10]),
    };
    const pool = (h: np.Array, c: number, size: number) => np.max(h.reshape([B, c, size / 2, 2, size / 2, 2]), [3, 5]);
    forward = (p, x) => {
      let h = pool(nn.relu(lax.conv(x, p.k1, [1, 1], 'VALID').add(p.c1)), 20, 24);
      h = pool(nn.relu(lax.conv(h, p.k2, [1, 1], 'VALID').add(p.c2)), 40, 8);
      const d = nn.relu(np.matmul(h.reshape([B, 640]), p.w3).add(p.b3));
      return np.matmul(d, p.w4).add(p.b4);
    };
  }
  const lossOf = (p: Params, x: np.Array, y: np.Array) => nn.logSoftmax(forward(p, x)).mul(y).sum().mul(-1 / B);
  let velocity: Params | null = cfg.workload === 'W3' ? tree.map((w: np.Array) => np.zeros(w.shape), params) : null;
  // The whole training step, update included, as one jitted function (params in, params out).
  const sgdStep = jit((p: Params, x: np.Array, y: np.Array) => {
    const [loss, g] = valueAndGrad(lossOf)(tree.ref(p), x, y);
    return [loss, tree.map((w: np.Array, d: np.Array) => w.sub(d.mul(spec.lr)), p, g)] as [np.Array, Params];
  });
  const momentumStep = jit((p: Params, v: Params, x: np.Array, y: np.Array) => {
    const [loss, g] = valueAndGrad(lossOf)(tree.ref(p), x, y);
    const v2 = tree.map((vi: np.Array, d: np.Array) => vi.mul(spec.momentum).add(d), v, g);
    const p2 = tree.map((w: np.Array, vi: np.Array) => w.sub(vi.mul(spec.lr)), p, tree.ref(v2));
    return [loss, p2, v2] as [np.Array, Params, Params];
  });
  const batches = (count: number) => {
    const { x, y } = synthetic(count * B);
    return Array.from({ length: count }, (_, s) => {
      const oneHot = new Float32Array(B * 10);
      for (let b = 0; b < B; b++) oneHot[b * 10 + y[s * B + b]] = 1;
      const rows = np.array(x.slice(s * B * 784, (s + 1) * B * 784));
      return { x: rows.reshape(cfg.workload === 'W2' ? [B, 784] : [B, 1, 28, 28]), y: np.array(oneHot).reshape([B, 10]) };
    });
  };
  const run = async (data: ReturnType<typeof batches>) => {
    let loss: np.Array | null = null;
    for (const b of data) {
      loss?.dispose();
      if (velocity) [loss, params, velocity] = momentumStep(params, velocity, b.x.ref, b.y.ref);
      else [loss, params] = sgdStep(params, b.x.ref, b.y.ref);
    }
    const value = (await loss!.data())[0]; // the only read: after the last step
    return value;
  };
  const warm = batches(cfg.warmup);
  const timed = batches(cfg.steps);
  try {
    if (cfg.warmup > 0) await run(warm);
    const ms: number[] = [];
    let loss = NaN;
    for (let r = 0; r < cfg.rounds; r++) {
      const t0 = performance.now();
      loss = await run(timed);
      ms.push((performance.now() - t0) / cfg.steps);
    }
    return { msPerStep: ms, loss, note: 'jax-js 0.1.25 webgpu, jit(step)' };
  } finally {
    for (const b of [...warm, ...timed]) {
      b.x.dispose();
      b.y.dispose();
    }
    tree.dispose(params);
    if (velocity) tree.dispose(velocity);
    sgdStep.dispose();
    momentumStep.dispose();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function adapterInfo(): Promise<unknown> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info;
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
}

const api = {
  adapterInfo,
  /**
   * Starts jax-js's and TF.js's WebGPU backends before anything else runs: jax-js's init('webgpu')
   * found no device once deltagraph's devices had been made and disposed in the page.
   */
  async ready(): Promise<{ jax: string[]; tfjs: boolean }> {
    jaxReady ??= init('webgpu');
    tfReady ??= tf.setBackend('webgpu');
    return { jax: await jaxReady, tfjs: await tfReady };
  },
  async run(cfg: RunConfig): Promise<RunResult> {
    log(`${cfg.workload} ${cfg.framework}: ${cfg.warmup} warm-up + ${cfg.rounds} × ${cfg.steps} steps`);
    if (cfg.framework === 'tfjs-webgpu') return tfjs(cfg);
    if (cfg.framework === 'jax-webgpu') return jax(cfg);
    return deltagraph(cfg);
  },
  profile: (workload: WorkloadId, repeats: number) => profile(workload, repeats),
  shaders: (workload: WorkloadId, limit?: number) => shaders(workload, limit),
};
(globalThis as unknown as { bench: typeof api }).bench = api;
export type PageApi = typeof api;
