/**
 * compile refuses a program whose parameters do not fit beside what its device holds, before it
 * fills any. The device limit is lowered to 65,536 values here, so the cases stay small.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/core/limits.ts', async (original) => ({ ...(await original<typeof import('../../src/core/limits.ts')>()), MAX_ELEMENTS: 65536 }));

const { compile, Device, Graph, GraphError } = await import('../../src/index.ts');

describe('compile: parameters beyond what a device holds', () => {
  it('is refused before anything is placed, naming the largest parameters, their shapes, bytes and lines', () => {
    const g = new Graph();
    const x = g.input('x', [null, 200]);
    const a = g.dense(x, 150, { useBias: false }); // 30,000 values
    const b = g.dense(x, 160, { useBias: false }); // 32,000
    const c = g.dense(x, 20); // 4,000 + 20
    const device = new Device({ threads: false });
    let error: unknown;
    try {
      compile(g, { outputs: [a.sum().add(b.sum()).add(c.sum())], device });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphError);
    expect((error as Error).message).toMatch(
      /^compile: the parameters of this program need 264 KB as float32 \(66,020 values\), more than the 262 KB a device holds; the largest: 'dense_2\/kernel' \[200,160\] 128 KB \(test\/runtime\/parameter-limits\.test\.ts:16:\d+\), 'dense_1\/kernel' \[200,150\] 120 KB \(test\/runtime\/parameter-limits\.test\.ts:15:\d+\), 'dense_3\/kernel' \[200,20\] 16 KB \(test\/runtime\/parameter-limits\.test\.ts:17:\d+\), 1 more \(80 bytes\)\. Nothing was allocated/,
    );
    expect(device.size).toBe(0);
    expect(device.parameterNames()).toEqual([]);
    // Two of them fit; the third program is refused beside what the device holds by then.
    compile(g, { outputs: [a.sum(), c.sum()], device });
    expect(() => compile(g, { outputs: [b.sum()], device })).toThrow(/^compile: the parameters of this program need 128 KB as float32 \(32,000 values\) beside the 136 KB the device holds already, more than the 262 KB a device holds; the largest: 'dense_2\/kernel'/);
  });

  it('counts bytes in the device precision', () => {
    const g = new Graph();
    const w = g.parameter('w', [200, 200], 'zeros');
    const v = g.parameter('v', [300, 100], 'ones');
    expect(() => compile(g, { outputs: [w.sum(), v.sum()], dtype: 'float64' })).toThrow(
      /need 560 KB as float64 \(70,000 values\), more than the 524 KB a device holds; the largest: 'w' \[200,200\] 320 KB \(.*\), 'v' \[300,100\] 240 KB/,
    );
  });
});
