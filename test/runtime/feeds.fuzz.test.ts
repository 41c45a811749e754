/**
 * Feeds of every kind, good and bad (a fast-check property, shrunk to the smallest feeds that
 * fail): a run gives a finite loss or a RunError (or a DeltaGraphError about labels), never
 * another error and never a non-finite result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, DeltaGraphError, Graph, RunError } from '../../src/index.ts';
import { fuzzParameters, Outcomes, timed } from '../fuzz.ts';

const odd = [0, 1, -1, 0.5, 1e39, -1e39, NaN, Infinity, 1e-40, 3.4e38, '1', null, undefined, 1n, {}, [1]];
const clean = fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { maxLength: 12 });

/** One fed value: typed arrays of every kind, arrays with odd values, data with a shape, nested arrays, non-arrays. */
const feed: fc.Arbitrary<unknown> = fc.oneof(
  clean.map((a) => Float32Array.from(a)),
  fc.tuple(clean, fc.constantFrom(1e39, NaN, -Infinity), fc.boolean()).map(([a, bad, use]) => Float64Array.from(a, (v, i) => (i === 0 && use ? bad : v))),
  fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(...odd)), { maxLength: 12 }),
  fc.tuple(clean, fc.nat({ max: 5 })).map(([a, k]) => ({ data: a, shape: [[a.length / 4, 4], [a.length], [2, 2], [-1, 4], [a.length / 4, 4, 1], ['2', 4]][k] })),
  fc.nat({ max: 12 }).map((n) => new BigInt64Array(n)),
  fc.constantFrom(...odd),
  clean.map((a) => Int32Array.from(a, Math.round)),
  fc.tuple(clean, clean).map(([a, b]) => [a.slice(0, 4), b.slice(0, 4)]),
  fc.nat({ max: 12 }).map((n) => new Uint8Array(n)),
);
const labels = fc.oneof({ weight: 7, arbitrary: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 1, maxLength: 3 }).map((a) => Int32Array.from(a)) }, { weight: 3, arbitrary: feed });
/** The feeds object: x and labels, either may be missing, sometimes a misspelt or prototype key, rarely not an object at all. */
/** Mostly ordinary numbers, now and then one beyond float32, not finite or subnormal. */
const value = fc.oneof({ weight: 30, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1e39, -1e39, 1e-40, 3.4e38) });
/** Feeds of the right form, n rows of x and n labels (so that runs also reach the kernels and give results), x of any array kind. */
const wellFormed = fc.integer({ min: 1, max: 3 }).chain((rows) =>
  fc.record({
    x: fc
      .tuple(fc.array(value, { minLength: rows * 4, maxLength: rows * 4 }), fc.constantFrom('Float32Array', 'Float64Array', 'Array'))
      .map(([a, kind]) => (kind === 'Array' ? a : kind === 'Float32Array' ? Float32Array.from(a) : Float64Array.from(a))),
    labels: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: rows, maxLength: rows }).map((a) => Int32Array.from(a)),
  }),
);
const feeds = fc.oneof(
  { weight: 10, arbitrary: wellFormed },
  { weight: 30, arbitrary: fc.record({ x: feed, labels, extra: fc.constantFrom('y', 'X', '__proto__', 'constructor') }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 'x', 5, [], new Float32Array(4)).map((whole) => ({ whole })) },
);

describe('fuzz: random feeds (fast-check)', () => {
  it('give a finite loss or a RunError, never another error', () => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 4]);
    const y = g.input('labels', [null], 'int');
    const loss = g.dense(x, 3, { activation: 'relu' }).softmaxCrossEntropy(y).mean();
    const programs = [compile(g, { outputs: [loss] }), compile(g, { outputs: [loss], dtype: 'float64' })];
    const outcomes = new Outcomes();
    fc.assert(
      fc.property(feeds, fc.nat({ max: 1 }), (given, which) => {
        let run: unknown = given;
        if (!('whole' in given)) {
          const built: Record<string, unknown> = {};
          if ('x' in given) built.x = given.x;
          if ('labels' in given) built.labels = given.labels;
          if ('extra' in given && given.extra !== undefined) built[given.extra] = [1]; // '__proto__' sets the prototype, as a careless copy would
          run = built;
        } else run = given.whole;
        timed(5000, () => {
          let value: ArrayLike<number>;
          try {
            [value] = programs[which].run(run as never);
          } catch (e) {
            if (e instanceof RunError || (e instanceof DeltaGraphError && /labels|class/.test(e.message))) return outcomes.add('clean error');
            throw e;
          }
          // A result must come from finite, valid feeds: a finite loss.
          expect(value[0], 'a result from these feeds').toSatisfy(Number.isFinite);
          outcomes.add('result');
        });
      }),
      fuzzParameters(1500, 77),
    );
    console.log(outcomes.summary('random feeds'));
    expect(outcomes.get('result')).toBeGreaterThan(0);
  }, 120_000);
});
