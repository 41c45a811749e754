import { describe, expect, it } from 'vitest';
import { backprop, equations, forward, hadamard, map, matMul, matMulTransposeA, matrix, sigmoid, type Equations, type ForwardResult, type Matrix, type Net } from '../../../src/nn/reference/index.ts';
import { checkBackprop, type LearnerBackprop, type LearnerGradients, type LearnerNet } from '../../../src/nn/learn/index.ts';

// Learners in the row form, written with the reference's equations and a bug planted where the
// classic one lives.
const asNet = (net: LearnerNet): Net => ({ weights: net.weights, biases: net.biases, hidden: sigmoid, output: sigmoid, cost: 'quadratic' });
const out = (r: ReturnType<typeof backprop>, withDeltas = true): LearnerGradients => ({ weights: r.weightGradients, biases: r.biasGradients, ...(withDeltas ? { deltas: r.deltas } : {}) });
const rowLearner = (overrides: Partial<Equations> = {}, withDeltas = true): LearnerBackprop => (net, x, y) => out(backprop(asNet(net), x, y, overrides), withDeltas);

const transpose = (a: Matrix) => {
  const t = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  return t;
};

describe('checkBackprop gives a correct backprop a clean bill', () => {
  it('in the row form', () => {
    const result = checkBackprop(rowLearner(), { form: 'row' });
    expect(result.ok).toBe(true);
    expect(result.calls).toHaveLength(6);
    expect(result.explanations).toEqual([]);
    expect(result.report).toMatch(/^✓ Your backprop agrees with autodiff: 6 calls \(your function on batches of m = 4\) on random \[4,5,3\] and \[3,3,3,3\] nets .*largest relative difference \d\.\de[-+]\d+\./);
  });

  it("in Nielsen's column form (w is [n_l, n_{l−1}], samples are columns)", () => {
    const column: LearnerBackprop = (net, x, y) => {
      expect([net.weights[0].rows, net.weights[0].cols]).toEqual([net.sizes[1], net.sizes[0]]);
      const r = backprop({ ...asNet(net), weights: net.weights.map(transpose) }, transpose(x), transpose(y));
      return { weights: r.weightGradients.map(transpose), biases: r.biasGradients, deltas: r.deltas.map(transpose) };
    };
    expect(checkBackprop(column, { form: 'column' }).ok).toBe(true);
    // The same function declared as row form is caught at once.
    expect(checkBackprop(column, { form: 'row' }).ok).toBe(false);
  });
});

describe('checkBackprop finds the classic bugs, names the equation and layer, and the bug', () => {
  it("σ′ taken of a instead of z in BP2: 'BP2 at layer 1'", () => {
    const r = checkBackprop(rowLearner({ bp2: (w, d, z, f) => equations.bp2(w, d, map(z, f.f), f) }), { form: 'row' });
    expect(r.ok).toBe(false);
    expect(r.firstFailure).toMatchObject({ call: 1, equation: 'BP2', layer: 1 });
    expect(r.explanations).toEqual([expect.stringMatching(/^σ′ taken of the activation .* in BP2/)]);
    expect(r.report).toMatch(/First wrong: BP2 at layer 1, on call 1/);
    expect(r.report).toMatch(/layer 2 +BP1 +δ2 .* ok\n +layer 2 +BP3 .* ok\n +layer 2 +BP4 .* ok\n +layer 1 +BP2 +δ1 .* WRONG/);
  });

  it("σ used where σ′ was meant, in BP1 only: 'BP1 at layer 2'", () => {
    const r = checkBackprop(rowLearner({ bp1: (ctx) => equations.bp1({ ...ctx, f: { ...ctx.f, prime: ctx.f.f } }) }), { form: 'row' });
    expect(r.firstFailure).toMatchObject({ call: 1, equation: 'BP1', layer: 2 });
    expect(r.bugs.map((b) => b.id)).toEqual(['sigma-for-prime-bp1']);
    expect(r.explanations).toEqual([expect.stringMatching(/^σ used where σ′ was meant \(the activation, not its derivative\), in BP1 \(the output layer\): use σ′\(z\)/)]);
  });

  it("missing 1/m: 'BP1 at the output'", () => {
    const r = checkBackprop(rowLearner({ bp1: (ctx) => equations.bp1({ ...ctx, m: 1 }) }), { form: 'row' });
    expect(r.firstFailure).toMatchObject({ equation: 'BP1', layer: 2 });
    expect(r.explanations).toEqual([expect.stringMatching(/^missing 1\/m/)]);
  });

  it('w not transposed in BP2: a shape error on [4,5,3], the bug named from the square net', () => {
    const r = checkBackprop(rowLearner({ bp2: (w, d, z, f) => hadamard(matMul(d, w), map(z, f.prime)) }), { form: 'row' });
    expect(r.firstFailure).toMatchObject({ call: 1 });
    expect(r.firstFailure!.problem).toMatch(/^your function threw: matMul: a is 4x3, b is 5x3: inner dimensions differ/);
    expect(r.explanations).toEqual([expect.stringMatching(/^w not transposed in BP2/)]);
  });

  it('BP4 transposed: the shape names it on [4,5,3], the values on the square net', () => {
    const r = checkBackprop(rowLearner({ bp4: (a, d) => matMulTransposeA(d, a) }), { form: 'row' });
    // The reference itself refuses the wrong shape, so this learner returns transposes only where they fit.
    expect(r.firstFailure!.problem).toMatch(/bp4 gave 5x4 for W\^1, which is 4x5/);
    const lax: LearnerBackprop = (net, x, y) => {
      const g = out(backprop(asNet(net), x, y));
      return { ...g, weights: g.weights.map(transpose) };
    };
    const r2 = checkBackprop(lax, { form: 'row' });
    expect(r2.firstFailure).toMatchObject({ equation: 'BP4', layer: 2 });
    expect(r2.firstFailure!.problem).toMatch(/∂C\/∂w2 is 3×5 but w2 is 5×3: it is transposed \(BP4 is \(a\^\{l−1\}\)ᵀ δ\^l\)/);
    expect(r2.explanations).toEqual([expect.stringMatching(/^BP4 transposed/)]);
  });

  it('gradients accumulated without a reset: call 1 right, call 2 wrong at BP3', () => {
    let sum: { weights: Matrix[]; biases: Float64Array[] } | null = null;
    const accumulating: LearnerBackprop = (net, x, y) => {
      const g = out(backprop(asNet(net), x, y)) as { weights: Matrix[]; biases: Float64Array[]; deltas: Matrix[] };
      const add = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);
      if (!sum || sum.weights[0].rows !== g.weights[0].rows || sum.weights.length !== g.weights.length) sum = { weights: g.weights.map((w) => matrix(w.rows, w.cols)), biases: g.biases.map((b) => new Float64Array(b.length)) };
      sum = { weights: sum.weights.map((w, i) => matrix(w.rows, w.cols, add(w.data, g.weights[i].data))), biases: sum.biases.map((b, i) => add(b, g.biases[i])) };
      return { ...sum, deltas: g.deltas }; // the deltas are fresh each call; only the gradients pile up
    };
    const r = checkBackprop(accumulating, { form: 'row' });
    expect(r.firstFailure).toMatchObject({ call: 2, equation: 'BP3', layer: 2 });
    expect(r.report).toMatch(/The call before on this net was right/);
    expect(r.bugs.map((b) => b.id)).toEqual(['no-reset']);
    expect(r.explanations).toEqual([expect.stringMatching(/^accumulators not reset/)]);
  });

  it("a stale forward pass: backprop on the previous call's z and a", () => {
    let last: ForwardResult | null = null;
    const stale: LearnerBackprop = (net, x, y) => {
      const pass: ForwardResult = last && last.activations[0].cols === x.cols && last.zs.length === net.weights.length ? last : forward(asNet(net), x);
      last = forward(asNet(net), x); // the forward pass for "next time"
      return out(backprop(asNet(net), x, y, {}, pass));
    };
    const r = checkBackprop(stale, { form: 'row' });
    expect(r.firstFailure).toMatchObject({ call: 2, equation: 'BP1', layer: 2 });
    expect(r.bugs.map((b) => b.id)).toEqual(['stale-pass']);
    expect(r.diagnosis).toMatchObject({ where: 'forward', call: 2 });
    expect(r.report).toMatch(/First wrong: the forward pass that backprop reads \(z and a\), on call 2/);
  });

  it('wrong sign', () => {
    const flipped: LearnerBackprop = (net, x, y) => {
      const g = out(backprop(asNet(net), x, y));
      const neg = (m: Matrix) => ({ ...m, data: m.data.map((v) => -v) });
      return { weights: g.weights.map(neg), biases: g.biases.map((b) => Float64Array.from(b as ArrayLike<number>, (v) => -v)), deltas: g.deltas!.map(neg) };
    };
    const r = checkBackprop(flipped, { form: 'row' });
    expect(r.firstFailure).toMatchObject({ equation: 'BP1', layer: 2 });
    expect(r.explanations).toEqual([expect.stringMatching(/^wrong sign/)]);
  });

  it('without δ, names the equations a wrong ∂C/∂b can come from', () => {
    const r = checkBackprop(rowLearner({ bp2: (w, d, z, f) => equations.bp2(w, d, map(z, f.f), f) }, false), { form: 'row' });
    expect(r.firstFailure).toMatchObject({ equation: 'BP2', layer: 1 });
    expect(r.firstFailure!.quantities.map((q) => q.name)).toEqual(['∂C/∂b2', '∂C/∂w2', '∂C/∂b1', '∂C/∂w1']);
  });

  it('two bugs at once: the place is found, and no single classic bug is claimed', () => {
    const r = checkBackprop(rowLearner({ bp1: (ctx) => equations.bp1({ ...ctx, m: 1 }), bp2: (w, d, z, f) => equations.bp2(w, d, map(z, f.f), f) }), { form: 'row' });
    expect(r.firstFailure).toMatchObject({ equation: 'BP1', layer: 2 });
    expect(r.explanations).toEqual([]);
    expect(r.report).toMatch(/No classic bug reproduces your output on its own: compare your BP1 at layer 2 with the equation/);
    // The fallback names no bug, so a search of the report for one finds nothing.
    expect(r.report).not.toMatch(/1\/m|transposed|stale|sign|σ′ of a/);
  });

  it('softmax cross-entropy with ReLU hidden layers', () => {
    const relu = rowLearner();
    const softmaxNet: LearnerBackprop = (net, x, y) => {
      const r = backprop({ ...asNet(net), hidden: { name: 'relu', f: (z) => Math.max(z, 0), prime: (z) => (z > 0 ? 1 : 0) }, cost: 'softmaxCrossEntropy' }, x, y);
      return out(r);
    };
    expect(checkBackprop(softmaxNet, { form: 'row', hidden: 'relu', cost: 'softmaxCrossEntropy' }).ok).toBe(true);
    expect(checkBackprop(relu, { form: 'row', hidden: 'relu', cost: 'softmaxCrossEntropy' }).ok).toBe(false);
  });

  it('a function that throws, or returns the wrong arrays: reported, and no bug claimed without evidence', () => {
    const r = checkBackprop(() => {
      throw new Error('index out of range');
    }, { form: 'column' });
    expect(r.firstFailure).toMatchObject({ call: 1, problem: 'your function threw: index out of range' });
    expect(r.explanations).toEqual([]);
    const short = checkBackprop((net, x, y) => ({ ...rowLearner()(net, x, y), biases: [] }), { form: 'row' });
    expect(short.firstFailure!.problem).toBe('your function returned 2 weight and 0 bias gradients for 2 layers');
  });

  it('refuses bad options clearly', () => {
    expect(() => checkBackprop(rowLearner(), { form: 'rows' as never })).toThrow(/form must be 'column'/);
    expect(() => checkBackprop(rowLearner(), { form: 'row', batchSize: 0 })).toThrow(/batchSize must be a whole number ≥ 1/);
    expect(checkBackprop(rowLearner(), { form: 'row', batchSize: 1 }).ok).toBe(true);
    expect(() => checkBackprop(rowLearner(), { form: 'row', hidden: 'swish' as never })).toThrow(/hidden must be sigmoid, relu or tanh/);
  });
});
