/**
 * Michael Nielsen's network.py (chapter 1 of Neural Networks and Deep Learning), ported to
 * TypeScript the way a learner ports it: plain number[][] in the column form (a sample is a column
 * [n, 1], w^l is [n_l, n_{l−1}], b^l a column [n_l, 1]), a per-sample backprop(x, y) returning
 * [nablaB, nablaW], and updateMiniBatch(miniBatch, eta) changing the net in place. With `cost:
 * 'crossEntropy'` BP1 is network2.py's CrossEntropyCost.delta, a − y.
 *
 * `bug` plants one classic bug, each where a learner writes it; checkBackprop should name it
 * (examples/find-the-bug.ts prints the table; test/nn/learn/network-py.test.ts checks it).
 */

/** The classic bugs, as written into the port. */
export const networkPyBugs = [
  'sigma-prime-of-a', // sigmoidPrime(activation) for sigmoidPrime(z), in BP1 and BP2
  'sigma-for-prime', // sigmoid(z) for sigmoidPrime(z), in BP1 and BP2
  'wrong-sign', // costDerivative returns y − a
  'w-not-transposed', // dot(w[l+1], delta) in BP2
  'bp4-transposed', // dot(a, deltaᵀ): the outer product in the wrong order
  'bias-not-delta', // nablaB of the output layer set to costDerivative (δ without σ′)
  'missing-1/m', // eta, not eta / miniBatch.length, in the update
  'eta-twice', // eta multiplied into the sums and again in the update
  'no-reset', // nablaB, nablaW made once in the constructor, summed into for ever
  'update-sign', // w + (eta/m)·nablaW
  'stale-pass', // backprop reads the z and a of the previous sample (feedforward run after, "for next time")
  'forward-sums', // z buffers made once, each sample's w·a + b added with +=
  'quadratic-delta-with-cross-entropy', // cost 'crossEntropy', but BP1 is (a − y) ⊙ σ′(z)
  'cross-entropy-delta-with-quadratic', // cost 'quadratic', but BP1 is a − y
] as const;
export type NetworkPyBug = (typeof networkPyBugs)[number];

export type Column = number[][];

// numpy's few functions, for number[][]: each checks shapes as numpy does, and says which.
const shape = (a: number[][]) => `(${a.length},${a[0]?.length ?? 0})`;
export function dot(a: number[][], b: number[][]): number[][] {
  if (a[0].length !== b.length) throw new Error(`dot: shapes ${shape(a)} and ${shape(b)} not aligned`);
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}
const elementwise = (name: string, f: (x: number, y: number) => number) => (a: number[][], b: number[][]) => {
  if (a.length !== b.length || a[0].length !== b[0].length) throw new Error(`${name}: operands could not be broadcast together with shapes ${shape(a)} ${shape(b)}`);
  return a.map((row, i) => row.map((v, j) => f(v, b[i][j])));
};
export const add = elementwise('add', (x, y) => x + y);
export const sub = elementwise('subtract', (x, y) => x - y);
export const mul = elementwise('multiply', (x, y) => x * y);
export const scale = (s: number, a: number[][]) => a.map((row) => row.map((v) => s * v));
export const transpose = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));
export const zerosLike = (a: number[][]) => a.map((row) => row.map(() => 0));
const apply = (f: (v: number) => number, a: number[][]) => a.map((row) => row.map(f));

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
export const sigmoidPrime = (z: number) => sigmoid(z) * (1 - sigmoid(z));

/** A seeded normal sampler (Box–Muller on a small LCG), so a port's runs repeat. */
function normals(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

export interface NetworkOptions {
  bug?: NetworkPyBug;
  cost?: 'quadratic' | 'crossEntropy';
  seed?: number;
}

export class Network {
  readonly numLayers: number;
  biases: Column[];
  weights: number[][][];
  private readonly bug?: NetworkPyBug;
  private readonly cost: 'quadratic' | 'crossEntropy';
  // State that only the buggy versions keep between calls.
  private nablaB: Column[];
  private nablaW: number[][][];
  private lastPass?: { zs: Column[]; activations: Column[] };
  private zBuffers: Column[];

  constructor(
    readonly sizes: number[],
    options: NetworkOptions = {},
  ) {
    const normal = normals(options.seed ?? 1);
    this.numLayers = sizes.length;
    this.biases = sizes.slice(1).map((n) => Array.from({ length: n }, () => [normal()]));
    this.weights = sizes.slice(1).map((n, i) => Array.from({ length: n }, () => Array.from({ length: sizes[i] }, normal)));
    this.bug = options.bug;
    this.cost = options.cost ?? 'quadratic';
    this.nablaB = this.biases.map(zerosLike);
    this.nablaW = this.weights.map(zerosLike);
    this.zBuffers = this.biases.map(zerosLike);
  }

  feedforward(a: Column): Column {
    for (let l = 0; l < this.weights.length; l++) a = apply(sigmoid, add(dot(this.weights[l], a), this.biases[l]));
    return a;
  }

  /** Stochastic gradient descent: `epochs` passes over the data in mini-batches of `miniBatchSize`. */
  sgd(trainingData: [Column, Column][], epochs: number, miniBatchSize: number, eta: number, onEpoch?: (epoch: number) => void): void {
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let k = 0; k < trainingData.length; k += miniBatchSize) this.updateMiniBatch(trainingData.slice(k, k + miniBatchSize), eta);
      onEpoch?.(epoch);
    }
  }

  /** One step of gradient descent on one mini-batch, by backpropagation. */
  updateMiniBatch(miniBatch: [Column, Column][], eta: number): void {
    let nablaB = this.bug === 'no-reset' ? this.nablaB : this.biases.map(zerosLike);
    let nablaW = this.bug === 'no-reset' ? this.nablaW : this.weights.map(zerosLike);
    for (const [x, y] of miniBatch) {
      const [deltaNablaB, deltaNablaW] = this.backprop(x, y);
      const s = this.bug === 'eta-twice' ? eta : 1;
      nablaB = nablaB.map((nb, l) => add(nb, scale(s, deltaNablaB[l])));
      nablaW = nablaW.map((nw, l) => add(nw, scale(s, deltaNablaW[l])));
    }
    if (this.bug === 'no-reset') [this.nablaB, this.nablaW] = [nablaB, nablaW];
    const step = this.bug === 'missing-1/m' ? eta : eta / miniBatch.length;
    const sign = this.bug === 'update-sign' ? -1 : 1;
    this.weights = this.weights.map((w, l) => sub(w, scale(sign * step, nablaW[l])));
    this.biases = this.biases.map((b, l) => sub(b, scale(sign * step, nablaB[l])));
  }

  /** [nablaB, nablaW]: the gradient of the cost C_x of one sample, layer by layer, like self.biases and self.weights. */
  backprop(x: Column, y: Column): [Column[], number[][][]] {
    const nablaB = this.biases.map(zerosLike);
    const nablaW = this.weights.map(zerosLike);
    // feedforward, keeping every z and activation
    let pass = this.forward(x);
    if (this.bug === 'stale-pass') {
      // The forum bug: backprop reads what the last feedforward left, then runs feedforward "for next time".
      [pass, this.lastPass] = [this.lastPass ?? pass, pass];
    }
    const { zs, activations } = pass;
    const prime = this.bug === 'sigma-prime-of-a' ? (l: number) => apply(sigmoidPrime, activations[l + 1]) : this.bug === 'sigma-for-prime' ? (l: number) => apply(sigmoid, zs[l]) : (l: number) => apply(sigmoidPrime, zs[l]);
    const L = this.numLayers - 1;
    // BP1
    const quadraticDelta = this.cost === 'quadratic' ? this.bug !== 'cross-entropy-delta-with-quadratic' : this.bug === 'quadratic-delta-with-cross-entropy';
    const costDerivative = this.costDerivative(activations[L], y);
    let delta = quadraticDelta ? mul(costDerivative, prime(L - 1)) : costDerivative;
    nablaB[L - 1] = this.bug === 'bias-not-delta' ? costDerivative : delta; // BP3
    nablaW[L - 1] = this.outer(delta, activations[L - 1]); // BP4
    for (let l = L - 2; l >= 0; l--) {
      // BP2
      const back = this.bug === 'w-not-transposed' ? dot(this.weights[l + 1], delta) : dot(transpose(this.weights[l + 1]), delta);
      delta = mul(back, prime(l));
      nablaB[l] = delta;
      nablaW[l] = this.outer(delta, activations[l]);
    }
    return [nablaB, nablaW];
  }

  /** ∂C_x/∂a for the output activations: a − y (both costs; the cross-entropy's σ′ cancels in BP1). */
  costDerivative(outputActivations: Column, y: Column): Column {
    return this.bug === 'wrong-sign' ? sub(y, outputActivations) : sub(outputActivations, y);
  }

  /** BP4: δ^l (a^{l−1})ᵀ. */
  private outer(delta: Column, aPrev: Column): number[][] {
    return this.bug === 'bp4-transposed' ? dot(aPrev, transpose(delta)) : dot(delta, transpose(aPrev));
  }

  private forward(x: Column): { zs: Column[]; activations: Column[] } {
    const zs: Column[] = [];
    const activations = [x];
    let a = x;
    for (let l = 0; l < this.weights.length; l++) {
      let z = add(dot(this.weights[l], a), this.biases[l]);
      if (this.bug === 'forward-sums') z = this.zBuffers[l] = add(this.zBuffers[l], z); // += into a buffer never reset
      zs.push(z);
      a = apply(sigmoid, z);
      activations.push(a);
    }
    return { zs, activations };
  }
}

/** The bug checkBackprop should name for each planted one, and the cost to check it with. */
export const expectedBug: Record<NetworkPyBug, { id: string; cost: 'quadratic' | 'crossEntropy' }> = {
  'sigma-prime-of-a': { id: 'sigma-prime-of-a-both', cost: 'quadratic' },
  'sigma-for-prime': { id: 'sigma-for-prime-both', cost: 'quadratic' },
  'wrong-sign': { id: 'wrong-sign', cost: 'quadratic' },
  'w-not-transposed': { id: 'w-not-transposed', cost: 'quadratic' },
  'bp4-transposed': { id: 'bp4-transposed', cost: 'quadratic' },
  'bias-not-delta': { id: 'bias-not-delta', cost: 'quadratic' },
  'missing-1/m': { id: 'missing-1/m', cost: 'quadratic' },
  'eta-twice': { id: 'eta-twice', cost: 'quadratic' },
  'no-reset': { id: 'no-reset', cost: 'quadratic' },
  'update-sign': { id: 'wrong-sign', cost: 'quadratic' },
  'stale-pass': { id: 'stale-pass', cost: 'quadratic' },
  'forward-sums': { id: 'forward-sums', cost: 'quadratic' },
  'quadratic-delta-with-cross-entropy': { id: 'quadratic-bp1-with-cross-entropy', cost: 'crossEntropy' },
  'cross-entropy-delta-with-quadratic': { id: 'cross-entropy-bp1-with-quadratic', cost: 'quadratic' },
};
