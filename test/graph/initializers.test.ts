/**
 * Initial values are drawn by the device when it places a parameter, not held by the graph: the
 * values must be the ones the graph used to draw eagerly, bit for bit, in float32 and float64.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compile, Device, Graph, Rng } from '../../src/index.ts';
import { constantInit, Model, modelToBytes, randomNormal, randomUniform, adam, type InitializerFn } from '../../src/nn/index.ts';

/** The old eager initializers, written out plainly: each fills a Float64Array from the rng, in order. */
const fill = (n: number, f: () => number) => Float64Array.from({ length: n }, f);
const fans = (s: readonly number[]): [number, number] => (s.length === 1 ? [s[0], s[0]] : [s[s.length - 2], s[s.length - 1]]);
const oldWay: Record<string, (s: readonly number[], rng: Rng) => Float64Array> = {
  zeros: (s) => fill(size(s), () => 0),
  ones: (s) => fill(size(s), () => 1),
  randomNormal: (s, rng) => fill(size(s), () => 0 + 1 * rng.normal()),
  lecunNormal: (s, rng) => fill(size(s), () => 0 + (1 / Math.sqrt(fans(s)[0])) * rng.normal()),
  glorotUniform: (s, rng) => {
    const limit = Math.sqrt(6 / (fans(s)[0] + fans(s)[1]));
    return fill(size(s), () => rng.uniform(-limit, limit));
  },
  glorotNormal: (s, rng) => fill(size(s), () => 0 + Math.sqrt(2 / (fans(s)[0] + fans(s)[1])) * rng.normal()),
  heNormal: (s, rng) => fill(size(s), () => 0 + Math.sqrt(2 / fans(s)[0]) * rng.normal()),
  heUniform: (s, rng) => {
    const limit = Math.sqrt(6 / fans(s)[0]);
    return fill(size(s), () => rng.uniform(-limit, limit));
  },
};
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Parameters of odd sizes (a normal draw's spare carries into the next parameter) and a dropout seed between them. */
const specs: [string, number[]][] = [
  ['heNormal', [3, 5]],
  ['randomNormal', [7]],
  ['glorotUniform', [5, 3]],
  ['glorotNormal', [1, 9]],
  ['dropout', []],
  ['lecunNormal', [4, 3]],
  ['ones', [3]],
  ['heUniform', [2, 7]],
  ['zeros', [5]],
  ['randomNormal', [1]],
];

function expected(seed: number): Float64Array[] {
  const rng = new Rng(seed);
  const out: Float64Array[] = [];
  for (const [kind, shape] of specs) {
    if (kind === 'dropout') rng.next();
    else out.push(oldWay[kind](shape, rng));
  }
  // The helpers and a user's function, after the named ones.
  out.push(fill(6, () => 0.25 + 0.5 * rng.normal()), fill(5, () => rng.uniform(-1, 2)), fill(4, () => 0.1), fill(3, () => rng.normal() * 3));
  return out;
}

function placed(seed: number, dtype: 'float32' | 'float64'): Float64Array[] {
  const g = new Graph({ seed });
  const params = [];
  for (const [kind, shape] of specs) {
    if (kind === 'dropout') g.rng.next();
    else params.push(g.parameter(`p${params.length}`, shape, kind as never));
  }
  const mine: InitializerFn = (s, rng) => Float64Array.from({ length: size(s) }, () => rng.normal() * 3);
  params.push(g.parameter('normal', [6], randomNormal(0.5, 0.25)), g.parameter('uniform', [5], randomUniform(-1, 2)), g.parameter('constant', [4], constantInit(0.1)), g.parameter('mine', [3], mine));
  const device = new Device({ dtype, threads: false });
  compile(g, { outputs: params.map((p) => p.sum()), device });
  return params.map((p) => device.read(p.name!));
}

const bits = (a: Float32Array | Float64Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

describe('initial values drawn by the device', () => {
  it.each([1, 7, 20261206])('are the values the graph drew before, bit for bit, in float64 and float32 (seed %i)', (seed) => {
    const old = expected(seed);
    const f64 = placed(seed, 'float64');
    const f32 = placed(seed, 'float32');
    expect(f64.length).toBe(old.length);
    old.forEach((values, i) => {
      expect(bits(f64[i]), `parameter ${i} in float64`).toEqual(bits(values));
      expect(bits(Float32Array.from(f32[i])), `parameter ${i} in float32`).toEqual(bits(Float32Array.from(values)));
    });
  });

  it('leave the graph Rng where the draws would (what is drawn after them is unchanged)', () => {
    const rng = new Rng(3);
    for (const [kind, shape] of specs) if (kind !== 'dropout') oldWay[kind](shape, rng);
    const g = new Graph({ seed: 3 });
    specs.forEach(([kind, shape], i) => kind !== 'dropout' && g.parameter(`p${i}`, shape, kind as never));
    expect([g.rng.next(), g.rng.normal()]).toEqual([rng.next(), rng.normal()]);
  });

  it('skip normals exactly, also past a draw of 0 (Box–Muller draws again)', () => {
    const zero = { state: 2463401483, spare: null }; // found by search: the next draw from here is exactly 0
    expect(Rng.at(zero).next()).toBe(0);
    for (const start of [zero, { state: zero.state - 2 * 0x6d2b79f5, spare: null }, { state: 5, spare: 0.5 }]) {
      for (const count of [0, 1, 2, 3, 4, 5, 8]) {
        const drawn = Rng.at(start);
        for (let i = 0; i < count; i++) drawn.normal();
        const skipped = Rng.at(start);
        skipped.skipNormal(count);
        expect(skipped.position, `${count} normals from ${JSON.stringify(start)}`).toEqual(drawn.position);
      }
    }
    const drawn = new Rng(9);
    for (let i = 0; i < 1000; i++) drawn.next();
    const skipped = new Rng(9);
    skipped.skipUniform(1000);
    expect(skipped.position).toEqual(drawn.position);
  });

  it('give the same model files as before (sha-256 of files written by deltagraph 61e3410 with the same builder)', () => {
    // Every initializer, a dropout seed between layers and a user's function; untrained, compiled with adam.
    const build = (dtype: 'float32' | 'float64') => {
      const g = new Graph({ seed: 7 });
      const x = g.input('x', [null, 5]);
      let h = g.dense(x, 3, { kernelInitializer: 'heNormal', activation: 'relu' });
      h = g.dropout(h, 0.3);
      h = g.dense(h, 7, { kernelInitializer: 'glorotNormal', biasInitializer: randomNormal(0.5, 0.25) });
      h = g.dense(h, 5, { kernelInitializer: 'lecunNormal', biasInitializer: 'ones' });
      h = g.dense(h, 3, { kernelInitializer: 'randomNormal', biasInitializer: randomUniform(-1, 2) });
      h = g.dense(h, 4, { kernelInitializer: 'heUniform', biasInitializer: constantInit(0.1) });
      const out = g.dense(h, 2, { kernelInitializer: (s, rng) => Float64Array.from({ length: s[0] * s[1] }, () => rng.normal() * 3) });
      return new Model({ inputs: x, outputs: out, dtype, threads: false }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam() });
    };
    const sha = (dtype: 'float32' | 'float64') => createHash('sha256').update(modelToBytes(build(dtype))).digest('hex');
    expect(sha('float32')).toBe('b01f220fc1a6981eb8dd6b6cbbc76e237e37d418aeeb15c01df15bf885e54e30');
    expect(sha('float64')).toBe('308396b9d8032699777942eee9f0262b82b07d517121dd3ab5c8140657f8d0c7');
  });

  it('cost nothing while the graph is built: a [784, 1000000] layer (3.1 GB as float32) takes no memory until compiled', () => {
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const g = new Graph();
    g.dense(g.input('x', [null, 784]), 1e6);
    expect(performance.now() - started).toBeLessThan(1000); // glorotUniform moves the Rng on in O(1)
    g.dense(g.input('x2', [null, 784]), 1e5, { kernelInitializer: 'heNormal' }); // steps over 39 million pairs, drawing none
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1e6);
    expect(g.parameters.map((p) => p.name)).toEqual(['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias']);
  }, 60_000);
});
