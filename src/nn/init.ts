/**
 * Seeded randomness and weight initializers. One Rng drives every random choice of a graph, so
 * the same seed gives the same parameters, bit for bit.
 */

/** A small, fast, seedable generator (mulberry32) with normal samples by Box–Muller. */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed = 1) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.state = Math.floor(seed) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Fills a tensor of `shape`; fan-in is shape[0] for a [nIn, nOut] kernel. */
export type InitializerFn = (shape: readonly number[], rng: Rng) => Float64Array;

export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'randomNormal'
  | 'lecunNormal'
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heNormal'
  | 'heUniform';

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

export function randomUniform(low: number, high: number): InitializerFn {
  return (shape, rng) => fill(shape, () => rng.uniform(low, high));
}

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

export const initializerNames = Object.keys(named) as InitializerName[];

export function resolveInitializer(init: Initializer): InitializerFn {
  if (typeof init === 'function') return init;
  const fn = named[init];
  if (!fn) throw new Error(`unknown initializer '${String(init)}'; known: ${initializerNames.join(', ')}`);
  return fn;
}
