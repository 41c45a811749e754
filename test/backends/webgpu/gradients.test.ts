/**
 * The gradient catalogue on the GPU: every case of `npm run gradcheck` (first and second order)
 * compiled for a WebGPU device in float32 (with its fusion of elementwise chains) and for the
 * JS kernels in float64, fed the same values; the gradients agree within float32 rounding,
 * relative to their largest magnitude.
 */
import { describe, expect, it } from 'vitest';
import { compile, Device, grad, Graph, type Tensor } from '../../../src/index.ts';
import { Rng } from '../../../src/core/rng.ts';
import { gradientCases, type GradientCase } from '../../../src/testing/gradient-cases.ts';
import { gpuDevice } from './gpu.ts';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The graph of the case's gradients (order 1) or Hessian-vector products (order 2), as gradCheck builds it. */
function gradientGraph(c: GradientCase, rng: Rng) {
  const g = new Graph({ seed: 1 });
  const xs = c.inputs.map((input, k) => g.input(`x${k}`, input.shape, input.classes ? 'int' : 'float'));
  const y = c.build(...xs);
  const float = xs.filter((_, k) => !c.inputs[k].classes);
  const weights = g.constant(Float64Array.from({ length: size(y.shape as number[]) }, () => rng.normal()), y.shape as number[]);
  let outputs: Tensor[] = grad(y.mul(weights).sum(), float);
  if (c.order === 2) {
    const u = outputs.map((d) => g.constant(Float64Array.from({ length: size(d.shape as number[]) }, () => rng.normal()), d.shape as number[]));
    const inner = outputs.map((d, k) => d.mul(u[k]).sum()).reduce((a, b) => a.add(b));
    outputs = grad(inner, float);
  }
  const feeds: Record<string, Float64Array> = {};
  c.inputs.forEach((input, k) => {
    feeds[`x${k}`] = Float64Array.from({ length: size(input.shape) }, () => {
      if (input.classes) return Math.floor(rng.next() * input.classes);
      const v = input.domain === 'positive' ? 0.5 + 1.5 * rng.next() : input.domain === 'awayFromZero' ? (0.5 + 1.5 * rng.next()) * (rng.next() < 0.5 ? -1 : 1) : rng.normal();
      return Math.fround(v);
    });
  });
  return { g, outputs, feeds };
}

/**
 * Every op of the catalogue once, and every second-order case (compiling each kernel costs tens of
 * ms on an emulator); DELTAGRAPH_GPU_FULL=1 runs the whole catalogue.
 */
function chosenCases(): GradientCase[] {
  const all = gradientCases();
  if (process.env.DELTAGRAPH_GPU_FULL === '1') return all;
  const seen = new Set<string>();
  return all.filter((c) => {
    if (c.order === 2) return true;
    if (seen.has(c.op)) return false;
    seen.add(c.op);
    return true;
  });
}

describe('the gradient catalogue on WebGPU (float32) against the JS kernels (float64)', { timeout: 120_000 }, () => {
  const cases = chosenCases();
  it.each(cases.map((c) => [`${c.op} ${c.label}${c.order === 2 ? ' (Hessian-vector)' : ''}`, c] as const))('%s', async (_, c) => {
    const { g, outputs, feeds } = gradientGraph(c, new Rng(3));
    const training = c.training ?? false;
    const reference = compile(g, { outputs, dtype: 'float64', training }).run(feeds);
    const device = await gpuDevice();
    const program = compile(g, { outputs, device, training });
    const values = await program.runAsync(feeds);
    program.dispose();
    reference.forEach((want, k) => {
      const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
      const worst = Math.max(...Array.from(want, (w, i) => Math.abs(values[k][i] - w) / scale));
      expect(worst, `gradient ${k}`).toBeLessThan(c.order === 2 ? 3e-4 : 1e-4);
    });
  });

  it('fuses elementwise chains: fewer kernels than ops, same values', async () => {
    const device = await gpuDevice();
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 6]);
    const b = g.parameter('b', [6], [0.1, -0.2, 0.3, -0.4, 0.5, -0.6]);
    const y = x.add(b).sigmoid().mul(x.tanh()).sub(x.square().mul(0.5)).exp().sum(1);
    const [dx] = grad(y.sum(), [x]);
    const program = compile(g, { outputs: [y, dx], device });
    const feeds = { x: Float32Array.from({ length: 18 }, (_, i) => Math.sin(i)) };
    const gpu = await program.runAsync(feeds);
    const cpu = compile(g, { outputs: [y, dx], dtype: 'float64' }).run(feeds);
    cpu.forEach((want, k) => want.forEach((w, i) => expect(gpu[k][i]).toBeCloseTo(w, 4)));
    expect(program.stats.fused).toBeGreaterThan(5);
    expect(program.stats.steps).toBeLessThan(8);
  });
});

void Device;
