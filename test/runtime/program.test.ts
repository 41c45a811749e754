import { afterEach, describe, expect, it } from 'vitest';
import { compile, defineOp, Device, grad, Graph, RunError, wasmFeatures } from '../../src/index.ts';

function tinyNet(seed = 1) {
  const g = new Graph({ seed });
  const x = g.input('x', [null, 4]);
  const y = g.input('y', [null, 3]);
  const h = g.dense(x, 5, { activation: 'sigmoid' });
  const out = g.dense(h, 3, { activation: 'sigmoid' });
  const loss = out.sub(y).square().sum(1).mean().mul(0.5);
  return { g, x, y, out, loss };
}

const feeds = {
  x: Float64Array.from([0.1, 0.9, 0.3, 0.5, 0.7, 0.2, 0.8, 0.4]),
  y: Float64Array.from([1, 0, 0, 0, 0, 1]),
};

describe('compile and run', () => {
  it('applies parameter updates W ← W − η·dW after computing every output', () => {
    const { g, loss } = tinyNet();
    const params = g.parameters;
    const grads = grad(loss, params);
    const eta = 0.5;
    const step = compile(g, {
      outputs: [loss, ...grads],
      updates: params.map((p, i) => [p, p.sub(grads[i].mul(eta))] as const),
      dtype: 'float64',
    });
    const before = params.map((p) => step.device.read(p.name!));
    const [, ...dws] = step.run(feeds).map((a) => Float64Array.from(a));
    params.forEach((p, i) => {
      const after = step.device.read(p.name!);
      after.forEach((v, j) => expect(v).toBeCloseTo(before[i][j] - eta * dws[i][j], 15));
    });
    // Training lowers the loss.
    const first = step.run(feeds)[0][0];
    for (let i = 0; i < 50; i++) step.run(feeds);
    expect(step.run(feeds)[0][0]).toBeLessThan(first);
  });

  it('writes elementwise updates straight over their parameters', () => {
    const { g, loss } = tinyNet();
    const params = g.parameters;
    const grads = grad(loss, params);
    const step = compile(g, { outputs: [loss], updates: params.map((p, i) => [p, p.sub(grads[i].mul(0.5))] as const) });
    step.run(feeds);
    expect(step.stats.updatesInPlace).toBe(4);
    // An update whose parameter is read after it cannot be done in place.
    const h = new Graph();
    const w = h.parameter('w', [2], [1, 2]);
    const next = w.add(1); // made first, so w.mul(3) below reads w after the update is computed
    const late = compile(h, { outputs: [w.mul(3)], updates: [[w, next]], dtype: 'float64' });
    expect(Array.from(late.run()[0])).toEqual([3, 6]);
    expect(late.stats.updatesInPlace).toBe(0);
    expect(Array.from(late.device.read('w'))).toEqual([2, 3]);
  });

  it('computes all update values before writing any (a swap works)', () => {
    const g = new Graph();
    const a = g.parameter('a', [2], [1, 2]);
    const b = g.parameter('b', [2], [3, 4]);
    const swap = compile(g, { outputs: [a], updates: [[a, b.mul(1)], [b, a.mul(1)]], dtype: 'float64' });
    const [seen] = swap.run();
    expect(Array.from(seen)).toEqual([1, 2]); // the output is the value before the update
    expect(Array.from(swap.device.read('a'))).toEqual([3, 4]);
    expect(Array.from(swap.device.read('b'))).toEqual([1, 2]);
  });

  it('shares parameters between programs compiled for one device', () => {
    const { g, out, loss } = tinyNet();
    const params = g.parameters;
    const grads = grad(loss, params);
    const train = compile(g, { outputs: [loss], updates: params.map((p, i) => [p, p.sub(grads[i])] as const) });
    const predict = compile(g, { outputs: [out], device: train.device });
    const before = Float32Array.from(predict.run({ x: feeds.x })[0]);
    train.run(feeds);
    const after = predict.run({ x: feeds.x })[0];
    expect(Array.from(after)).not.toEqual(Array.from(before));
    expect(() => compile(g, { outputs: [out], device: train.device, dtype: 'float64' })).toThrow(/differs from the device's/);
  });

  it('runs float32 and float64 through the same code to float32 accuracy', () => {
    const { g, loss } = tinyNet();
    const grads = grad(loss, g.parameters);
    const r64 = compile(g, { outputs: [loss, ...grads], dtype: 'float64' }).run(feeds);
    const r32 = compile(g, { outputs: [loss, ...grads], dtype: 'float32' }).run(feeds);
    expect(r32[0]).toBeInstanceOf(Float32Array);
    expect(r64[0]).toBeInstanceOf(Float64Array);
    r64.forEach((a, i) => a.forEach((v, j) => expect(Math.abs(v - r32[i][j])).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)))));
  });

  it('makes one plan per batch size and switches between them', () => {
    const { g, out } = tinyNet();
    const p = compile(g, { outputs: [out], dtype: 'float64' });
    const one = Float64Array.from(p.run({ x: feeds.x.subarray(0, 4) })[0]);
    const two = Float64Array.from(p.run({ x: feeds.x })[0]);
    expect(p.outputShapes).toEqual([[2, 3]]);
    expect(Array.from(two.subarray(0, 3))).toEqual(Array.from(one));
    expect(Array.from(p.run({ x: feeds.x.subarray(0, 4) })[0])).toEqual(Array.from(one));
    expect(p.run({ x: { data: feeds.x, shape: [2, 4] } })[0].length).toBe(6);
  });

  it('reuses buffers of dead intermediates (liveness)', () => {
    const g = new Graph();
    let h = g.input('x', [null, 64]);
    for (let i = 0; i < 6; i++) h = g.dense(h, 64, { activation: 'tanh' });
    const p = compile(g, { outputs: [h.sum()] });
    p.run({ x: new Float32Array(64 * 8) });
    expect(p.stats.steps).toBe(6 * 2 + 1); // per layer: x·W + b fused (fuse-dense), then tanh
    expect(p.stats.workspace).toBeLessThanOrEqual(p.stats.unshared / 4);
  });

  it('remakes its views when a float32 (WebAssembly) memory grows under it', () => {
    const { g, out } = tinyNet();
    const device = new Device({ capacity: 16 });
    const predict = compile(g, { outputs: [out], device });
    const first = Float32Array.from(predict.run({ x: feeds.x })[0]);
    const big = new Graph();
    const wide = big.dense(big.input('x', [null, 4]), 50000, { name: 'wide' }); // 250,000 floats: several new pages
    compile(big, { outputs: [wide], device }).run({ x: feeds.x });
    expect(device.memory.generation).toBeGreaterThan(0);
    expect(Array.from(predict.run({ x: feeds.x })[0])).toEqual(Array.from(first));
  });

  it('moves to a shared memory for the helper thread only when a product is large enough, and keeps working', () => {
    const { g, out } = tinyNet();
    const device = new Device();
    const predict = compile(g, { outputs: [out], device });
    const first = Float32Array.from(predict.run({ x: feeds.x })[0]);
    expect(device.shared).toBe(false); // small products: no helper, and copies into the memory stay fast
    const big = new Graph({ seed: 2 });
    const product = big.input('a', [null, 300]).matMul(big.parameter('big', [300, 400], 'glorotNormal'));
    const a = Float32Array.from({ length: 64 * 300 }, (_, i) => Math.sin(i));
    const single = new Device({ threads: false });
    const [twoThreads, oneThread] = [device, single].map((d) => compile(big, { outputs: [product], device: d }));
    expect(Array.from(twoThreads.run({ a })[0])).toEqual(Array.from(oneThread.run({ a })[0]));
    if (wasmFeatures().threads) expect(device.shared).toBe(true);
    // The program that moved the memory runs on the new one: it sees weights written there.
    const changed = Float64Array.from({ length: 300 * 400 }, (_, i) => Math.cos(i));
    device.write('big', changed);
    single.write('big', changed);
    expect(Array.from(twoThreads.run({ a })[0])).toEqual(Array.from(oneThread.run({ a })[0]));
    expect(Array.from(predict.run({ x: feeds.x })[0])).toEqual(Array.from(first)); // parameters moved, views remade
  });

  it('remakes its views when the memory grows under it', () => {
    const { g, out, loss } = tinyNet();
    const device = new Device({ dtype: 'float64', capacity: 16 });
    const predict = compile(g, { outputs: [out], device });
    const first = Float64Array.from(predict.run({ x: feeds.x })[0]);
    compile(g, { outputs: [loss, ...grad(loss, g.parameters)], device }).run(feeds); // grows the memory
    expect(Array.from(predict.run({ x: feeds.x })[0])).toEqual(Array.from(first));
  });
});

describe('running again allocates nothing', () => {
  const restore: (() => void)[] = [];
  afterEach(() => restore.splice(0).forEach((f) => f()));

  /** Counts every typed array made while `f` runs: constructors and the methods that make one. */
  function countAllocations(f: () => void): number {
    let count = 0;
    const g = globalThis as unknown as Record<string, unknown>;
    for (const name of ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'ArrayBuffer']) {
      const original = g[name] as new (...args: unknown[]) => unknown;
      g[name] = new Proxy(original, { construct: (t, args) => (count++, Reflect.construct(t, args) as object) });
      restore.push(() => (g[name] = original));
    }
    const proto = Object.getPrototypeOf(Int8Array.prototype) as Record<string, (...a: unknown[]) => unknown>;
    for (const method of ['subarray', 'slice', 'map', 'filter']) {
      const original = proto[method];
      proto[method] = function (this: unknown, ...args: unknown[]) {
        count++;
        return original.apply(this, args);
      };
      restore.push(() => (proto[method] = original));
    }
    try {
      f();
    } finally {
      restore.splice(0).forEach((r) => r());
    }
    return count;
  }

  it('counts allocations (the counter itself works)', () => {
    expect(countAllocations(() => new Float64Array(3).subarray(1))).toBe(2);
  });

  it('a compiled training step allocates no typed array after its first run', () => {
    const { g, loss } = tinyNet();
    const params = g.parameters;
    const grads = grad(loss, params);
    const step = compile(g, { outputs: [loss], updates: params.map((p, i) => [p, p.sub(grads[i].mul(0.1))] as const) });
    step.run(feeds);
    expect(countAllocations(() => {
      for (let i = 0; i < 100; i++) step.run(feeds);
    })).toBe(0);
  });
});

describe('run-time errors', () => {
  const { g, out, loss } = tinyNet();
  const p = compile(g, { outputs: [loss], dtype: 'float64' });

  it('names a missing feed, an unknown feed, a wrong length and a bad value', () => {
    expect(() => p.run({ x: feeds.x })).toThrow(/no feed for input 'y' \[null,3\]/);
    expect(() => p.run({ ...feeds, z: [1] })).toThrow(/'z' is not an input of the graph \(inputs: x, y\)/);
    expect(() => p.run({ ...feeds, x: [1, 2, 3] })).toThrow(/input 'x' \[null,4\] got 3 values, not a multiple of 4/);
    expect(() => p.run({ ...feeds, x: [1, 2, NaN, 4, 5, 6, 7, 8] })).toThrow(/input 'x' has NaN at index 2/);
    expect(() => p.run({ ...feeds, x: { data: feeds.x, shape: [4, 2] } })).toThrow(/input 'x' is declared \[null,4\] but was fed 8 values as \[4,2\]/);
  });

  it('names the node and the user line when batch sizes disagree', () => {
    expect(() => p.run({ x: feeds.x, y: feeds.y.subarray(0, 3) })).toThrow(RunError);
    expect(() => p.run({ x: feeds.x, y: feeds.y.subarray(0, 3) })).toThrow(
      /sub \(%12 sub\): dimension 0 of %1 input 'y' is 1 at run time but the result's is 2; a dimension unknown at build time \(the batch\) is never broadcast\)?\n {4}at .*program\.test\.ts:\d+/,
    );
    expect(compile(g, { outputs: [out] }).inputNames).toEqual(['x']);
  });

  it('refuses labels that are not class ids', () => {
    const h = new Graph();
    const z = h.input('z', [null, 3]);
    const labels = h.input('labels', [null], 'int');
    const ce = compile(h, { outputs: [z.softmaxCrossEntropy(labels).mean()] });
    expect(ce.run({ z: [0, 0, 0, 1, 1, 1], labels: [0, 2] })[0][0]).toBeCloseTo(Math.log(3), 6);
    expect(() => ce.run({ z: [0, 0, 0, 1, 1, 1], labels: [0, 3] })).toThrow(/label 3 of row 1 is not a class id in \[0, 3\)/);
    expect(() => ce.run({ z: [0, 0, 0, 1, 1, 1], labels: [0, 1.5] })).toThrow(/input 'labels' has 1.5 at index 1 \(int input: whole numbers only\)/);
  });
});

describe('scratch memory of a kernel', () => {
  const seen: { scratch: number; ranges: [number, number][] }[] = [];
  // Reverses each row through its scratch: correct only if the scratch overlaps neither buffer.
  const reverseRows = defineOp({
    name: 'test_reverseRowsThroughScratch',
    arity: 1,
    shape: ([x]) => x,
    scratch: ({ inputShapes: [[, cols]] }) => cols,
    kernel: ({ inputs: [x], output, outputShape: [rows, cols], scratch }) => {
      seen.push({ scratch: scratch.length, ranges: [x, output, scratch].map((v) => [v.byteOffset, v.byteOffset + v.byteLength]) });
      return () => {
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < cols; j++) scratch[cols - 1 - j] = x[r * cols + j];
          output.set(scratch, r * cols);
        }
      };
    },
  });

  it('gets the elements it asks for, apart from its inputs and output, reused after the call', () => {
    const g = new Graph();
    const x = g.input('x', [null, 5]);
    const y = reverseRows(x.mul(2)).add(1);
    const program = compile(g, { outputs: [reverseRows(y).mul(3)], dtype: 'float64' });
    const xs = Float64Array.from({ length: 15 }, (_, i) => i);
    const [out] = program.run({ x: xs });
    // reverse twice is the identity: out = 3·(2x + 1)
    expect(Array.from(out)).toEqual(Array.from(xs, (v) => 3 * (2 * v + 1)));
    expect(seen.map((s) => s.scratch)).toEqual([5, 5]);
    for (const { ranges } of seen) {
      const [scratch] = ranges.slice(2);
      for (const [start, end] of ranges.slice(0, 2)) expect(end <= scratch[0] || scratch[1] <= start).toBe(true);
    }
  });
});
