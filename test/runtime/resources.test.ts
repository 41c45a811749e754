import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile, Graph, RunError, wasmFeatures } from '../../src/index.ts';
import { Model } from '../../src/nn/index.ts';

const fixture = (name: string) => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name);
const tsx = (script: string, nodeFlags: string[] = []) =>
  execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', fixture(script)], { encoding: 'utf8', timeout: 60_000 });

function predictor(hidden: number): Model {
  const g = new Graph({ seed: 2 });
  const x = g.input('x', [null, 784]);
  return new Model({ inputs: x, outputs: g.dense(g.dense(x, hidden, { activation: 'relu' }), 10) });
}

describe('bounded resources', () => {
  it('keeps the memory of a predictor fed 300 batch sizes bounded (plans are kept for the last 8)', () => {
    const all = Float32Array.from({ length: 300 * 784 }, (_, i) => (i % 13) / 13);
    const rows = (n: number) => all.subarray(0, n * 784);
    const one = predictor(256);
    const before = one.device.size;
    one.predict(rows(300));
    const block = one.device.size - before; // the plan of the largest batch
    const model = predictor(256);
    const reference = Array.from(model.predict(rows(7)));
    for (let n = 1; n <= 300; n++) model.predict(rows(n));
    expect(model.device.size).toBeLessThan(before + 3 * 8 * block);
    expect(Array.from(model.predict(rows(7)))).toEqual(reference); // a plan made again, same results
  }, 60_000);

  it('refuses to run a prepared plan that was evicted, and a disposed program', () => {
    const g = new Graph();
    const x = g.input('x', [null, 2]);
    const program = compile(g, { outputs: [x.mul(3)] });
    const prepared = program.prepare({ x: [1, 2] });
    prepared.input('x').set([1, 2]);
    expect(Array.from(prepared.run()[0])).toEqual([3, 6]);
    for (let n = 2; n <= 9; n++) program.run({ x: new Float32Array(2 * n) });
    expect(() => prepared.run()).toThrow(/plan was released/);
    program.dispose();
    expect(() => program.run({ x: [1, 2] })).toThrow(/program was disposed/);
  });

  it('names what did not fit when a plan needs more than a device holds', () => {
    const g = new Graph();
    const a = g.input('a', [null, 1]);
    const wide = a.add(g.constant(new Float32Array(40000), [1, 40000])); // 30000 × 40000 floats > 4 GiB
    const program = compile(g, { outputs: [wide.sum()] });
    expect(() => program.run({ a: new Float32Array(30000) })).toThrow(RunError);
    expect(() => program.run({ a: new Float32Array(30000) })).toThrow(/device memory: the plan for a \[30000,1\] \(its largest buffer %\d+ add \[30000,40000\] at .*resources\.test\.ts:\d+:\d+\) needs 4\.8 GB.*beyond the 4\.3 GB a device holds/);
  });

  it('refuses a layer no device can hold as it is built, naming it and the bytes', () => {
    const g = new Graph();
    const x = g.input('x', [null, 784]);
    expect(() => g.dense(x, 1e9)).toThrow(/parameter 'dense_1\/kernel' \[784,1000000000\]: 784,000,000,000 values need 3\.1 TB as float32, more than a device holds \(4\.3 GB\)/);
  });

  it('ends the helper threads of 30 disposed models and of 30 dropped ones, and gives their memory back', () => {
    const result = JSON.parse(tsx('many-models.ts', ['--expose-gc']).trim().split('\n').pop()!);
    if (wasmFeatures().threads) expect(result.shared).toBe(30);
    expect(result.disposed.threads).toBeLessThanOrEqual(result.start.threads + 1);
    expect(result.dropped.threads).toBeLessThanOrEqual(result.start.threads + 1);
    expect(result.disposed.rss - result.start.rss).toBeLessThan(150e6);
    expect(result.dropped.rss - result.start.rss).toBeLessThan(150e6);
  }, 60_000);

  it('lets a process whose model used the helper thread exit by itself', () => {
    const started = Date.now();
    const out = JSON.parse(tsx('exits.ts').trim());
    expect(out.shared).toBe(wasmFeatures().threads);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
