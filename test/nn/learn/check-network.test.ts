/**
 * checkBackprop on code written the way learners write it: a port of network.py (per-sample
 * backprop, updateMiniBatch), number[][] values, the numpy tutorials' batched row form.
 */
import { describe, expect, it } from 'vitest';
import { backprop, checkBackprop, forward, matrix, sigmoid, type LearnerBackprop, type Matrix, type Net, type NetworkLike } from '../../../src/nn/reference/index.ts';
import { expectedBug, Network, networkPyBugs, type Column, type NetworkPyBug } from '../../../examples/network-py.ts';

const shapes = [
  [3, 3, 3],
  [4, 5, 3],
  [2, 4, 3, 2],
];

const check = (bug: NetworkPyBug | undefined, sizes: number[][], seed = 1) => {
  const cost = bug ? expectedBug[bug].cost : 'quadratic';
  return checkBackprop({ network: (s) => new Network(s, { bug, cost }) }, { form: 'column', cost, sizes, seed });
};

/** Where each planted bug must send the learner: the first thing the code gets wrong. */
const places: Record<NetworkPyBug, (L: number) => { where: string; layer?: number }> = {
  'sigma-prime-of-a': (L) => ({ where: 'BP1', layer: L }),
  'sigma-for-prime': (L) => ({ where: 'BP1', layer: L }),
  'wrong-sign': (L) => ({ where: 'BP1', layer: L }),
  'w-not-transposed': (L) => ({ where: 'BP2', layer: L - 1 }),
  'bp4-transposed': (L) => ({ where: 'BP4', layer: L }),
  'bias-not-delta': (L) => ({ where: 'BP3', layer: L }),
  'missing-1/m': () => ({ where: 'update' }),
  'eta-twice': () => ({ where: 'update' }),
  'no-reset': () => ({ where: 'update' }),
  'update-sign': () => ({ where: 'update' }),
  'stale-pass': () => ({ where: 'forward' }),
  'forward-sums': () => ({ where: 'forward' }),
  'quadratic-delta-with-cross-entropy': (L) => ({ where: 'BP1', layer: L }),
  'cross-entropy-delta-with-quadratic': (L) => ({ where: 'BP1', layer: L }),
};

describe('checkBackprop on a port of network.py: every classic bug named right on every net', () => {
  it('the correct port gets a clean bill on each net', () => {
    for (const sizes of shapes) {
      const r = check(undefined, [sizes]);
      expect(r.ok, `[${sizes}]`).toBe(true);
      expect(r.report).toMatch(/^✓ Your backprop agrees with autodiff: 15 calls \(backprop\(x, y\) sample by sample and updateMiniBatch on mini-batches of m = 4, η = 3\)/);
    }
  });

  for (const bug of networkPyBugs) {
    it(`${bug}: named alone, at the right place, on [3,3,3], [4,5,3] and [2,4,3,2]`, () => {
      for (const sizes of shapes) {
        const r = check(bug, [sizes]);
        expect(r.ok).toBe(false);
        expect(r.bugs.map((b) => b.id), `${bug} on [${sizes}]`).toEqual([expectedBug[bug].id]);
        expect(r.diagnosis, `${bug} on [${sizes}]`).toMatchObject(places[bug](sizes.length - 1));
        // The report names the bug once, with its fix.
        expect(r.report.match(/^ {2}- /gm)).toHaveLength(1);
      }
    });
  }

  it('W not transposed throws on a net whose widths differ: the report names the equation the shapes point at', () => {
    const r = check('w-not-transposed', [[4, 5, 3]]);
    expect(r.firstFailure).toMatchObject({ call: 1, kind: 'backprop', problem: 'backprop(x, y) threw: dot: shapes (3,5) and (3,1) not aligned' });
    expect(r.report).toMatch(/First wrong: BP2 at layer 1, on call 1 .*\nThe shapes point at BP2 at layer 1/);
    // The values came from a square net of the same depth, tried because the shapes failed.
    expect(r.calls.filter((c) => c.probe).map((c) => c.sizes.join())).toContain('3,3,3');
    expect(r.report).toMatch(/a square \[3,3,3\] net was tried too/);
  });

  it('a bias gradient that is not δ, with no δ returned: BP3, never BP1 (∂C/∂w^L is right, so δ^L is)', () => {
    const r = check('bias-not-delta', [[4, 5, 3]]);
    expect(r.firstFailure).toMatchObject({ equation: 'BP3', layer: 2 });
    expect(r.report).toMatch(/First wrong: BP3 at layer 2/);
    expect(r.report).not.toMatch(/BP1 at/);
  });

  it('stateful bugs: the first call on a fresh net is right, the report says the bug depends on what ran before', () => {
    for (const bug of ['stale-pass', 'forward-sums'] as const) {
      const r = check(bug, [[4, 5, 3]]);
      expect(r.calls[0].ok).toBe(true);
      expect(r.diagnosis).toMatchObject({ where: 'forward', call: 2 });
      expect(r.report).toMatch(/The call before on this net was right: the bug depends on what ran before/);
    }
    const r = check('no-reset', [[4, 5, 3]]);
    expect(r.calls.find((c) => c.kind === 'update')!.ok).toBe(true); // the first mini-batch
    expect(r.diagnosis).toMatchObject({ where: 'update', call: 14 });
  });
});

/** The same port with deltagraph matrices, flat bias arrays, and an update that returns new weights instead of changing the net. */
class FunctionalNetwork implements NetworkLike {
  weights: Matrix[];
  biases: number[][];
  private readonly inner: Network;
  constructor(sizes: number[], bug?: NetworkPyBug) {
    this.inner = new Network(sizes, { bug });
    this.weights = this.inner.weights.map(toMatrix);
    this.biases = this.inner.biases.map((b) => b.map((row) => row[0]));
  }
  private sync() {
    this.inner.weights = this.weights.map(toArrays);
    this.inner.biases = this.biases.map((b) => b.map((v) => [v]));
  }
  backprop(x: Matrix, y: Matrix): [number[][], Matrix[]] {
    this.sync();
    const [nb, nw] = this.inner.backprop(toArrays(x), toArrays(y));
    return [nb.map((b) => b.map((row) => row[0])), nw.map(toMatrix)];
  }
  updateMiniBatch(miniBatch: [Matrix, Matrix][], eta: number): { weights: Matrix[]; biases: number[][] } {
    this.sync();
    const before = { weights: this.inner.weights, biases: this.inner.biases };
    this.inner.updateMiniBatch(miniBatch.map(([x, y]) => [toArrays(x), toArrays(y)]), eta);
    const after = { weights: this.inner.weights.map(toMatrix), biases: this.inner.biases.map((b) => b.map((row) => row[0])) };
    [this.inner.weights, this.inner.biases] = [before.weights, before.biases]; // the net itself is left as it was
    return after;
  }
}
const toMatrix = (a: number[][]): Matrix => matrix(a.length, a[0].length, a.flat());
const toArrays = (m: Matrix): Column => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));

describe('checkBackprop takes the styles learners write', () => {
  it('deltagraph matrices, flat biases, an update that returns new weights: right, and each update bug named', () => {
    expect(checkBackprop({ network: (s) => new FunctionalNetwork(s) }, { form: 'column' }).ok).toBe(true);
    for (const bug of ['missing-1/m', 'no-reset', 'sigma-prime-of-a', 'bias-not-delta'] as const) {
      const r = checkBackprop({ network: (s) => new FunctionalNetwork(s, bug) }, { form: 'column' });
      expect(r.bugs.map((b) => b.id), bug).toEqual([expectedBug[bug].id]);
    }
  });

  it('only updateMiniBatch (no backprop exposed): bugs inside backprop are named from the steps', () => {
    const updateOnly = (bug?: NetworkPyBug) => ({
      network: (s: number[]) => {
        const n = new Network(s, { bug });
        return { get weights() { return n.weights; }, set weights(w) { n.weights = w; }, get biases() { return n.biases; }, set biases(b) { n.biases = b; }, updateMiniBatch: n.updateMiniBatch.bind(n) };
      },
    });
    expect(checkBackprop(updateOnly(), { form: 'column' }).ok).toBe(true);
    const r = checkBackprop(updateOnly('sigma-for-prime'), { form: 'column' });
    expect(r.firstFailure).toMatchObject({ kind: 'update', call: 1 });
    expect(r.bugs.map((b) => b.id)).toEqual(['sigma-for-prime-both']);
    expect(r.report).toMatch(/for the step divided by −η/);
  });

  it("the numpy tutorials' batched row form with number[][] (X·W + b, ReLU, softmax cross-entropy)", () => {
    const dot = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
    const T = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));
    const numpyStyle =
      (bug?: 'no-1/m' | 'db-not-delta') =>
      ({ weights, biases }: { weights: number[][][]; biases: Float64Array[] }, X: number[][], Y: number[][]) => {
        const m = X.length;
        const A = [X];
        const Z: number[][][] = [];
        weights.forEach((W, l) => {
          const z = dot(A[l], W).map((row) => row.map((v, j) => v + biases[l][j]));
          Z.push(z);
          const last = l === weights.length - 1;
          A.push(last ? z.map((row) => { const e = row.map((v) => Math.exp(v - Math.max(...row))); const s = e.reduce((p, q) => p + q); return e.map((v) => v / s); }) : z.map((row) => row.map((v) => Math.max(v, 0))));
        });
        const L = weights.length;
        const dW: number[][][] = [];
        const db: number[][] = [];
        let dZ = A[L].map((row, i) => row.map((v, j) => (v - Y[i][j]) / (bug === 'no-1/m' ? 1 : m)));
        for (let l = L - 1; l >= 0; l--) {
          dW[l] = dot(T(A[l]), dZ);
          db[l] = bug === 'db-not-delta' && l === L - 1 ? dZ[0] : dZ[0].map((_, j) => dZ.reduce((s, row) => s + row[j], 0));
          if (l > 0) dZ = dot(dZ, T(weights[l])).map((row, i) => row.map((v, j) => (Z[l - 1][i][j] > 0 ? v : 0)));
        }
        return { weights: dW, biases: db };
      };
    const options = { form: 'row', arrays: 'arrays', hidden: 'relu', cost: 'softmaxCrossEntropy' } as const;
    expect(checkBackprop(numpyStyle(), options).ok).toBe(true);
    expect(checkBackprop(numpyStyle('no-1/m'), options).bugs.map((b) => b.id)).toEqual(['missing-1/m']);
    const r = checkBackprop(numpyStyle('db-not-delta'), options);
    expect(r.diagnosis).toMatchObject({ where: 'BP3', layer: 2 });
    expect(r.bugs.map((b) => b.id)).toEqual(['bias-not-delta']);
  });

  it('a network in the row form: w^l is [n_{l−1}, n_l], a sample is a row [1, n_0], biases rows', () => {
    const T = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));
    const rowNetwork = (bug?: NetworkPyBug) => (sizes: number[]) => {
      const inner = new Network(sizes, { bug });
      return {
        weights: inner.weights.map(T),
        biases: inner.biases.map(T),
        backprop(x: number[][], y: number[][]) {
          [inner.weights, inner.biases] = [this.weights.map(T), this.biases.map(T)];
          const [nb, nw] = inner.backprop(T(x), T(y));
          return [nb.map(T), nw.map(T)];
        },
      };
    };
    expect(checkBackprop({ network: rowNetwork() }, { form: 'row' }).ok).toBe(true);
    expect(checkBackprop({ network: rowNetwork() }, { form: 'column' }).ok).toBe(false);
    const r = checkBackprop({ network: rowNetwork('w-not-transposed') }, { form: 'row' });
    expect(r.bugs.map((b) => b.id)).toEqual(['w-not-transposed']);
    expect(r.diagnosis).toMatchObject({ where: 'BP2', layer: 1 });
  });

  it('a stale forward pass per batch: this batch under the weights before the last update', () => {
    let previous: Net | null = null;
    const stale: LearnerBackprop = (net, x, y) => {
      const now: Net = { weights: net.weights, biases: net.biases, hidden: sigmoid, output: sigmoid, cost: 'quadratic' };
      const pass = forward(previous && previous.weights[0].rows === now.weights[0].rows && previous.weights.length === now.weights.length ? previous : now, x);
      previous = now;
      const g = backprop(now, x, y, {}, pass);
      return { weights: g.weightGradients, biases: g.biasGradients };
    };
    const r = checkBackprop(stale, { form: 'row' });
    expect(r.bugs.map((b) => b.id)).toEqual(['stale-weights']);
    expect(r.diagnosis).toMatchObject({ where: 'forward', call: 2 });
  });

  it('a bug it does not know: the first wrong quantity, and no bug named anywhere in the report', () => {
    class Odd extends Network {
      override backprop(x: Column, y: Column): [Column[], number[][][]] {
        const [nb, nw] = super.backprop(x, y);
        nw[0][0][0] += 0.5; // one weight gradient entry off
        return [nb, nw];
      }
    }
    const r = checkBackprop({ network: (s) => new Odd(s) }, { form: 'column' });
    expect(r.bugs).toEqual([]);
    expect(r.diagnosis).toMatchObject({ where: 'BP4', layer: 1, call: 1 });
    expect(r.report).toMatch(/No classic bug reproduces your output on its own: compare your BP4 at layer 1 with the equation/);
    expect(r.report.split('\n').slice(1).join('\n')).not.toMatch(/1\/m|transposed|stale|sign|σ′|reset|η/); // the first line says what ran
  });

  it('an update bug it does not know: sent to the update, not to an equation backprop gets right', () => {
    class Clipped extends Network {
      override updateMiniBatch(miniBatch: [Column, Column][], eta: number): void {
        super.updateMiniBatch(miniBatch, eta);
        this.weights = this.weights.map((w) => w.map((row) => row.map((v) => Math.max(-0.5, Math.min(0.5, v))))); // clips every weight
      }
    }
    const r = checkBackprop({ network: (s) => new Clipped(s) }, { form: 'column' });
    expect(r.bugs).toEqual([]);
    expect(r.diagnosis).toMatchObject({ where: 'update', call: 13 });
    expect(r.report).toMatch(/backprop\(x, y\) was right on every sample, so compare how updateMiniBatch sums the gradients and steps/);
    expect(r.report).not.toMatch(/First wrong: BP/);
  });

  it('refuses a network it cannot use, saying what it needs', () => {
    expect(() => checkBackprop({ network: () => { throw new Error('sizes is undefined'); } }, { form: 'column' })).toThrow(/network\(\[4,5,3\]\) threw: sizes is undefined/);
    expect(() => checkBackprop({ network: () => ({ weights: [], biases: [] }) }, { form: 'column' })).toThrow(/network\(\[4,5,3\]\) must make a net with weights and biases arrays of 2 layers/);
    expect(() => checkBackprop({ network: (s) => ({ weights: new Network(s).weights, biases: new Network(s).biases }) }, { form: 'column' })).toThrow(/needs a backprop\(x, y\) or an updateMiniBatch\(miniBatch, eta\) method/);
    expect(() => checkBackprop({ network: (s) => new Network(s) }, { form: 'column', eta: 0 })).toThrow(/eta must be > 0/);
  });
});
