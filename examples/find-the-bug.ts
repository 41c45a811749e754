/**
 * npx tsx examples/find-the-bug.ts [bug] — "check my backprop" on a hand-written backprop.
 *
 * The network of a well-known backprop question: a [1, 3, 1] sigmoid net with quadratic cost
 * that "converges randomly". Its backprop is written below the way Nielsen's chapter 2 writes it
 * (column form: w^l is [n_l, n_{l−1}], one sample per column), with a switch that plants one of
 * the classic bugs. checkBackprop runs it on random nets and batches against deltagraph's autodiff
 * and says which equation, at which layer, breaks first, and which classic bug reproduces the output.
 *
 * Without an argument it walks every bug; with one (e.g. `accumulate`) it checks only that one.
 */
import {
  checkBackprop,
  hadamard,
  map,
  matMul,
  matMulTransposeA,
  matMulTransposeB,
  matrix,
  scale,
  sigmoid,
  sub,
  type LearnerGradients,
  type LearnerNet,
  type Matrix,
} from 'deltagraph/reference';

const bugs = ['none', 'sigma-prime-of-a', 'sigma-not-prime', 'missing-1/m', 'w-not-transposed', 'bp4-transposed', 'accumulate', 'stale-forward', 'wrong-sign'] as const;
type Bug = (typeof bugs)[number];

/** b added to every column (every sample) of z. */
function addColumn(z: Matrix, b: Float64Array): Matrix {
  const out = matrix(z.rows, z.cols, z.data);
  for (let i = 0; i < z.rows; i++) for (let j = 0; j < z.cols; j++) out.data[i * z.cols + j] += b[i];
  return out;
}

/** The sum of each row: over the samples, which are columns here. */
function rowSums(a: Matrix): Float64Array {
  const sums = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) sums[i] += a.data[i * a.cols + j];
  return sums;
}

/** A learner's network: forward pass kept in fields, gradients summed into nablaW / nablaB. */
class HandWrittenNet {
  private zs: Matrix[] = [];
  private activations: Matrix[] = [];
  private nablaW: Matrix[] = [];
  private nablaB: Float64Array[] = [];

  constructor(private readonly bug: Bug) {}

  feedforward(net: LearnerNet, x: Matrix): void {
    this.zs = [];
    this.activations = [x];
    let a = x;
    net.weights.forEach((w, l) => {
      const z = addColumn(matMul(w, a), net.biases[l]); // z^l = w^l a^{l−1} + b^l
      a = map(z, sigmoid.f);
      this.zs.push(z);
      this.activations.push(a);
    });
  }

  /** The gradient of the batch-mean quadratic cost, as checkBackprop calls it. */
  gradient = (net: LearnerNet, x: Matrix, y: Matrix): LearnerGradients => {
    const L = net.weights.length;
    const m = x.cols;
    if (this.bug === 'stale-forward') {
      if (this.activations.length === 0 || this.activations[0].rows !== x.rows || this.zs.length !== L) this.feedforward(net, x);
    } else {
      this.feedforward(net, x);
    }
    if (this.bug !== 'accumulate' || this.nablaW.length !== L || this.nablaW[0].rows !== net.weights[0].rows) {
      this.nablaW = net.weights.map((w) => matrix(w.rows, w.cols));
      this.nablaB = net.biases.map((b) => new Float64Array(b.length));
    }
    const sigmaPrime =
      this.bug === 'sigma-prime-of-a' ? (z: number) => sigmoid.prime(sigmoid.f(z)) : this.bug === 'sigma-not-prime' ? sigmoid.f : sigmoid.prime;
    const deltas: Matrix[] = new Array(L);
    // BP1: δ^L = (a^L − y) ⊙ σ′(z^L), divided by m because the cost is the batch mean.
    const error = this.bug === 'wrong-sign' ? sub(y, this.activations[L]) : sub(this.activations[L], y);
    deltas[L - 1] = scale(hadamard(error, map(this.zs[L - 1], sigmaPrime)), this.bug === 'missing-1/m' ? 1 : 1 / m);
    // BP2: δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l)
    for (let l = L - 2; l >= 0; l--) {
      const back = this.bug === 'w-not-transposed' ? matMul(net.weights[l + 1], deltas[l + 1]) : matMulTransposeA(net.weights[l + 1], deltas[l + 1]);
      deltas[l] = hadamard(back, map(this.zs[l], sigmaPrime));
    }
    for (let l = 0; l < L; l++) {
      const nb = rowSums(deltas[l]); // BP3: ∂C/∂b^l = δ^l, summed over the samples
      // BP4: ∂C/∂w^l = δ^l (a^{l−1})ᵀ
      const nw = this.bug === 'bp4-transposed' ? matMulTransposeB(this.activations[l], deltas[l]) : matMulTransposeB(deltas[l], this.activations[l]);
      this.nablaB[l] = this.nablaB[l].map((v, i) => v + nb[i]);
      this.nablaW[l] = matrix(nw.rows, nw.cols, nw.data.map((v, i) => v + this.nablaW[l].data[i]));
    }
    if (this.bug === 'stale-forward') this.feedforward(net, x); // "ready for next time": the bug
    return { weights: this.nablaW, biases: this.nablaB, deltas };
  };
}

const chosen = process.argv[2];
if (chosen !== undefined && !bugs.includes(chosen as Bug)) {
  console.error(`unknown bug '${chosen}'; choose one of ${bugs.join(', ')}`);
  process.exit(1);
}
for (const bug of chosen ? [chosen as Bug] : bugs) {
  console.log(`\n=== planted bug: ${bug}`);
  const result = checkBackprop(new HandWrittenNet(bug).gradient, { form: 'column', sizes: [[1, 3, 1], [3, 3, 3]], calls: 3, batchSize: 4 });
  console.log(result.report);
}
