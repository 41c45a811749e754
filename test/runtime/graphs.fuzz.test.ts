/**
 * Random graphs of random ops and shapes (a fast-check property, shrunk to the fewest steps and
 * the smallest shapes that fail): each compiles and runs (float32 close to float64), and its
 * gradient matches finite differences in float64. The feeds fuzz is in feeds.fuzz.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import fc from 'fast-check';
import { compile, gradCheck, Graph, type Tensor } from '../../src/index.ts';
import { fuzzParameters, fuzzRuns, timed } from '../fuzz.ts';

type Build = (a: Tensor, b: Tensor) => Tensor;

/** Smooth everywhere on the inputs gradCheck draws (kinks and poles kept away, exp bounded so that exp∘exp cannot overflow). */
const unary: Record<string, (x: Tensor) => Tensor> = {
  sigmoid: (x) => x.sigmoid(),
  tanh: (x) => x.tanh(),
  'exp(2·tanh)': (x) => x.tanh().mul(2).exp(),
  square: (x) => x.square(),
  neg: (x) => x.neg(),
  'log(x²+1)': (x) => x.square().add(1).log(),
  'sqrt(x²+1)': (x) => x.square().add(1).sqrt(),
  softplus: (x) => x.softplus(),
  softsign: (x) => x.softsign(),
  softmax: (x) => x.softmax(),
  logSoftmax: (x) => x.logSoftmax(),
  '(x²+1)^1.5': (x) => x.square().add(1).pow(1.5),
};
const binary: Record<string, (x: Tensor, y: Tensor) => Tensor> = {
  add: (x, y) => x.add(y),
  sub: (x, y) => x.sub(y),
  mul: (x, y) => x.mul(y),
  'div(y²+1)': (x, y) => x.div(y.square().add(1)),
};
const reductions: Record<string, (x: Tensor) => Tensor> = {
  'sum(1,keep)': (x) => x.sum(1, true),
  'mean(0,keep)': (x) => x.mean(0, true),
  'logSumExp(1,keep)': (x) => x.logSumExp(1, true),
  'sum(1).reshape': (x) => x.sum(1).reshape([-1, 1]),
};
const MATMUL = 'x·bᵀ·x';

/** A step of an expression over a [m,n] and b [m,n]: its name is what fast-check prints. */
const step = fc.constantFrom(...Object.keys(unary), ...Object.keys(binary).map((k) => `b:${k}`), ...Object.keys(reductions).map((k) => `r:${k}`), MATMUL);

/** The expression of `steps` over a and b. */
function builder(steps: readonly string[]): Build {
  return (a, b) => {
    let x = a;
    for (const s of steps) {
      if (s in unary) x = unary[s](x);
      else if (s.startsWith('b:')) x = binary[s.slice(2)](x, b.sum(1, true).add(x.mul(0)).add(b.mean()));
      else if (s.startsWith('r:')) x = reductions[s.slice(2)](x).add(x);
      else x = x.matMul(b, false, true).matMul(x).mul(0.1); // [m,n]·[n,m]·[m,n]
    }
    return x;
  };
}

describe('fuzz: random graphs (fast-check)', () => {
  it('compile, run (float32 ≈ float64) and pass gradCheck in float64', () => {
    let worst = 0;
    const dims = fc.integer({ min: 1, max: 4 });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 5 }), dims, dims, fc.nat({ max: 1000 }), (steps, m, n, seed) => {
        const build = builder(steps);
        timed(20_000, () => {
          const { maxRelativeError } = gradCheck(build, [{ shape: [m, n] }, { shape: [m, n] }], { seed, directions: 2 });
          worst = Math.max(worst, maxRelativeError);
          expect(maxRelativeError, 'gradCheck relative error in float64').toBeLessThan(1e-5);
          const g = new Graph({ seed });
          const out = build(g.input('a', [m, n]), g.input('b', [m, n]));
          const rng = new Rng(seed);
          const feeds = { a: Array.from({ length: m * n }, () => rng.normal()), b: Array.from({ length: m * n }, () => rng.normal()) };
          const [r64] = compile(g, { outputs: [out], dtype: 'float64' }).run(feeds);
          const [r32] = compile(g, { outputs: [out] }).run(feeds);
          const far = Array.from(r64).findIndex((v, i) => !(Math.abs(v - r32[i]) <= 1e-3 * Math.max(1, Math.abs(v))));
          expect(far === -1 ? '' : `float32 ${r32[far]} vs float64 ${r64[far]} at ${far}`, 'float32 ≈ float64').toBe('');
        });
      }),
      fuzzParameters(60, 3011),
    );
    console.log(`random graphs: ${fuzzRuns(60)} trials; worst gradCheck relative error ${worst.toExponential(2)}`);
  }, 120_000);
});
