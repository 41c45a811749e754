import { describe, expect, it } from 'vitest';
import { compile, defineOp, Device, Graph, RunError, type Program } from '../../src/index.ts';

function tinyNet(dtype: 'float32' | 'float64' = 'float32') {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 4]);
  const y = g.input('y', [null, 3]);
  const out = g.dense(g.dense(x, 5, { activation: 'sigmoid' }), 3, { activation: 'relu' });
  const loss = out.sub(y).square().sum(1).mean();
  return { g, x, y, out, loss, program: compile(g, { outputs: [loss, out], dtype }) };
}

const x = Float32Array.from({ length: 8 }, (_, i) => i / 8);
const y = Float32Array.from({ length: 6 }, (_, i) => i % 2);

/** Every case twice: on the first run (a plan is made) and once a plan for the right shapes exists. */
function bothWays(program: Program, bad: () => unknown, re: RegExp) {
  expect(() => program.run(bad() as never)).toThrow(RunError);
  expect(() => program.run(bad() as never)).toThrow(re);
  program.run({ x, y });
  expect(() => program.run(bad() as never)).toThrow(re);
}

describe('feeds: every bad feed is a clear RunError, on the first run and later ones', () => {
  it.each([
    ['null', () => null, /run\(feeds\): feeds must be an object of input name → data, like run\(\{ x: values \}\), got null/],
    ['a string', () => 'x', /feeds must be an object .* got 'x' \(a string\)/],
    ['an array', () => [x, y], /feeds must be an object .* got an array/],
    ['a string feed', () => ({ x: 'abcdefgh', y }), /run: the feed for 'x' is 'abcdefgh' \(a string\), not an array of numbers/],
    ['a number feed', () => ({ x: 5, y }), /run: the feed for 'x' is 5, not an array of numbers/],
    ['a BigInt64Array', () => ({ x: new BigInt64Array(8), y }), /run: the feed for 'x' is a BigInt64Array; feed numbers/],
    ['a nested array', () => ({ x: [[0, 1, 2, 3], [4, 5, 6, 7]], y }), /the feed for 'x' is a nested array; pass a flat array/],
    ['strings inside', () => ({ x: ['0.5', 1, 2, 3, 4, 5, 6, 7], y }), /run: input 'x' has '0\.5' \(a string\) at index 0 \(not a number\)/],
    ['an unknown name', () => ({ x, y, z: [1] }), /run: 'z' is not an input of the graph \(inputs: x, y\)/],
    ['a misspelt name', () => ({ x, y, X: x }), /run: 'X' is not an input of the graph/],
    ['an empty batch', () => ({ x: new Float32Array(0), y: new Float32Array(0) }), /run: input 'x' \[null,4\] was fed an empty batch \(\[0,4\]\); feed at least one row/],
  ])('%s', (_, bad, re) => {
    bothWays(tinyNet().program, bad, re);
  });

  it('refuses float64 values that overflow float32, naming the feed and index; float64 programs take them', () => {
    const big = Float64Array.from(x);
    big[5] = 1e39;
    bothWays(tinyNet().program, () => ({ x: big, y }), /run: input 'x' has 1e\+39 at index 5 \(beyond float32's range, ±3\.4e38\)/);
    expect(Number.isFinite(tinyNet('float64').program.run({ x: big, y })[0][0])).toBe(true);
  });

  it('names the inputs when they are fed different batch sizes, not the op deep inside', () => {
    const { program } = tinyNet();
    expect(() => program.run({ x, y: y.subarray(0, 3) })).toThrow(/run: the inputs were fed different batch sizes \('x' \[2,4\], 'y' \[1,3\]\); the unknown dimension of every input is the batch/);
  });

  it('feeds go into the current memory after another program grew it (no run on stale views)', () => {
    const device = new Device({ capacity: 16 });
    const { g, out } = tinyNet();
    const predict = compile(g, { outputs: [out], device });
    predict.run({ x });
    const other = new Graph();
    compile(other, { outputs: [other.dense(other.input('x', [null, 4]), 50000, { name: 'wide' })], device }).run({ x }); // grows the memory
    const x2 = x.map((v) => 1 - v);
    const fresh = compile(g, { outputs: [out], device: new Device() }).run({ x: x2 })[0];
    expect(Array.from(predict.run({ x: x2 })[0])).toEqual(Array.from(fresh));
  });
});

describe('re-entrant runs', () => {
  it('refuses a run started from inside a kernel of a running program, and runs normally afterwards', () => {
    let inner: Program | null = null;
    const callsBack = defineOp({
      name: 'feedsTestRunsInside',
      arity: 1,
      shape: ([s]) => s,
      kernel: ({ inputs: [v], output }) => () => {
        inner?.run({ x });
        output.set(v);
      },
    });
    const { g, x: input } = tinyNet();
    const device = new Device();
    const outer = compile(g, { outputs: [callsBack(input)], device });
    inner = compile(g, { outputs: [g.get('x').mul(2)], device });
    expect(() => outer.run({ x })).toThrow(/run: a program is already running on this device \(run was called from inside a kernel\?\)/);
    inner = null;
    expect(Array.from(outer.run({ x })[0])).toEqual(Array.from(x));
  });
});
