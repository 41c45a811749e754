import { describe, expect, it } from 'vitest';
import { compile, defineOp, grad, Graph } from '../../src/index.ts';
import { profileProgram } from '../../src/runtime/profile.ts';

/** An op that copies its input and spins for `ms` (a kernel whose time we know). */
const slow = defineOp<{ ms: number }>({
  name: 'slowCopyProfileTest',
  arity: 1,
  shape: ([x]) => x,
  kernel: ({ inputs: [x], output, attrs }) => () => {
    output.set(x);
    const end = performance.now() + attrs.ms;
    while (performance.now() < end);
  },
  vjp: ({ dy }) => [dy],
});

function tinyStep() {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 4]);
  const y = g.input('y', [null, 3]);
  const h = slow(g.dense(x, 5, { activation: 'sigmoid' }), { ms: 3 }, 'slow');
  const out = g.dense(h, 3, { activation: 'sigmoid' });
  const loss = out.sub(y).square().sum(1).mean().mul(0.5);
  const params = g.parameters;
  const grads = grad(loss, params);
  return compile(g, { outputs: [loss], updates: params.map((p, i) => [p, p.sub(grads[i].mul(0.1))] as const) });
}

const feeds = { x: Float32Array.from([0.1, 0.9, 0.3, 0.5, 0.7, 0.2, 0.8, 0.4]), y: Float32Array.from([1, 0, 0, 0, 0, 1]) };

describe('profileProgram', () => {
  it('lists every kernel call of the plan, in order, with its op and backend', () => {
    const step = tinyStep();
    step.run(feeds);
    const profile = profileProgram(step, { steps: 3 });
    expect(profile.kernels).toHaveLength(step.stats.steps);
    const slows = profile.kernels.filter((k) => k.op === 'slowCopyProfileTest');
    expect(slows).toHaveLength(1);
    expect(slows[0].name).toBe('slow');
    expect(slows[0].backend).toBe('js');
    const ids = profile.kernels.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // the schedule is topological, ids follow it here
    const byBackend = { js: 0, wasm: 0, webgpu: 0 };
    for (const k of profile.kernels) byBackend[k.backend]++;
    expect(byBackend).toEqual(step.stats.backends);
  });

  it('puts the time on the kernel that spent it, and the sum near a plain step', () => {
    const step = tinyStep();
    step.run(feeds);
    const profile = profileProgram(step, { steps: 10 });
    const slowMs = profile.kernels.find((k) => k.op === 'slowCopyProfileTest')!.ms;
    const others = profile.kernels.filter((k) => k.op !== 'slowCopyProfileTest');
    expect(slowMs).toBeGreaterThanOrEqual(3);
    expect(slowMs).toBeLessThan(6);
    for (const k of others) expect(k.ms).toBeLessThan(1);
    const sum = profile.kernels.reduce((s, k) => s + k.ms, 0);
    expect(sum).toBeLessThanOrEqual(profile.timedMs + 1e-9);
    expect(Math.abs(sum - profile.plainMs)).toBeLessThan(0.25 * profile.plainMs);
  });

  it('trains as plain runs do: a profiled step is a real step', () => {
    const a = tinyStep();
    const b = tinyStep();
    a.run(feeds);
    b.run(feeds);
    profileProgram(a, { steps: 2 }); // 6 uncounted + 4 counted steps
    for (let i = 0; i < 10; i++) b.run(feeds);
    expect(Array.from(a.run(feeds)[0])).toEqual(Array.from(b.run(feeds)[0]));
  });

  it('refuses a program that has not run', () => {
    expect(() => profileProgram(tinyStep())).toThrow(/not run yet/);
  });
});
