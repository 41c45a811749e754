/**
 * Programs on a WebGPU device (Node, Dawn over llvmpipe): how a device is made and refused, a
 * training step as one submit that allocates and reads nothing, losses that follow the wasm
 * backend's within float32 tolerance, errors that name the node, and dispose.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compile, defineOp, Device, grad, Graph, GraphError, RunError } from '../../src/index.ts';
import { Rng } from '../../src/core/rng.ts';
import { gpuDevice, newGpuDevice } from '../backends/webgpu/gpu.ts';

describe('making a WebGPU device', () => {
  it('is async: new Device refuses webgpu and auto, naming Device.create', () => {
    expect(() => new Device({ backend: 'webgpu' })).toThrow(/await Device\.create\(\{ backend: 'webgpu' \}\)/);
    expect(() => new Device({ backend: 'auto' })).toThrow(/await Device\.create/);
    expect(() => new Device({ backend: 'cuda' as never })).toThrow(/backend must be 'wasm', 'js', 'webgpu' or 'auto', got 'cuda'/);
  });

  it('says WebGPU is missing (navigator.gpu undefined) instead of falling back; auto takes wasm and says why', async () => {
    // Node has no navigator.gpu: only the gpu option gives one.
    await expect(Device.create({ backend: 'webgpu' })).rejects.toThrow(/WebGPU is not available here: navigator(\.gpu)? is undefined.*use backend 'wasm'/);
    const auto = await Device.create({ backend: 'auto' });
    expect(auto.backend).toBe('wasm');
    expect(auto.backendNote).toMatch(/^wasm \(WebGPU is not available here/);
    await expect(Device.create({ backend: 'webgpu', gpu: {} })).rejects.toThrow(/not a GPU object/);
    await expect(Device.create({ backend: 'webgpu', dtype: 'float64' })).rejects.toThrow(/float32 only/);
  });

  it("without import 'deltagraph/webgpu' the kernels are missing, and Device.create says what to import", () => {
    const script = `import { create, globals } from 'webgpu'; Object.assign(globalThis, globals);
      import { Device } from '${new URL('../../src/index.ts', import.meta.url).pathname}';
      try { await Device.create({ backend: 'webgpu', gpu: create([]) }); console.log('made'); } catch (e) { console.log(e.message); }
      process.exit(0);`;
    const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
    const out = execFileSync(tsx, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toMatch(/WebGPU kernels are not loaded: add import 'deltagraph\/webgpu'/);
  });

  it('auto does not take an emulated adapter (llvmpipe) for a GPU', async () => {
    const device = await gpuDevice();
    expect(device.backend).toBe('webgpu');
    expect(device.gpuInfo?.fallback).toBe(true);
    const { create } = await import('webgpu');
    const auto = await Device.create({ backend: 'auto', gpu: create([]) });
    expect(auto.backend).toBe('wasm');
    expect(auto.backendNote).toMatch(/no hardware GPU adapter/);
  });
});

/** Nielsen's [784, h, 10] net and its SGD training step, on `device`. */
function mlpStep(device: Device, hidden: number, activation: 'sigmoid' | 'relu') {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 784]);
  const labels = g.input('labels', [null], 'int');
  const rate = g.input('rate', []);
  const h = g.dense(x, hidden, { activation });
  const out = g.dense(h, 10, { activation: activation === 'sigmoid' ? 'sigmoid' : 'linear' });
  const loss = activation === 'sigmoid' ? out.sub(labels.oneHot(10)).square().sum(1).mean().mul(0.5) : out.softmaxCrossEntropy(labels).mean();
  const params = g.trainableParameters;
  const grads = grad(loss, params);
  return compile(g, { outputs: [loss], updates: params.map((p, i) => [p, p.sub(grads[i].mul(rate))] as const), device });
}

/** Random "images" whose class is a few pixels' sum: learnable, small, made here. */
function data(count: number) {
  const rng = new Rng(4);
  const x = Float32Array.from({ length: count * 784 }, () => (rng.next() < 0.2 ? rng.next() : 0));
  const y = Float64Array.from({ length: count }, (_, i) => Math.floor(x.subarray(i * 784, i * 784 + 40).reduce((a, b) => a + b, 0)) % 10);
  return { x, y };
}

async function train(device: Device, hidden: number, activation: 'sigmoid' | 'relu', batch: number, steps: number, lr: number) {
  const step = mlpStep(device, hidden, activation);
  const { x, y } = data(batch * 4);
  const rows = device.uploadRows(x, 784);
  const run = step.prepare({ x: [batch, 784], labels: [batch], rate: [] });
  const order = Int32Array.from({ length: batch * 4 }, (_, i) => (i * 7) % (batch * 4));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const start = (s % 4) * batch;
    run.gather('x', rows, order, start, batch);
    const labels = run.input('labels');
    for (let b = 0; b < batch; b++) labels[b] = y[order[start + b]];
    run.input('rate')[0] = lr;
    run.submit({ keep: true });
  }
  for (const [loss] of await run.readKept()) losses.push(loss[0]);
  return { losses, step };
}

describe('a training step on WebGPU', { timeout: 120_000 }, () => {
  it.each([
    ['W1: [784,30,10] sigmoid, quadratic, batch 10', 30, 'sigmoid', 10, 3],
    ['W2: [784,800,10] ReLU, softmax cross-entropy, batch 128', 800, 'relu', 128, 0.1],
  ] as const)('%s: 50 steps, losses within float32 tolerance of the wasm backend', async (_, hidden, activation, batch, lr) => {
    const gpu = await train(await newGpuDevice(), hidden, activation, batch, 50, lr);
    const wasm = await train(new Device(), hidden, activation, batch, 50, lr);
    expect(gpu.losses).toHaveLength(50);
    const worst = Math.max(...gpu.losses.map((l, i) => Math.abs(l - wasm.losses[i]) / Math.max(Math.abs(wasm.losses[i]), 1e-3)));
    expect(worst).toBeLessThan(5e-3);
    expect(gpu.losses[49]).toBeLessThan(gpu.losses[0]); // it learns
    gpu.step.dispose();
  });

  it('is one submit that allocates nothing and reads nothing back; only the labels and the rate are uploaded', async () => {
    const device = await newGpuDevice();
    const step = mlpStep(device, 30, 'sigmoid');
    const { x, y } = data(20);
    const rows = device.uploadRows(x, 784);
    const run = step.prepare({ x: [10, 784], labels: [10], rate: [] });
    const order = Int32Array.from({ length: 20 }, (_, i) => i);
    for (let s = 0; s < 3; s++) {
      run.gather('x', rows, order, 10 * (s % 2), 10);
      run.input('labels').set(y.subarray(10 * (s % 2), 10 * (s % 2) + 10));
      run.input('rate')[0] = 3;
      run.submit();
    }
    const stats = step.stats;
    expect(stats.gpu).toEqual({ dispatches: expect.any(Number), submits: 1, bytesUploaded: (10 + 1) * 4, bytesRead: 0, allocations: 0 });
    expect(stats.gpu!.dispatches).toBeLessThanOrEqual(stats.steps + 4);
    expect(stats.backends).toEqual({ js: 0, wasm: 0, webgpu: stats.steps });
    expect(stats.fused).toBeGreaterThan(0);
    const [loss] = await run.runAsync();
    expect(Number.isFinite(loss[0])).toBe(true);
    expect(step.stats.gpu!.bytesRead).toBe(4 + 3 * 4); // the loss and the fault slot
    step.dispose();
  });
});

describe('errors on WebGPU', { timeout: 60_000 }, () => {
  it('run and read say to use runAsync and readAsync; write and readAsync work', async () => {
    const device = await gpuDevice();
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 2]);
    const w = g.parameter('gpu-errors/w', [2, 2], [1, 2, 3, 4]);
    const program = compile(g, { outputs: [x.matMul(w)], device });
    expect(() => program.run({ x: [1, 1] })).toThrow(/use await program\.runAsync\(feeds\)/);
    expect(() => device.read('gpu-errors/w')).toThrow(/use await device\.readAsync\('gpu-errors\/w'\)/);
    device.write('gpu-errors/w', [1, 0, 0, 1]);
    expect(Array.from(await device.readAsync('gpu-errors/w'))).toEqual([1, 0, 0, 1]);
    expect(Array.from((await program.runAsync({ x: [5, 6] }))[0])).toEqual([5, 6]);
  });

  it('a label out of range is a RunError naming the op and the line that built it', async () => {
    const device = await gpuDevice();
    const g = new Graph({ seed: 1 });
    const z = g.input('z', [null, 3]);
    const labels = g.input('labels', [null], 'int');
    const loss = z.softmaxCrossEntropy(labels).mean();
    const program = compile(g, { outputs: [loss], device });
    await expect(program.runAsync({ z: [1, 2, 3, 4, 5, 6], labels: [0, 3] })).rejects.toThrow(/softmaxCrossEntropy \(%\d+ softmaxCrossEntropy, built at .*webgpu\.test\.ts:\d+:\d+\): value 3 at index 1 is not a whole number in range/);
    // The fault is cleared: a good batch runs again.
    const [value] = await program.runAsync({ z: [1, 2, 3, 4, 5, 6], labels: [0, 2] });
    expect(value[0]).toBeCloseTo(((Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 1) + (Math.log(Math.exp(4) + Math.exp(5) + Math.exp(6)) - 6)) / 2, 5);
  });

  it('an op without a WebGPU kernel is refused when compiled, naming the op and the line', async () => {
    const device = await gpuDevice();
    const cube = defineOp({ name: 'gpuTestCube', arity: 1, shape: ([x]) => x, kernel: ({ inputs: [x], output }) => () => output.forEach((_, i) => (output[i] = x[i] ** 3)) });
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 2]);
    expect(() => compile(g, { outputs: [cube(x)], device })).toThrow(/op 'gpuTestCube' has no WebGPU kernel \(first: %\d+ gpuTestCube\); compile this program for a 'wasm' device.*\n\s+at .*webgpu\.test\.ts/);
  });

  it('checkNumerics is refused on a GPU device, naming what to do instead', async () => {
    const device = await gpuDevice();
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 2]);
    expect(() => compile(g, { outputs: [x.log()], device, checkNumerics: true })).toThrow(/checkNumerics scans every kernel's output on the CPU.*'wasm' device/);
  });

  it('a disposed device refuses to run', async () => {
    const { create } = await import('webgpu');
    const device = await Device.create({ backend: 'webgpu', gpu: create([]) });
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 2]);
    const program = compile(g, { outputs: [x.mul(2)], device });
    expect(Array.from((await program.runAsync({ x: [1, 2] }))[0])).toEqual([2, 4]);
    device.dispose();
    await expect(program.runAsync({ x: [1, 2] })).rejects.toThrow(RunError);
    expect(() => compile(g, { outputs: [x.mul(3)], device })).toThrow(GraphError);
  });
});
