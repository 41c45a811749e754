import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Tensor } from '../../src/index.ts';
import { softmaxCrossEntropy as crossEntropyLoss } from '../../src/nn/losses.ts';

/** Runs outputs built on graph g (constants only) in float64. */
function run(g: Graph, outputs: Tensor[], feeds = {}): number[][] {
  return compile(g, { outputs, dtype: 'float64' }).run(feeds).map((r) => Array.from(r));
}
const close = (values: number[], digits = 12) => values.map((v) => (Number.isFinite(v) ? expect.closeTo(v, digits) : v));

describe('pow with a tensor exponent (TF.js pow)', () => {
  it('elementwise and broadcast, with Math.pow at NaN: a⁰ = 1 (values of the TF.js pow tests)', () => {
    const g = new Graph();
    const a = g.constant([[1, -2, -3], [0, 7, 1]]);
    const b = g.constant([[5, 3, 4], [5, 2, -3]]);
    const [[...same], [...row], [...nan]] = run(g, [a.pow(b), a.pow(g.constant([2, 3, 0])), g.constant([NaN, 3, NaN, 0]).pow(g.constant([1, -3, 1, 0]))]);
    expect(same).toEqual([1, -8, 81, 0, 49, 1]);
    expect(row).toEqual([1, -8, 1, 0, 343, 1]);
    expect(nan).toEqual(close([NaN, 1 / 27, NaN, 1]));
    expect(run(g, [g.constant([NaN, 2]).pow(0)])[0]).toEqual([1, 1]);
  });

  it('a number exponent is a scalar constant: x.pow(3) is pow(x, 3)', () => {
    const g = new Graph();
    const x = g.constant([1.5, -2, 0.5]);
    expect(x.pow(3).node.op).toBe('pow');
    expect(run(g, [x.pow(3), x.pow(g.constant(3))])).toEqual([[3.375, -8, 0.125], [3.375, -8, 0.125]]);
  });

  it('gradients w.r.t. base and exponent: dy·b·a^(b−1) and dy·y·ln a, 0 where a ≤ 0 (as TF.js)', () => {
    const g = new Graph();
    const a = g.input('a', [4]);
    const b = g.input('b', [4]);
    const dy = [1, 5, 10, 2];
    const [da, db] = grad(a.pow(b).mul(g.constant(dy)).sum(), [a, b]);
    const av = [-1, 0.5, 2, 0];
    const bv = [2, 0.3, 0, 3];
    const [gotA, gotB] = run(g, [da, db], { a: av, b: bv });
    expect(gotA).toEqual(close(av.map((x, i) => dy[i] * bv[i] * x ** (bv[i] - 1))));
    expect(gotA).toEqual(close([-2, 5 * 0.3 * 0.5 ** -0.7, 0, 0]));
    expect(gotB).toEqual(close([0, 5 * 0.5 ** 0.3 * Math.log(0.5), 10 * Math.log(2), 0]));
    // the scalar case of the TF.js tests: 5², dy 3 → 30 and 3·25·ln 5
    const h = new Graph();
    const [s, t] = [h.input('s', []), h.input('t', [])];
    const [ds, dt] = grad(s.pow(t).mul(3), [s, t]);
    expect(run(h, [ds, dt], { s: [5], t: [2] })).toEqual([[30], close([75 * Math.log(5)])]);
  });

  it('refuses exponents that do not broadcast, naming both shapes', () => {
    const g = new Graph();
    expect(() => g.constant([1, 2, 3]).pow(g.constant([1, 2]))).toThrow(/pow.*\[3\].*\[2\]/s);
  });
});

describe('step(alpha)', () => {
  it('is 1 where x > 0, else alpha; NaN stays NaN (TF.js step tests)', () => {
    const g = new Graph();
    const x = g.constant([1, -2, -0.01, 3, -0.1, 0, NaN]);
    const [plain, withAlpha] = run(g, [x.step(), x.step(0.1)]);
    expect(plain).toEqual([1, 0, 0, 1, 0, 0, NaN]);
    expect(withAlpha).toEqual([1, 0.1, 0.1, 1, 0.1, 0.1, NaN]);
  });

  it('runs the same in float32 on the wasm kernel (alpha 0) and the JS kernel (other alphas)', () => {
    const g = new Graph();
    const x = g.input('x', [9]);
    const xs = [1, -2, -0.5, 3, -0.1, 0, 2, -3, 0.25];
    for (const alpha of [0, -0.5]) {
      const program = compile(g, { outputs: [x.step(alpha)] });
      expect(Array.from(program.run({ x: xs })[0])).toEqual(xs.map((v) => (v > 0 ? 1 : alpha)));
      expect(program.stats.backends).toEqual(alpha === 0 ? { js: 0, wasm: 1, webgpu: 0 } : { js: 1, wasm: 0, webgpu: 0 });
    }
  });

  it('refuses an alpha that is not a number', () => {
    const g = new Graph();
    expect(() => g.constant([1]).step('a' as unknown as number)).toThrow(/step: alpha must be a number, got a/);
  });
});

describe('oneHot(depth, onValue, offValue)', () => {
  it('writes onValue at the id and offValue elsewhere (TF.js oneHot tests)', () => {
    const g = new Graph();
    const ids = g.constant([0, 1], [2], 'int');
    expect(run(g, [ids.oneHot(2, 5, -3), ids.oneHot(3), g.constant([2, 0], [2], 'int').oneHot(3, 0.9, 0.05)])).toEqual([
      [5, -3, -3, 5],
      [1, 0, 0, 0, 1, 0],
      [0.05, 0.05, 0.9, 0.9, 0.05, 0.05],
    ]);
  });

  it('takes depth 1 and float ids holding whole numbers (TF.js refuses both)', () => {
    const g = new Graph();
    expect(run(g, [g.constant([0, 0], [2], 'int').oneHot(1), g.constant([2, 1]).oneHot(3)])).toEqual([[1, 1], [0, 0, 1, 0, 1, 0]]);
  });

  it('refuses an id out of [0, depth) or not whole at run time, naming it (TF.js gives a row of offValue)', () => {
    for (const id of [3, -1, 1.5]) {
      const g = new Graph();
      const ids = g.input('ids', [2]);
      const program = compile(g, { outputs: [ids.oneHot(3)] });
      expect(() => program.run({ ids: [0, id] })).toThrow(new RegExp(`value ${id} at index 1 is not a class id in \\[0, 3\\)`));
    }
    const g = new Graph();
    const made = g.constant([0, 1]).log().oneHot(3); // log 0 = −∞ inside the graph
    expect(() => run(g, [made])).toThrow(/value -Infinity at index 0 is not a class id in \[0, 3\)/);
  });

  it('refuses a depth that is not a positive whole number, and non-finite on/off values, where the graph is built', () => {
    const g = new Graph();
    const ids = g.constant([0, 1], [2], 'int');
    expect(() => ids.oneHot(0)).toThrow(/oneHot: depth must be a positive whole number, got 0/);
    expect(() => ids.oneHot(2.5)).toThrow(/depth must be a positive whole number, got 2.5/);
    expect(() => ids.oneHot(3, NaN)).toThrow(/onValue and offValue must be finite numbers, got NaN and 0/);
  });
});

describe('softmaxCrossEntropy with label smoothing (TF.js labelSmoothing)', () => {
  const logits = [[2, -1, 0.5, 0], [0.1, 0.2, -3, 1]];
  const ids = [2, 0];
  const eps = 0.2;
  const k = 4;
  /** −Σ y' ln softmax(z), y' = y(1 − ε) + ε/k: TF.js's formula, row by row. */
  const expected = (y: number[][]) =>
    logits.map((z, r) => {
      const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
      return -z.reduce((s, v, j) => s + (y[r][j] * (1 - eps) + eps / k) * (v - lse), 0);
    });
  const oneHotRows = ids.map((id) => Array.from({ length: k }, (_, j) => (j === id ? 1 : 0)));

  it('gives TF.js values from class ids and from rows, and its gradient is softmax(z) − smoothed y', () => {
    const g = new Graph();
    const z = g.input('z', [2, k]);
    const fromIds = z.softmaxCrossEntropy(g.constant(ids, [2], 'int'), { labelSmoothing: eps });
    const fromRows = z.softmaxCrossEntropy(g.constant(oneHotRows), { labelSmoothing: eps });
    const [dz] = grad(fromIds.sum(), [z]);
    const [a, b, d] = run(g, [fromIds, fromRows, dz], { z: logits.flat() });
    expect(a).toEqual(close(expected(oneHotRows)));
    expect(b).toEqual(close(expected(oneHotRows)));
    const softmax = logits.map((row) => row.map((v) => Math.exp(v) / row.reduce((s, u) => s + Math.exp(u), 0)));
    expect(d).toEqual(close(softmax.flatMap((row, r) => row.map((p, j) => p - (oneHotRows[r][j] * (1 - eps) + eps / k)))));
    const [plain] = run(g, [z.softmaxCrossEntropy(g.constant(ids, [2], 'int'), { labelSmoothing: 0 })], { z: logits.flat() });
    expect(plain).toEqual(softmax.map((row, r) => expect.closeTo(-Math.log(row[ids[r]]), 12)));
  });

  it('in the nn loss, where the stabilizer keeps the smoothed rows (not the class ids) and no pass fuses them as plain one-hot rows', () => {
    const g = new Graph();
    const z = g.input('z', [null, k]);
    const labels = g.input('y', [null], 'int');
    const loss = crossEntropyLoss(z, labels, { labelSmoothing: eps });
    const [dz] = grad(loss, [z]);
    const program = compile(g, { outputs: [loss, dz] });
    const [value, gradient] = program.run({ z: logits.flat(), y: ids });
    expect(value[0]).toBeCloseTo((expected(oneHotRows)[0] + expected(oneHotRows)[1]) / 2, 5);
    const softmax = logits.map((row) => row.map((v) => Math.exp(v) / row.reduce((s, u) => s + Math.exp(u), 0)));
    Array.from(gradient).forEach((v, i) => {
      const [r, j] = [Math.floor(i / k), i % k];
      expect(v).toBeCloseTo((softmax[r][j] - (oneHotRows[r][j] * (1 - eps) + eps / k)) / 2, 6);
    });
  });

  it('refuses a smoothing outside [0, 1]', () => {
    const g = new Graph();
    const z = g.constant(logits);
    expect(() => z.softmaxCrossEntropy(g.constant(ids, [2], 'int'), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be a number in \[0, 1\], got 1.5/);
  });
});

describe('softmax and logSoftmax along any axis (TF.js: the last only)', () => {
  it('along axis 0 equals the last axis of the transpose', () => {
    const g = new Graph();
    const x = g.constant([[1, 2, 3], [4, 0, -1]]);
    const [a, b, c, d] = run(g, [x.softmax(0), x.transpose().softmax(-1).transpose(), x.logSoftmax(0), x.transpose().logSoftmax().transpose()]);
    expect(a).toEqual(close(b, 15));
    expect(c).toEqual(close(d, 14));
    expect(a[0] + a[3]).toBeCloseTo(1, 15);
  });
});

describe('relu and sign at NaN (TF.js relu propagates NaN; its sign gives 0, deltagraph NaN as numpy)', () => {
  it('relu([1, −2, 0, 3, −0.1, NaN]) = [1, 0, 0, 3, 0, NaN]; sign(NaN) = NaN', () => {
    const g = new Graph();
    const x = g.constant([1, -2, 0, 3, -0.1, NaN]);
    for (const dtype of ['float32', 'float64'] as const) {
      const [relu, sign] = compile(g, { outputs: [x.relu(), x.sign()], dtype }).run();
      expect(Array.from(relu)).toEqual([1, 0, 0, 3, 0, NaN]);
      expect(Array.from(sign)).toEqual([1, -1, 0, 1, -1, NaN]);
    }
  });
});
