/**
 * `npm run bench:webgpu` in its tiny mode (W2 only, one step each, no warm-up): the page is
 * bundled, served from 127.0.0.1 and run in Debian's chromium over SwiftShader, and every side —
 * deltagraph webgpu and wasm, TF.js 4.22 webgpu, jax-js 0.1.25 webgpu — trains a step, so the page
 * code cannot rot. Speeds are not checked (an emulator on a shared machine); that each side ran, its
 * loss, the GPU step's stats and the report are.
 */
import { describe, expect, it } from 'vitest';
import { onPaper, report, runWebgpuBench } from '../../bench/webgpu.ts';

describe('bench/webgpu.ts, tiny mode', () => {
  it('runs W2 one step in each of the four sides in one page, and reports them', async () => {
    const lines: string[] = [];
    const result = await runWebgpuBench({ workloads: ['W2'], tiny: true, log: (l) => lines.push(l) });
    expect(result.adapter).toMatchObject({ architecture: 'swiftshader' });
    const [w2] = result.results;
    expect(w2.workload).toBe('W2');
    expect(w2.sides.map((s) => [s.framework, s.error])).toEqual([
      ['deltagraph-webgpu', undefined],
      ['deltagraph-wasm', undefined],
      ['tfjs-webgpu', undefined],
      ['jax-webgpu', undefined],
    ]);
    for (const side of w2.sides) {
      expect(side.median).toBeGreaterThan(0);
      // One step of softmax CE from small random weights: near ln 10, whoever computed it.
      expect(side.loss).toBeGreaterThan(1.5);
      expect(side.loss).toBeLessThan(3.5);
    }
    // deltagraph's GPU and wasm steps computed the same loss from the same weights and rows.
    const [gpu, wasm] = w2.sides;
    expect(Math.abs(gpu.loss! - wasm.loss!)).toBeLessThan(1e-3);
    expect(gpu.stats?.gpu).toMatchObject({ submits: 1, bytesRead: 0 });
    const text = report(result);
    expect(text).toMatch(/\| W2 \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \|/);
    expect(text).toMatch(/W2: \d+ kernels .* \d+ dispatches, 1 submit/);
    expect(onPaper('W2').flops).toBe(2 * 128 * (784 * 800 * 2 + 800 * 10 * 3) + 2 * (784 * 800 + 800 + 800 * 10 + 10));
  }, 120_000);
});
