/**
 * Weight initializers: named ones (Keras/TF.js names) and functions, drawing from the graph's
 * seeded Rng, so the same seed gives the same parameters, bit for bit.
 *
 * A graph keeps no initial values for the named initializers and those made by randomNormal,
 * randomUniform and constantInit: it keeps how to draw them (a `Draw`) and where its Rng was
 * (`ParameterInit`), and moves its Rng on as the draws would. The device fills its own memory with
 * `fillInitial`, in its precision, when it first places the parameter: a large layer costs its
 * device's bytes once, and nothing while the graph is built. The values are those the draws give
 * in float64, rounded once to float32 on a float32 device, as they always were.
 */
import { GraphError } from '../core/errors.ts';
import { Rng, type RngPosition } from '../core/rng.ts';

/** Fills a tensor of `shape`; fan-in is shape[0] for a [nIn, nOut] kernel. */
export interface InitializerFn {
  (shape: readonly number[], rng: Rng): Float64Array;
  /** How the values are drawn, when the graph may draw them later (set by the initializers made here). */
  readonly draw?: (shape: readonly number[]) => Draw;
}

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

/** How element after element of an initial value is drawn from an Rng, in order. */
export type Draw =
  | {
      /** Every element is `value`; nothing is drawn. */
      readonly kind: 'constant';
      /** The value of every element. */
      readonly value: number;
    }
  | {
      /** `rng.uniform(low, high)` per element. */
      readonly kind: 'uniform';
      /** The lower bound (included). */
      readonly low: number;
      /** The upper bound (excluded). */
      readonly high: number;
    }
  | {
      /** `mean + stddev · rng.normal()` per element. */
      readonly kind: 'normal';
      /** The mean. */
      readonly mean: number;
      /** The standard deviation. */
      readonly stddev: number;
    };

/**
 * A parameter's initial value as a graph keeps it: given values, or a draw from the graph's Rng
 * where it stood when the parameter was made.
 */
export type ParameterInit =
  | {
      /** The initial values, given (or made by an initializer function of the user's). */
      readonly values: Float64Array;
    }
  | {
      /** How each element is drawn. */
      readonly draw: Draw;
      /** How many elements. */
      readonly size: number;
      /** Where the graph's Rng stood when the parameter was made: the first draw is from here. */
      readonly from: RngPosition;
    };

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Element i of `out` ← the i-th value of `draw`, from `rng` (which moves on). One loop per kind, so each stays fast. */
function drawInto(out: Float32Array | Float64Array, draw: Draw, rng: Rng): void {
  const n = out.length;
  if (draw.kind === 'constant') out.fill(draw.value);
  else if (draw.kind === 'uniform') rng.fillUniform(out, draw.low, draw.high);
  else {
    const { mean, stddev } = draw;
    for (let i = 0; i < n; i++) out[i] = mean + stddev * rng.normal();
  }
}

/** Moves `rng` on as drawing `size` values of `draw` would, without drawing them. */
export function skipDraw(rng: Rng, draw: Draw, size: number): void {
  if (draw.kind === 'uniform') rng.skipUniform(size);
  else if (draw.kind === 'normal') rng.skipNormal(size);
}

/**
 * Fills `out` (a device's memory, or a staging array before an upload) with a parameter's initial
 * values, in `out`'s precision: the one place initial values are made.
 */
export function fillInitial(out: Float32Array | Float64Array, init: ParameterInit): void {
  if ('values' in init) out.set(init.values);
  else drawInto(out, init.draw, Rng.at(init.from));
}

/** A parameter's initial values in float64 (for saving or reading a parameter no device holds yet). */
export function initialValues(init: ParameterInit): Float64Array {
  const out = new Float64Array('values' in init ? init.values.length : init.size);
  fillInitial(out, init);
  return out;
}

/** An initializer from a draw: called, it fills a Float64Array from `rng`; a graph keeps only the draw. */
function drawn(draw: (shape: readonly number[]) => Draw): InitializerFn {
  const fn = (shape: readonly number[], rng: Rng) => {
    const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
    drawInto(out, draw(shape), rng);
    return out;
  };
  return Object.assign(fn, { draw });
}

/** Normal with a given standard deviation; `randomNormal(1)` is Nielsen's N(0, 1). */
export function randomNormal(stddev = 1, mean = 0): InitializerFn {
  return drawn(() => ({ kind: 'normal', mean, stddev }));
}

/** An initializer drawing uniformly from [low, high). */
export function randomUniform(low: number, high: number): InitializerFn {
  return drawn(() => ({ kind: 'uniform', low, high }));
}

/** An initializer that fills every value with `value`. */
export function constantInit(value: number): InitializerFn {
  return drawn(() => ({ kind: 'constant', value }));
}

const named: Record<InitializerName, InitializerFn> = {
  zeros: constantInit(0),
  ones: constantInit(1),
  randomNormal: randomNormal(1),
  // N(0, 1/n_in): Nielsen's improved initialisation (randn / sqrt(n_in)).
  lecunNormal: drawn((shape) => ({ kind: 'normal', mean: 0, stddev: 1 / Math.sqrt(fans(shape)[0]) })),
  glorotUniform: drawn((shape) => {
    const [fanIn, fanOut] = fans(shape);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return { kind: 'uniform', low: -limit, high: limit };
  }),
  glorotNormal: drawn((shape) => {
    const [fanIn, fanOut] = fans(shape);
    return { kind: 'normal', mean: 0, stddev: Math.sqrt(2 / (fanIn + fanOut)) };
  }),
  heNormal: drawn((shape) => ({ kind: 'normal', mean: 0, stddev: Math.sqrt(2 / fans(shape)[0]) })),
  heUniform: drawn((shape) => {
    const limit = Math.sqrt(6 / fans(shape)[0]);
    return { kind: 'uniform', low: -limit, high: limit };
  }),
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
