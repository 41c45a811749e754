import { describe, it, expect } from 'vitest';
import {
  addRowVector,
  columnSums,
  hadamard,
  map,
  matMul,
  matMulTransposeA,
  matMulTransposeB,
  matrix,
  scale,
  sub,
} from '../../../src/nn/reference/matrix.ts';
import type { Matrix } from '../../../src/nn/reference/matrix.ts';
import {
  backprop,
  equations,
  forward,
  identity,
  loss,
  relu,
  sigmoid,
  softmax,
  tanh,
} from '../../../src/nn/reference/backprop.ts';
import type {
  Activation,
  BackpropResult,
  Cost,
  Equations,
  Net,
} from '../../../src/nn/reference/backprop.ts';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** mulberry32: a tiny seeded RNG, so every run uses the same weights and data. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A matrix of uniform values in [lo, hi). */
function randomMatrix(rand: () => number, rows: number, cols: number, lo = -1, hi = 1): Matrix {
  return map(matrix(rows, cols), () => lo + (hi - lo) * rand());
}

/** m one-hot rows of width n. */
function oneHotRows(rand: () => number, m: number, n: number): Matrix {
  const y = matrix(m, n);
  for (let i = 0; i < m; i++) y.data[i * n + Math.floor(rand() * n)] = 1;
  return y;
}

function randomNet(
  rand: () => number,
  sizes: number[],
  hidden: Activation,
  output: Activation,
  cost: Cost,
): Net {
  const weights: Matrix[] = [];
  const biases: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) {
    weights.push(randomMatrix(rand, sizes[l - 1]!, sizes[l]!));
    biases.push(randomMatrix(rand, 1, sizes[l]!).data);
  }
  return { weights, biases, hidden, output, cost };
}

/**
 * Central finite differences of `loss` for every weight and bias:
 * (C(θ + h) − C(θ − h)) / 2h. Each parameter is nudged in place and restored.
 */
function numericalGradients(
  net: Net,
  x: Matrix,
  y: Matrix,
  h = 1e-6,
): { weightGradients: Matrix[]; biasGradients: Float64Array[] } {
  const derivative = (values: Float64Array, k: number): number => {
    const saved = values[k]!;
    values[k] = saved + h;
    const plus = loss(net, x, y);
    values[k] = saved - h;
    const minus = loss(net, x, y);
    values[k] = saved;
    return (plus - minus) / (2 * h);
  };
  const weightGradients = net.weights.map((w) => {
    const g = matrix(w.rows, w.cols);
    for (let k = 0; k < w.data.length; k++) g.data[k] = derivative(w.data, k);
    return g;
  });
  const biasGradients = net.biases.map((b) => {
    const g = new Float64Array(b.length);
    for (let k = 0; k < b.length; k++) g[k] = derivative(b, k);
    return g;
  });
  return { weightGradients, biasGradients };
}

/** ‖a − b‖ / max(‖a‖, ‖b‖); 0 when both are (numerically) zero. */
function relativeError(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    normA += a[i]! ** 2;
    normB += b[i]! ** 2;
  }
  const scaleOf = Math.sqrt(Math.max(normA, normB));
  return scaleOf < 1e-12 ? 0 : Math.sqrt(diff) / scaleOf;
}

/** The worst relative error over all weight and bias gradients (Infinity on a shape mismatch). */
function worstRelativeError(
  got: { weightGradients: Matrix[]; biasGradients: Float64Array[] },
  want: { weightGradients: Matrix[]; biasGradients: Float64Array[] },
): number {
  let worst = 0;
  got.weightGradients.forEach((g, i) => {
    const w = want.weightGradients[i]!;
    const sameShape = g.rows === w.rows && g.cols === w.cols;
    worst = Math.max(worst, sameShape ? relativeError(g.data, w.data) : Infinity);
  });
  got.biasGradients.forEach((g, i) => {
    worst = Math.max(worst, relativeError(g, want.biasGradients[i]!));
  });
  return worst;
}

// ---------------------------------------------------------------------------
// (a) Matrix helpers
// ---------------------------------------------------------------------------

describe('matrix helpers', () => {
  const a = matrix(2, 3, [1, 2, 3, 4, 5, 6]);
  const b = matrix(3, 2, [7, 8, 9, 10, 11, 12]);

  it('matrix() makes zeros, copies data and checks its length', () => {
    expect(Array.from(matrix(2, 2).data)).toEqual([0, 0, 0, 0]);
    const source = [1, 2];
    const m = matrix(1, 2, source);
    source[0] = 99;
    expect(Array.from(m.data)).toEqual([1, 2]);
    expect(() => matrix(2, 2, [1, 2, 3])).toThrow('matrix: a 2x2 matrix needs 4 values, got 3');
  });

  it('matMul, matMulTransposeA and matMulTransposeB on exact cases', () => {
    // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
    expect(matMul(a, b)).toEqual(matrix(2, 2, [58, 64, 139, 154]));
    // aᵀ·a, with aᵀ = [1 4; 2 5; 3 6]
    expect(matMulTransposeA(a, a)).toEqual(
      matrix(3, 3, [17, 22, 27, 22, 29, 36, 27, 36, 45]),
    );
    // a·aᵀ
    expect(matMulTransposeB(a, a)).toEqual(matrix(2, 2, [14, 32, 32, 77]));
    // They agree with matMul on an explicitly transposed matrix.
    const bT = matrix(2, 3, [7, 9, 11, 8, 10, 12]);
    expect(matMulTransposeA(bT, matrix(2, 2, [1, 0, 0, 1]))).toEqual(b); // bTᵀ·I = b
    expect(matMulTransposeB(a, bT)).toEqual(matMul(a, b));
  });

  it('elementwise helpers, addRowVector and columnSums', () => {
    const c = matrix(2, 3, [6, 5, 4, 3, 2, 1]);
    expect(hadamard(a, c)).toEqual(matrix(2, 3, [6, 10, 12, 12, 10, 6]));
    expect(sub(a, c)).toEqual(matrix(2, 3, [-5, -3, -1, 1, 3, 5]));
    expect(scale(a, 0.5)).toEqual(matrix(2, 3, [0.5, 1, 1.5, 2, 2.5, 3]));
    expect(map(a, (v) => v * v)).toEqual(matrix(2, 3, [1, 4, 9, 16, 25, 36]));
    expect(addRowVector(a, new Float64Array([10, 20, 30]))).toEqual(
      matrix(2, 3, [11, 22, 33, 14, 25, 36]),
    );
    expect(Array.from(columnSums(a))).toEqual([5, 7, 9]);
    // Nothing is written into the arguments.
    expect(a).toEqual(matrix(2, 3, [1, 2, 3, 4, 5, 6]));
  });

  it('shape errors name the function and both shapes', () => {
    expect(() => matMul(matrix(10, 784), matrix(30, 10))).toThrow(
      'matMul: a is 10x784, b is 30x10: inner dimensions differ',
    );
    expect(() => matMulTransposeA(a, matrix(3, 2))).toThrow(/^matMulTransposeA: a is 2x3, b is 3x2/);
    expect(() => matMulTransposeB(a, b)).toThrow(/^matMulTransposeB: a is 2x3, b is 3x2/);
    expect(() => hadamard(a, b)).toThrow('hadamard: a is 2x3, b is 3x2: shapes differ');
    expect(() => sub(a, b)).toThrow('sub: a is 2x3, b is 3x2: shapes differ');
    expect(() => addRowVector(a, new Float64Array(2))).toThrow(/^addRowVector: a is 2x3, v is 1x2/);
  });
});

// ---------------------------------------------------------------------------
// Activations and softmax
// ---------------------------------------------------------------------------

describe('activations and softmax', () => {
  it('prime is the derivative at z', () => {
    for (const act of [sigmoid, relu, tanh, identity]) {
      for (const z of [-2.3, -0.4, 0.7, 1.9]) {
        const numeric = (act.f(z + 1e-6) - act.f(z - 1e-6)) / 2e-6;
        expect(act.prime(z)).toBeCloseTo(numeric, 8);
      }
    }
    expect(relu.prime(0)).toBe(0);
    expect(sigmoid.f(-1000)).toBe(0);
    expect(sigmoid.f(1000)).toBe(1);
  });

  it('softmax and the softmax loss stay finite for huge inputs', () => {
    const z = matrix(2, 3, [1000, 1001, 1002, -1000, 0, 1000]);
    const s = softmax(z);
    expect(s.data.every(Number.isFinite)).toBe(true);
    expect(s.data[0]! + s.data[1]! + s.data[2]!).toBeCloseTo(1, 15);
    // A one-layer identity net that outputs these z exactly.
    const net: Net = {
      weights: [matrix(3, 3, [1, 0, 0, 0, 1, 0, 0, 0, 1])],
      biases: [new Float64Array(3)],
      hidden: identity,
      output: identity,
      cost: 'softmaxCrossEntropy',
    };
    const value = loss(net, z, matrix(2, 3, [1, 0, 0, 1, 0, 0]));
    // Row 1: −ln softmax = 1002 + ln(1 + e^-1 + e^-2) − 1000; row 2: about 2000.
    const row1 = 2 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
    expect(value).toBeCloseTo((row1 + 2000) / 2, 9);
  });
});

// ---------------------------------------------------------------------------
// (b) Gradients against central finite differences
// ---------------------------------------------------------------------------

describe('backprop matches central finite differences', () => {
  const setups: { cost: Cost; output: Activation }[] = [
    { cost: 'quadratic', output: sigmoid },
    { cost: 'quadratic', output: identity },
    { cost: 'crossEntropy', output: sigmoid },
    { cost: 'softmaxCrossEntropy', output: identity /* ignored: softmax is used */ },
  ];
  const sizesList = [
    [5, 4, 3],
    [6, 5, 4, 3],
  ];
  let seed = 1;
  for (const { cost, output } of setups) {
    for (const hidden of [sigmoid, relu, tanh]) {
      for (const sizes of sizesList) {
        const caseSeed = seed++;
        it(`${cost}, ${hidden.name} hidden, ${output.name} output, sizes [${sizes}]`, () => {
          const rand = mulberry32(caseSeed);
          const m = 4;
          const net = randomNet(rand, sizes, hidden, output, cost);
          const x = randomMatrix(rand, m, sizes[0]!);
          const nOut = sizes[sizes.length - 1]!;
          const y = cost === 'quadratic' ? randomMatrix(rand, m, nOut, 0, 1) : oneHotRows(rand, m, nOut);

          const analytic = backprop(net, x, y);
          const numeric = numericalGradients(net, x, y);

          expect(analytic.loss).toBe(loss(net, x, y));
          expect(worstRelativeError(analytic, numeric)).toBeLessThanOrEqual(1e-6);
          // Δ^l has one row per sample and one column per neuron.
          analytic.deltas.forEach((d, i) => {
            expect([d.rows, d.cols]).toEqual([m, sizes[i + 1]]);
          });
        });
      }
    }
  }

  it('refuses crossEntropy with a non-sigmoid output (its BP1 assumes σ)', () => {
    const rand = mulberry32(99);
    const net = randomNet(rand, [3, 2], sigmoid, tanh, 'crossEntropy');
    expect(() => backprop(net, randomMatrix(rand, 2, 3), oneHotRows(rand, 2, 2))).toThrow(
      /crossEntropy needs a sigmoid output/,
    );
  });

  it('reports mismatched layer shapes before doing any maths', () => {
    const rand = mulberry32(7);
    const net = randomNet(rand, [3, 2], sigmoid, sigmoid, 'quadratic');
    expect(() => forward(net, matrix(1, 4))).toThrow('net: W^1 is 3x2 but its input has 4 columns');
  });
});

// ---------------------------------------------------------------------------
// (c) A tiny case worked out by hand
// ---------------------------------------------------------------------------

describe('a 1-1-1 sigmoid net with quadratic cost, by hand', () => {
  // x = 1.5, y = 1, w1 = 0.8, b1 = −0.4, w2 = −1.2, b2 = 0.3, one sample (m = 1).
  //   z1 = w1·x + b1        = 0.8
  //   a1 = σ(z1)            = 0.6899744811276125
  //   z2 = w2·a1 + b2       = −0.5279693773531351
  //   a2 = σ(z2)            = 0.37099062292320806
  //   C  = ½(a2 − y)²       = 0.1978263982252669
  //   δ2 = (a2 − y)·σ'(z2)  = −0.14678347741649278      (BP1, σ' = σ(1 − σ))
  //   δ1 = δ2·w2·σ'(z1)     = 0.037678090930026546      (BP2)
  //   ∂C/∂b2 = δ2, ∂C/∂w2 = a1·δ2 = −0.10127685366855123 (BP3, BP4)
  //   ∂C/∂b1 = δ1, ∂C/∂w1 = x·δ1  = 0.056517136395039816
  const net: Net = {
    weights: [matrix(1, 1, [0.8]), matrix(1, 1, [-1.2])],
    biases: [new Float64Array([-0.4]), new Float64Array([0.3])],
    hidden: sigmoid,
    output: sigmoid,
    cost: 'quadratic',
  };

  it('gives the hand-computed forward pass, δs and gradients', () => {
    const { zs, activations } = forward(net, matrix(1, 1, [1.5]));
    expect(zs[0]!.data[0]).toBeCloseTo(0.8, 14);
    expect(activations[1]!.data[0]).toBeCloseTo(0.6899744811276125, 14);
    expect(zs[1]!.data[0]).toBeCloseTo(-0.5279693773531351, 14);
    expect(activations[2]!.data[0]).toBeCloseTo(0.37099062292320806, 14);

    const r = backprop(net, matrix(1, 1, [1.5]), matrix(1, 1, [1]));
    expect(r.loss).toBeCloseTo(0.1978263982252669, 14);
    expect(r.deltas[1]!.data[0]).toBeCloseTo(-0.14678347741649278, 14);
    expect(r.deltas[0]!.data[0]).toBeCloseTo(0.037678090930026546, 14);
    expect(r.biasGradients[1]![0]).toBeCloseTo(-0.14678347741649278, 14);
    expect(r.weightGradients[1]!.data[0]).toBeCloseTo(-0.10127685366855123, 14);
    expect(r.biasGradients[0]![0]).toBeCloseTo(0.037678090930026546, 14);
    expect(r.weightGradients[0]!.data[0]).toBeCloseTo(0.056517136395039816, 14);
  });

  it('a batch of the same sample twice gives the same mean loss and gradients', () => {
    const one = backprop(net, matrix(1, 1, [1.5]), matrix(1, 1, [1]));
    const two = backprop(net, matrix(2, 1, [1.5, 1.5]), matrix(2, 1, [1, 1]));
    expect(two.loss).toBeCloseTo(one.loss, 15);
    expect(worstRelativeError(two, one)).toBeLessThan(1e-15);
    // Each sample's δ row carries the 1/m: half of the single-sample δ.
    expect(two.deltas[1]!.data[0]).toBeCloseTo(one.deltas[1]!.data[0]! / 2, 15);
  });
});

// ---------------------------------------------------------------------------
// (d) Classic bugs are caught
// ---------------------------------------------------------------------------

describe('classic hand-written backprop bugs are caught', () => {
  /** A seeded problem and its correct gradients. */
  function problem(sizes: number[], cost: Cost) {
    const rand = mulberry32(2024);
    const m = 4;
    const net = randomNet(rand, sizes, sigmoid, sigmoid, cost);
    const x = randomMatrix(rand, m, sizes[0]!);
    const y = oneHotRows(rand, m, sizes[sizes.length - 1]!);
    return { net, x, y, correct: backprop(net, x, y) };
  }

  function errorWith(sizes: number[], cost: Cost, overrides: Partial<Equations>): number {
    const { net, x, y, correct } = problem(sizes, cost);
    const buggy: BackpropResult = backprop(net, x, y, overrides);
    return worstRelativeError(buggy, correct);
  }

  it("σ' taken at the activation instead of at z (BP2 override)", () => {
    const bp2: Equations['bp2'] = (wNext, deltaNext, z, f) =>
      hadamard(matMulTransposeB(deltaNext, wNext), map(z, (v) => f.prime(f.f(v))));
    expect(errorWith([5, 4, 3], 'quadratic', { bp2 })).toBeGreaterThan(1e-2);
    expect(errorWith([6, 5, 4, 3], 'softmaxCrossEntropy', { bp2 })).toBeGreaterThan(1e-2);
  });

  it("σ' taken at the activation, as a buggy Activation object", () => {
    const sigmoidPrimeOfActivation: Activation = {
      ...sigmoid,
      prime: (z) => sigmoid.prime(sigmoid.f(z)),
    };
    const { net, x, y, correct } = problem([5, 4, 3], 'quadratic');
    const buggy = backprop(
      { ...net, hidden: sigmoidPrimeOfActivation, output: sigmoidPrimeOfActivation },
      x,
      y,
    );
    expect(buggy.loss).toBe(correct.loss); // the forward pass is unchanged...
    expect(worstRelativeError(buggy, correct)).toBeGreaterThan(1e-2); // ...the gradients are not
  });

  it('BP4 transposed the wrong way round', () => {
    const bp4: Equations['bp4'] = (aPrev, delta) => matMulTransposeA(delta, aPrev);
    // On non-square layers the shape is wrong, and backprop says so.
    expect(() => errorWith([5, 4, 3], 'crossEntropy', { bp4 })).toThrow(
      'backprop: bp4 gave 4x5 for W^1, which is 5x4',
    );
    // On square layers the shape happens to fit; the values give it away.
    expect(errorWith([4, 4, 4], 'crossEntropy', { bp4 })).toBeGreaterThan(1e-2);
  });

  it('forgetting the 1/m of the batch mean', () => {
    const bp1: Equations['bp1'] = (ctx) => equations.bp1({ ...ctx, m: 1 });
    // With m = 4 every gradient is 4 times too large: relative error 3/4.
    expect(errorWith([5, 4, 3], 'softmaxCrossEntropy', { bp1 })).toBeCloseTo(0.75, 12);
    expect(errorWith([6, 5, 4, 3], 'quadratic', { bp1 })).toBeCloseTo(0.75, 12);
  });

  it('the correct equations passed as overrides change nothing', () => {
    expect(errorWith([6, 5, 4, 3], 'crossEntropy', { ...equations })).toBe(0);
  });
});
