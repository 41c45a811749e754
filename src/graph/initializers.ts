/**
 * Weight initializers: named ones (Keras/TF.js names) and functions, drawing from the graph's
 * seeded Rng, so the same seed gives the same parameters, bit for bit.
 */
import { GraphError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';

/** Fills a tensor of `shape`; fan-in is shape[0] for a [nIn, nOut] kernel. */
export type InitializerFn = (shape: readonly number[], rng: Rng) => Float64Array;

/**
 * The names of the built-in initializers: `randomNormal` N(0, 1), `lecunNormal` N(0, 1/fanIn),
 * `glorotUniform`, `glorotNormal`, `heNormal`, `heUniform`, `zeros`, `ones`.
 */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'randomNormal'
  | 'lecunNormal'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heNormal'
  | 'heUniform';

/**
 * How a parameter gets its first values: a built-in's name or a function of the shape and the graph's
 * random numbers.
 */
export type Initializer = InitializerName | InitializerFn;

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

function fill(shape: readonly number[], sample: () => number): Float64Array {
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = sample();
  return out;
}

/** Normal with a given standard deviation; `randomNormal(1)` is Nielsen's N(0, 1). */
export function randomNormal(stddev = 1, mean = 0): InitializerFn {
  return (shape, rng) => fill(shape, () => mean + stddev * rng.normal());
}

/** An initializer drawing uniformly from [low, high). */
export function randomUniform(low: number, high: number): InitializerFn {
  return (shape, rng) => fill(shape, () => rng.uniform(low, high));
}

/** An initializer that fills every value with `value`. */
export function constantInit(value: number): InitializerFn {
  return (shape) => fill(shape, () => value);
}

const named: Record<InitializerName, InitializerFn> = {
  zeros: constantInit(0),
  ones: constantInit(1),
  randomNormal: randomNormal(1),
  // N(0, 1/n_in): Nielsen's improved initialisation (randn / sqrt(n_in)).
  lecunNormal: (shape, rng) => randomNormal(1 / Math.sqrt(fans(shape)[0]))(shape, rng),
  glorotUniform: (shape, rng) => {
    const [fanIn, fanOut] = fans(shape);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return randomUniform(-limit, limit)(shape, rng);
  },
  glorotNormal: (shape, rng) => {
    const [fanIn, fanOut] = fans(shape);
    return randomNormal(Math.sqrt(2 / (fanIn + fanOut)))(shape, rng);
  },
  heNormal: (shape, rng) => randomNormal(Math.sqrt(2 / fans(shape)[0]))(shape, rng),
  heUniform: (shape, rng) => {
    const limit = Math.sqrt(6 / fans(shape)[0]);
    return randomUniform(-limit, limit)(shape, rng);
  },
};

/** The names of the built-in initializers, for validation and help texts. */
export const initializerNames = Object.keys(named) as InitializerName[];

/** The function an initializer stands for; an unknown name is a `GraphError` listing the known ones. */
export function resolveInitializer(init: Initializer): InitializerFn {
  if (typeof init === 'function') return init;
  const fn = named[init];
  if (!fn) throw new GraphError(`unknown initializer '${String(init)}'; known: ${initializerNames.join(', ')}`);
  return fn;
}
