import { afterAll, describe, expect, it } from 'vitest';
import { createWasmMemory, wasmKernels, type WasmKernels } from '../../../src/backends/wasm/module.ts';
import { kernelOf, type WasmKernelContext } from '../../../src/backends/registry.ts';
import { ops } from '../../../src/ops/index.ts';
import { Graph, Rng, wasmFeatures, type WindowOptions } from '../../../src/index.ts';
import '../../../src/backends/index.ts';

// The conv kernels split their work with the helper thread: the products as any product, and
// im2col / col2im by images, the helper filling the second half of a group's windows while the
// caller fills the first; the pooling kernels split by images too. Whichever thread runs which half, the result must be the bits one
// thread gives: checked with a helper that runs every half ('helper'), one that never claims
// ('steal', the caller takes each half back), and none.

const available = wasmFeatures().threads;
const PAGES = 512;
const kernels: WasmKernels[] = [];
afterAll(() => kernels.forEach((k) => k.dispose()));

/** conv2d and its two gradient ops for x [n,h,w,in] ⋆ f, with their attributes from the graph. */
function nodes(x: number[], f: number[], options: WindowOptions) {
  const g = new Graph();
  const y = g.input('x', x).conv2d(g.input('f', f), options);
  const attrs = y.node.attrs;
  return { y: y.shape as number[], attrs };
}

/** Runs `op`'s wasm kernel on a fresh shared memory, with inputs from `seed`; returns the output's bits. */
function runKernel(op: string, inputShapes: number[][], outputShape: number[], attrs: Record<string, unknown>, force: 'helper' | 'steal' | 'none', seed: number): Uint32Array {
  const memory = createWasmMemory(PAGES, true);
  const wasm = wasmKernels(memory, force === 'none' ? {} : { threads: true, helper: { force } })!;
  kernels.push(wasm);
  const kernel = kernelOf(op, 'wasm')!;
  const f32 = new Float32Array(memory.buffer);
  const rng = new Rng(seed);
  let at = 64;
  const view = (size: number) => {
    const v = f32.subarray(at, at + size);
    at += Math.ceil((size + 16) / 16) * 16;
    return v;
  };
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const inputs = inputShapes.map((s) => {
    const v = view(size(s));
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    return v;
  });
  const output = view(size(outputShape)).fill(12345);
  const shape = { inputShapes, outputShape, attrs };
  const scratch = view(kernel.scratch?.(shape as never) ?? 0).fill(-7);
  const ctx = { ...shape, inputs, output, scratch, training: true, state: {}, fail: (m: string): never => { throw new Error(m); }, wasm } as unknown as WasmKernelContext;
  const run = kernel.run(ctx as never);
  run();
  run(); // twice: the second run starts from the first one's scratch and output
  return new Uint32Array(output.buffer, output.byteOffset, output.length).slice();
}

const cases: [string, number[], number[], WindowOptions][] = [
  ['valid, 1 channel in (W3 first layer), 33 images', [33, 12, 12, 1], [5, 5, 1, 8], {}],
  ['same, stride 2, 20 channels in, 9 images', [9, 12, 12, 20], [5, 5, 20, 40], { padding: 'same', strides: 2 }],
];

describe.skipIf(!available)('conv kernels with the helper thread', () => {
  it.each(cases)('%s: forward, input and filter gradients give the same bits on one thread, with the helper, and taken back', (_, x, f, options) => {
    const { y, attrs } = nodes(x, f, options);
    const forward = (force: 'helper' | 'steal' | 'none') => runKernel(ops.conv2d.name, [x, f], y, attrs, force, 1);
    const input = (force: 'helper' | 'steal' | 'none') =>
      runKernel(ops.conv2dBackpropInput.name, [y, f], x, { ...attrs, inputSize: [x[1], x[2]] }, force, 2);
    const filter = (force: 'helper' | 'steal' | 'none') =>
      runKernel(ops.conv2dBackpropFilter.name, [x, y], f, { ...attrs, filterSize: [f[0], f[1]] }, force, 3);
    for (const kernel of [forward, input, filter]) {
      const want = kernel('none');
      const values = new Float32Array(want.buffer);
      expect(values.every((v) => v !== 12345 && Number.isFinite(v)) && values.some((v) => v !== 0)).toBe(true); // every element written
      expect(kernel('helper')).toEqual(want);
      expect(kernel('steal')).toEqual(want);
    }
  });
});

describe.skipIf(!available)('pooling kernels with the helper thread', () => {
  const pools: [string, number[], number | [number, number], WindowOptions][] = [
    ['2x2 windows tiling the image', [9, 8, 8, 20], 2, {}],
    ['3x3 windows, stride 2, same padding', [7, 9, 7, 6], 3, { strides: 2, padding: 'same' }],
  ];
  it.each(pools)('%s: max and average pooling and their gradients give the same bits on one thread, with the helper, and taken back', (_, x, size, options) => {
    for (const kind of ['maxPool2d', 'avgPool2d'] as const) {
      const g = new Graph();
      const y = g.input('x', x)[kind](size, options);
      const [shape, attrs] = [y.shape as number[], y.node.attrs];
      const runs =
        kind === 'maxPool2d'
          ? [
              (force: 'helper' | 'steal' | 'none') => runKernel(ops.maxPool2d.name, [x], shape, attrs, force, 4),
              (force: 'helper' | 'steal' | 'none') => runKernel(ops.maxPool2dGrad.name, [x, shape, shape], x, attrs, force, 5),
            ]
          : [
              (force: 'helper' | 'steal' | 'none') => runKernel(ops.avgPool2d.name, [x], shape, attrs, force, 6),
              (force: 'helper' | 'steal' | 'none') => runKernel(ops.avgPool2dGrad.name, [shape], x, { ...attrs, inputSize: [x[1], x[2]] }, force, 7),
            ];
      for (const run of runs) {
        const want = run('none');
        expect(run('helper')).toEqual(want);
        expect(run('steal')).toEqual(want);
      }
    }
  });
});
