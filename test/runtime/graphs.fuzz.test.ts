/**
 * Random graphs of random ops and shapes: each compiles and runs (float32 close to float64), and
 * its gradient matches finite differences in float64; random feeds of every kind get a result or
 * a RunError, never another error.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import { compile, DeltaGraphError, gradCheck, Graph, RunError, type Tensor } from '../../src/index.ts';
import { fuzzRuns, Tally } from '../fuzz.ts';

type Build = (a: Tensor, b: Tensor) => Tensor;

/** Smooth everywhere on the inputs gradCheck draws (kinks and poles kept away, exp bounded so that exp∘exp cannot overflow). */
const unary: ((x: Tensor) => Tensor)[] = [
  (x) => x.sigmoid(),
  (x) => x.tanh(),
  (x) => x.tanh().mul(2).exp(),
  (x) => x.square(),
  (x) => x.neg(),
  (x) => x.square().add(1).log(),
  (x) => x.square().add(1).sqrt(),
  (x) => x.softplus(),
  (x) => x.softsign(),
  (x) => x.softmax(),
  (x) => x.logSoftmax(),
  (x) => x.square().add(1).pow(1.5),
];
const binary: ((x: Tensor, y: Tensor) => Tensor)[] = [
  (x, y) => x.add(y),
  (x, y) => x.sub(y),
  (x, y) => x.mul(y),
  (x, y) => x.div(y.square().add(1)),
];
const reductions: ((x: Tensor) => Tensor)[] = [(x) => x.sum(1, true), (x) => x.mean(0, true), (x) => x.logSumExp(1, true), (x) => x.sum(1).reshape([-1, 1])];

/** A random expression of `depth` ops over a [m,n] and b [m,n], as a builder and a readable form. */
function randomGraph(rng: Rng, depth: number): { build: Build; text: string } {
  const steps: { kind: string; i: number }[] = Array.from({ length: depth }, () => {
    const r = rng.next();
    return r < 0.5 ? { kind: 'u', i: rng.int(unary.length) } : r < 0.8 ? { kind: 'b', i: rng.int(binary.length) } : r < 0.9 ? { kind: 'r', i: rng.int(reductions.length) } : { kind: 'm', i: 0 };
  });
  const build: Build = (a, b) => {
    let x = a;
    for (const s of steps) {
      if (s.kind === 'u') x = unary[s.i](x);
      else if (s.kind === 'b') x = binary[s.i](x, b.sum(1, true).add(x.mul(0)).add(b.mean()));
      else if (s.kind === 'r') x = reductions[s.i](x).add(x);
      else x = x.matMul(b, false, true).matMul(x).mul(0.1); // [m,n]·[n,m]·[m,n]
    }
    return x;
  };
  return { build, text: steps.map((s) => `${s.kind}${s.i}`).join(' ') };
}

describe('fuzz: random graphs', () => {
  it('compile, run (float32 ≈ float64) and pass gradCheck in float64', () => {
    const runs = fuzzRuns(60);
    const rng = new Rng(3011);
    const tally = new Tally(20_000);
    let worst = 0;
    for (let t = 0; t < runs; t++) {
      const { build, text } = randomGraph(rng, 1 + rng.int(5));
      const m = 1 + rng.int(4);
      const n = 1 + rng.int(4);
      tally.record(
        `graph ${t} (${text}) [${m},${n}]`,
        () => {
          const { maxRelativeError } = gradCheck(build, [{ shape: [m, n] }, { shape: [m, n] }], { seed: t, directions: 2 });
          worst = Math.max(worst, maxRelativeError);
          if (!(maxRelativeError < 1e-5)) throw new Error(`gradCheck: relative error ${maxRelativeError}`);
          const g = new Graph({ seed: t });
          const out = build(g.input('a', [m, n]), g.input('b', [m, n]));
          const feeds = { a: Array.from({ length: m * n }, () => rng.normal()), b: Array.from({ length: m * n }, () => rng.normal()) };
          const [r64] = compile(g, { outputs: [out], dtype: 'float64' }).run(feeds);
          const [r32] = compile(g, { outputs: [out] }).run(feeds);
          const close = Array.from(r64).every((v, i) => Math.abs(v - r32[i]) <= 1e-3 * Math.max(1, Math.abs(v)));
          return close ? 'identical' : 'silent difference';
        },
        () => false, // every error is a failure here
      );
    }
    console.log(`${tally.summary('random graphs')}; worst gradCheck relative error ${worst.toExponential(2)}`);
    expect(tally.failures.slice(0, 5)).toEqual([]);
  }, 120_000);
});

describe('fuzz: random feeds', () => {
  const pick = <T,>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];
  const values = [0, 1, -1, 0.5, 1e39, -1e39, NaN, Infinity, 1e-40, 3.4e38, '1', null, undefined, 1n, {}, [1]];

  function randomFeed(rng: Rng): unknown {
    const n = pick(rng, [0, 1, 2, 3, 4, 6, 8, 12]);
    const clean = () => Array.from({ length: n }, () => rng.normal());
    switch (rng.int(9)) {
      case 0:
        return Float32Array.from(clean());
      case 1:
        return Float64Array.from(clean(), (v, i) => (i === 0 && rng.next() < 0.5 ? pick(rng, [1e39, NaN, -Infinity]) : v));
      case 2:
        return clean().map((v) => (rng.next() < 0.1 ? pick(rng, values) : v));
      case 3:
        return { data: clean(), shape: pick(rng, [[n / 4, 4], [n], [2, 2], [-1, 4], [n / 4, 4, 1], ['2', 4]]) };
      case 4:
        return new BigInt64Array(n);
      case 5:
        return pick(rng, values);
      case 6:
        return Int32Array.from(clean(), Math.round);
      case 7:
        return [clean().slice(0, 4), clean().slice(0, 4)];
      default:
        return new Uint8Array(n);
    }
  }

  it('give a result or a RunError, never another error', () => {
    const runs = fuzzRuns(1500);
    const rng = new Rng(77);
    const tally = new Tally();
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 4]);
    const labels = g.input('labels', [null], 'int');
    const loss = g.dense(x, 3, { activation: 'relu' }).softmaxCrossEntropy(labels).mean();
    const programs = [compile(g, { outputs: [loss] }), compile(g, { outputs: [loss], dtype: 'float64' })];
    for (let t = 0; t < runs; t++) {
      const feeds: Record<string, unknown> = {};
      if (rng.next() < 0.95) feeds.x = randomFeed(rng);
      if (rng.next() < 0.9) feeds.labels = rng.next() < 0.7 ? Int32Array.from({ length: pick(rng, [1, 2, 3]) }, () => rng.int(4) - (rng.next() < 0.1 ? 1 : 0)) : randomFeed(rng);
      if (rng.next() < 0.05) feeds[pick(rng, ['y', 'X', '__proto__', 'constructor'])] = [1];
      const whole = rng.next() < 0.03 ? pick(rng, [null, 'x', 5, [], new Float32Array(4)]) : feeds;
      tally.record(
        `feeds ${t}`,
        () => {
          const [value] = programs[t % 2].run(whole as never);
          // A result must come from finite, valid feeds: a finite loss.
          return Number.isFinite(value[0]) ? 'identical' : 'silent difference';
        },
        (e) => e instanceof RunError || (e instanceof DeltaGraphError && /labels|class/.test(e.message)),
      );
    }
    console.log(tally.summary('random feeds'));
    expect(tally.failures.slice(0, 5)).toEqual([]);
  }, 120_000);
});
