import { describe, expect, it } from 'vitest';
import { compile, Device, Graph, GraphError, RunError, wasmFeatures } from '../../src/index.ts';

const rowsOf = (count: number, width: number) => Float32Array.from({ length: count * width }, (_, i) => i + 0.5);

describe('Device', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`gathers batches from uploaded rows into a prepared run's input (${dtype}: ${dtype === 'float32' ? 'wasm' : 'js'} path)`, () => {
      const g = new Graph();
      const x = g.input('x', [null, 5]);
      const program = compile(g, { outputs: [x.mul(2)], dtype });
      const rows = program.device.uploadRows(rowsOf(9, 5), 5);
      expect(rows.count).toBe(9);
      expect(rows.firstNonFinite).toBe(-1);
      const run = program.prepare({ x: [3, 5] });
      const order = Int32Array.from([8, 0, 4, 2, 7]);
      run.gather('x', rows, order, 1, 3); // rows 0, 4, 2
      const want = [0, 4, 2].flatMap((r) => Array.from(rowsOf(9, 5).subarray(r * 5, r * 5 + 5), (v) => 2 * v));
      expect(Array.from(run.run()[0])).toEqual(want);
    });

    it(`finds the first non-finite value of an upload (${dtype})`, () => {
      const device = new Device({ dtype });
      for (const at of [0, 5, 13, 16, 19]) {
        const values = rowsOf(4, 5);
        values[at] = at % 2 ? Infinity : NaN;
        if (at + 1 < values.length) values[at + 1] = -Infinity; // a later one does not count
        expect(device.uploadRows(values, 5).firstNonFinite).toBe(at);
      }
      expect(() => device.uploadRows(rowsOf(3, 5).subarray(1), 5)).toThrow(GraphError);
    });
  }

  it('refuses to gather rows of another width or of another device', () => {
    const g = new Graph();
    const x = g.input('x', [null, 5]);
    const program = compile(g, { outputs: [x.mul(2)] });
    const run = program.prepare({ x: [3, 5] });
    const order = Int32Array.from([0, 1, 2]);
    expect(() => run.gather('x', program.device.uploadRows(rowsOf(3, 4), 4), order, 0, 3)).toThrow(/cannot gather 3 rows of 4 into 'x' \[3,5\]/);
    expect(() => run.gather('x', new Device().uploadRows(rowsOf(3, 5), 5), order, 0, 3)).toThrow(RunError);
  });

  it('shares its memory with a helper only for a plan that splits a product, settled before the plan binds', () => {
    const g = new Graph({ seed: 3 });
    const a = g.input('a', [null, 300]);
    const device = new Device();
    const small = compile(g, { outputs: [a.sum()], device });
    small.run({ a: rowsOf(2, 300) });
    expect(device.shared).toBe(false);
    const product = compile(g, { outputs: [a.matMul(g.parameter('w', [300, 400], 'glorotNormal'))], device });
    product.run({ a: rowsOf(64, 300) });
    expect(device.shared).toBe(wasmFeatures().threads);
    expect(small.run({ a: rowsOf(2, 300) })[0][0]).toBeCloseTo(rowsOf(2, 300).reduce((s, v) => s + v, 0), -2);
  });

  it('cannot run after dispose', () => {
    const g = new Graph();
    const x = g.input('x', [null, 2]);
    const program = compile(g, { outputs: [x.add(1)] });
    expect(Array.from(program.run({ x: [1, 2] })[0])).toEqual([2, 3]);
    program.device.dispose();
    expect(() => program.run({ x: [1, 2] })).toThrow(/used after dispose/);
    expect(() => compile(g, { outputs: [x.add(2)], device: program.device })).toThrow(/the device was disposed/);
  });
});
