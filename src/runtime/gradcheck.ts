/**
 * Finite-difference gradient checks in float64, in random directions (as JAX's check_grads
 * does): for a function T of the inputs and its autodiff gradient G, compare ⟨G, v⟩ with the
 * central difference (T(x + εv) − T(x − εv)) / 2ε. Order 2 checks Hessian-vector products:
 * T = ⟨∇f, u⟩ for a random u, whose gradient is H·u, built by differentiating the gradient graph.
 */
import { GraphError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { grad } from '../graph/autodiff.ts';
import { Graph } from '../graph/graph.ts';
import type { Tensor } from '../graph/tensor.ts';
import { compile } from './compile.ts';

/** One input of a {@link gradCheck}: its shape and where its random values come from. */
export interface GradCheckInput {
  /** The input's shape. */
  shape: readonly number[];
  /**
   * Where values are drawn: 'normal' N(0,1) (default); 'positive' in [0.5, 2] (log, sqrt);
   * 'awayFromZero' ±[0.5, 2] (divisors, and kinks like relu and abs).
   */
  domain?: 'normal' | 'positive' | 'awayFromZero';
  /** An int input of class ids in [0, classes): not differentiated. */
  classes?: number;
}

/** Options of {@link gradCheck}. */
export interface GradCheckOptions {
  /** 1: gradients; 2: Hessian-vector products. Default 1. */
  order?: 1 | 2;
  /** Random directions per check (default 4). */
  directions?: number;
  /** Step of the central difference (default 1e-5). */
  epsilon?: number;
  /** Seed of the random inputs and directions (default 1). */
  seed?: number;
  /**
   * Check the function as a training program computes it (default false: as an inference
   * program does): what `inTrainPhase` and batchNorm take, and dropout (which then draws).
   */
  training?: boolean;
}

/** What {@link gradCheck} found. */
export interface GradCheckResult {
  /** The largest |analytic − numeric| / max(|analytic|, |numeric|) over the directions. */
  maxRelativeError: number;
  /** Autodiff's directional derivative, per direction. */
  analytic: number[];
  /** The central difference's, per direction. */
  numeric: number[];
}

/**
 * Checks the gradient of `build(...inputs)` (any shape: a non-scalar output is weighted by fixed
 * random numbers and summed) against central finite differences.
 *
 * @example
 * const { maxRelativeError } = gradCheck((x) => x.sigmoid().mul(x), [{ shape: [3, 4] }], { order: 2 });
 */
export function gradCheck(
  build: (...inputs: Tensor[]) => Tensor,
  inputs: readonly GradCheckInput[],
  options: GradCheckOptions = {},
): GradCheckResult {
  const { order = 1, directions = 4, epsilon = 1e-5, seed = 7, training = false } = options;
  const rng = new Rng(seed);
  const g = new Graph({ seed });
  const xs = inputs.map((spec, i) => g.input(`x${i}`, spec.shape, spec.classes ? 'int' : 'float'));
  const f = build(...xs);
  if (f.shape.some((d) => d === null)) throw new GraphError('gradCheck: the function must have a fully known shape');
  const size = (f.shape as number[]).reduce((a, b) => a * b, 1);
  const scalar = size === 1 ? f.sum() : f.mul(g.constant(randomValues(size, rng, 'normal'), f.shape as number[])).sum();
  const wrt = xs.filter((x) => x.dtype === 'float');
  if (wrt.length === 0) throw new GraphError('gradCheck: no float input to differentiate');

  // T and its gradient G: for order 2, T = ⟨∇f, u⟩ with u fed as extra inputs.
  let target = scalar;
  let gradients = grad(scalar, wrt);
  const us = wrt.map((x, i) => g.input(`u${i}`, x.shape));
  if (order === 2) {
    target = gradients.map((d, i) => d.mul(us[i]).sum()).reduce((a, b) => a.add(b));
    gradients = grad(target, wrt);
  }
  const program = compile(g, { outputs: [target, ...gradients], dtype: 'float64', training });

  const point = inputs.map((spec) => randomValues(size0(spec.shape), rng, spec.domain ?? 'normal', spec.classes));
  const feeds: Record<string, Float64Array> = {};
  inputs.forEach((_, i) => (feeds[`x${i}`] = point[i]));
  if (order === 2) wrt.forEach((_, i) => (feeds[`u${i}`] = randomValues(size0(wrt[i].shape as number[]), rng, 'normal')));
  const floatIndex = inputs.flatMap((spec, i) => (spec.classes ? [] : [i]));

  const [, ...grads] = program.run(feeds).map((a) => Float64Array.from(a));
  const evaluate = (shift: Float64Array[], sign: number) => {
    const shifted = { ...feeds };
    floatIndex.forEach((i, k) => (shifted[`x${i}`] = point[i].map((v, j) => v + sign * epsilon * shift[k][j])));
    return program.run(shifted)[0][0];
  };

  const analytic: number[] = [];
  const numeric: number[] = [];
  let maxRelativeError = 0;
  for (let d = 0; d < directions; d++) {
    const v = floatIndex.map((i) => randomValues(point[i].length, rng, 'normal'));
    const a = v.reduce((s, vk, k) => s + vk.reduce((t, x, j) => t + x * grads[k][j], 0), 0);
    const n = (evaluate(v, 1) - evaluate(v, -1)) / (2 * epsilon);
    analytic.push(a);
    numeric.push(n);
    const err = Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), 1e-10);
    maxRelativeError = Math.max(maxRelativeError, Number.isNaN(err) ? Infinity : err);
  }
  return { maxRelativeError, analytic, numeric };
}

function size0(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((a, b) => a * (b ?? 1), 1);
}

function randomValues(n: number, rng: Rng, domain: NonNullable<GradCheckInput['domain']>, classes?: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (classes) out[i] = rng.int(classes);
    else if (domain === 'positive') out[i] = rng.uniform(0.5, 2);
    else if (domain === 'awayFromZero') out[i] = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.5, 2);
    else out[i] = rng.normal();
  }
  return out;
}
