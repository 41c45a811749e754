import { describe, expect, it } from 'vitest';
import { compile, Graph, Rng, RunError } from '../../../src/index.ts';
import type { Attrs } from '../../../src/core/ir.ts';
import { kernelOf } from '../../../src/backends/index.ts';
import { fusedKernelNames } from '../../../src/backends/wasm/fused.ts';
import { wasmArena } from './arena.ts';

interface KernelCase {
  op: string;
  attrs: Attrs;
  inputs: { shape: number[]; values: number[] }[];
  outputShape: number[];
}

const SENTINEL = 12345;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs one op's kernel on float32 buffers in a WebAssembly memory, its wasm kernel or its JS one. */
function runKernel({ op, attrs, inputs, outputShape }: KernelCase, useWasm: boolean): Float32Array {
  const memory = wasmArena();
  const kernel = useWasm ? kernelOf(op, 'wasm') : kernelOf(op, 'js');
  expect(kernel).toBeDefined();
  const shapes = { inputShapes: inputs.map((i) => i.shape), outputShape, attrs };
  const scratchSize = kernel!.scratch?.(shapes) ?? 0;
  const sizes = [...inputs.map((i) => i.values.length), sizeOf(outputShape) + 8];
  const offsets = sizes.map((n) => memory.alloc(n));
  const views = offsets.map((o, i) => memory.view(o, sizes[i]));
  inputs.forEach((input, i) => views[i].set(input.values));
  const padded = views[views.length - 1];
  padded.fill(SENTINEL);
  const output = padded.subarray(0, sizeOf(outputShape));
  const scratch = memory.view(memory.alloc(scratchSize), scratchSize);
  const fail = (message: string): never => {
    throw new RunError(`${op}: ${message}`);
  };
  const run = kernel!.run as (ctx: object) => () => void;
  run({ ...shapes, inputs: views.slice(0, -1), output, training: true, wasm: memory.wasm, scratch, fail })();
  expect(Array.from(padded.subarray(output.length))).toEqual(new Array(8).fill(SENTINEL)); // nothing written past the output
  return output.slice() as Float32Array;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const f32 = (xs: number[]) => xs.map(Math.fround);
const sizes = [1, 7].flatMap((rows) => [3, 10, 30, 33].map((cols) => [rows, cols] as const));

function denseCase(activation: string, rows: number, cols: number, inner = 6): KernelCase {
  const rng = new Rng(rows * 100 + cols);
  const normal = (n: number, scale = 1) => f32(Array.from({ length: n }, () => rng.normal() * scale));
  return {
    op: 'matMulBiasActivation',
    attrs: { activation },
    inputs: [
      { shape: [rows, inner], values: normal(rows * inner) },
      { shape: [inner, cols], values: normal(inner * cols, 1 / Math.sqrt(inner)) },
      { shape: [cols], values: normal(cols) },
    ],
    outputShape: [rows, cols],
  };
}

function softmaxCase(rows: number, cols: number): KernelCase {
  const rng = new Rng(rows * 100 + cols + 7);
  const z = f32(Array.from({ length: rows * cols }, () => rng.normal() * 3));
  z[0] = 1000; // a logit that overflows e^x unless the row's max is taken off first
  return {
    op: 'softmaxCrossEntropyGrad',
    attrs: {},
    inputs: [
      { shape: [rows, cols], values: z },
      { shape: [rows], values: Array.from({ length: rows }, () => Math.floor(rng.uniform(0, cols))) },
      { shape: [rows], values: f32(Array.from({ length: rows }, () => rng.uniform(-2, 2))) },
    ],
    outputShape: [rows, cols],
  };
}

describe('WebAssembly kernels of the fused ops', () => {
  it('are exported apart from the unary ops', () => {
    const { wasm } = wasmArena(1);
    expect(Object.keys(wasm.fused).sort()).toEqual([...fusedKernelNames].sort());
    for (const name of fusedKernelNames) expect(wasm.unary[name]).toBeUndefined();
  });

  describe('matMulBiasActivation equals the JS kernel', () => {
    for (const activation of ['linear', 'relu', 'sigmoid']) {
      it.each(sizes)(`${activation}, %i rows × %i columns`, (rows, cols) => {
        const c = denseCase(activation, rows, cols);
        // float32 products of 6 terms summed in another order, and e^x to 2e-7
        expectClose(runKernel(c, true), runKernel(c, false), 2e-6);
      });
    }
  });

  it('matMulBiasActivation equals matMul, add and the activation run unfused in float32, bit for bit', () => {
    for (const activation of ['linear', 'relu', 'sigmoid'] as const) {
      for (const [rows, cols] of sizes) {
        const c = denseCase(activation, rows, cols, 9);
        const g = new Graph();
        const [x, w, b] = c.inputs.map((input, i) => g.input(`in${i}`, input.shape));
        const z = x.matMul(w).add(b);
        const unfused = compile(g, { outputs: [activation === 'linear' ? z : z[activation]()] });
        const feeds = Object.fromEntries(c.inputs.map((input, i) => [`in${i}`, input.values]));
        expect(Array.from(runKernel(c, true))).toEqual(Array.from(unfused.run(feeds)[0]));
      }
    }
  });

  it.each(sizes)('softmaxCrossEntropyGrad equals the JS kernel, %i rows × %i columns', (rows, cols) => {
    const c = softmaxCase(rows, cols);
    const fast = runKernel(c, true);
    expectClose(fast, runKernel(c, false), 1e-6);
    expect(fast.every(Number.isFinite)).toBe(true);
  });

  it.each(sizes)('softmaxCrossEntropy (forward, int labels) equals the JS kernel, %i rows × %i columns', (rows, cols) => {
    const { inputs } = softmaxCase(rows, cols);
    const c: KernelCase = { op: 'softmaxCrossEntropy', attrs: {}, inputs: inputs.slice(0, 2), outputShape: [rows] };
    const fast = runKernel(c, true);
    expectClose(fast, runKernel(c, false), 1e-6);
    expect(fast.every(Number.isFinite)).toBe(true);
  });

  it.each([1, 3, 4, 7, 33])('reluGrad equals the step and mul kernels run unfused, NaN, ±∞ and ±0 in either, bit for bit (%i values)', (n) => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -2.5, 3];
    const dy = f32(Array.from({ length: n }, (_, i) => special[i % special.length]));
    const y = f32(Array.from({ length: n }, (_, i) => special[(i * 3 + 1) % special.length]));
    const input = (values: number[]) => ({ shape: [n], values });
    // NaN's payload aside (JS makes its own NaN): the bits of every other value, −0 included
    const bits = (v: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(v).buffer), (b, i) => (Number.isNaN(v[i]) ? 'NaN' : b));
    for (const useWasm of [true, false]) {
      const step = runKernel({ op: 'step', attrs: {}, inputs: [input(y)], outputShape: [n] }, useWasm);
      const unfused = runKernel({ op: 'mul', attrs: {}, inputs: [input(dy), input(Array.from(step))], outputShape: [n] }, useWasm);
      const fused = runKernel({ op: 'reluGrad', attrs: {}, inputs: [input(dy), input(y)], outputShape: [n] }, useWasm);
      expect(bits(fused)).toEqual(bits(unfused));
    }
  });

  it('softmaxCrossEntropyGrad refuses a label that is not a class id, naming the op, the row and the label', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const g = new Graph();
      const z = g.input('z', [null, 3]);
      const labels = g.input('labels', [null], 'int');
      const dy = g.input('dy', [null]);
      const program = compile(g, { outputs: [g.apply('softmaxCrossEntropyGrad', [z, labels, dy])], dtype });
      const feeds = { z: [1, 2, 3, 4, 5, 6], dy: [1, 1] };
      expect(() => program.run({ ...feeds, labels: [0, 3] })).toThrow(RunError);
      expect(() => program.run({ ...feeds, labels: [0, 3] })).toThrow('softmaxCrossEntropyGrad: label 3 of row 1 is not a class id in [0, 3)');
      expect(() => program.run({ ...feeds, labels: [-1, 0] })).toThrow('softmaxCrossEntropyGrad: label -1 of row 0 is not a class id in [0, 3)');
    }
  });
});
