/**
 * Every error deltagraph throws is a DeltaGraphError subclass that carries the facts as fields
 * (op, shapes, node, call site) and a message a person can act on.
 */
import { formatShape, type Shape } from './shape.ts';

/** The base class of every error deltagraph throws: catch it to tell deltagraph's errors from others. */
export class DeltaGraphError extends Error {
  /** The class name, shown before the message. */
  override name = 'DeltaGraphError';
}

/** A shape rule rejected its inputs while the graph was being built (or re-checked at run time). */
export class ShapeError extends DeltaGraphError {
  /** The class name, shown before the message. */
  override name = 'ShapeError';
  constructor(
    /** The op whose shape rule failed. */
    readonly op: string,
    /** The shapes of its inputs. */
    readonly inputShapes: readonly Shape[],
    /** What the rule says is wrong. */
    readonly rule: string,
    /** The user's file:line:column that built the node. */
    readonly site?: string,
    /** The node's name, when it has one. */
    readonly nodeName?: string,
  ) {
    const shapes = inputShapes.map(formatShape).join(', ');
    const where = site ? `\n    at ${site}` : '';
    const named = nodeName ? ` (node '${nodeName}')` : '';
    super(`${op}${named}: ${rule}; input shapes ${shapes}${where}`);
  }
}

/** Thrown by a shape or dtype rule; the builder turns it into a ShapeError with op, shapes and site. */
export class RuleError extends DeltaGraphError {
  /** The class name, shown before the message. */
  override name = 'RuleError';
}

/** A misuse of the graph API that is not about shapes: bad names, mixing graphs, bad options. */
export class GraphError extends DeltaGraphError {
  /** The class name, shown before the message. */
  override name = 'GraphError';
  constructor(
    message: string,
    /** The user's file:line:column of the bad call. */
    readonly site?: string,
  ) {
    super(site ? `${message}\n    at ${site}` : message);
  }
}

/** A problem found when a compiled program runs: missing or malformed feeds, bad values. */
export class RunError extends DeltaGraphError {
  /** The class name, shown before the message. */
  override name = 'RunError';
  constructor(
    message: string,
    /** The node the problem is about (`%12 log`). */
    readonly node?: string,
    /** The user's file:line:column that built that node. */
    readonly site?: string,
  ) {
    super(site ? `${message}\n    at ${site}` : message);
  }
}

/**
 * The first node whose output holds a NaN or an infinity, found by a program compiled with
 * `checkNumerics`: the op, the node, where in its output, the ranges of its inputs, the user's
 * line, and for a node of a gradient the forward node it is the gradient of.
 */
export class NumericsError extends RunError {
  /** The class name, shown before the message. */
  override name = 'NumericsError';
  constructor(
    message: string,
    /** The op that produced the value. */
    readonly op: string,
    node: string,
    /** The first NaN or infinity found. */
    readonly value: number,
    /** Its index in the op's output. */
    readonly index: number,
    /** The range of each input, `%2 matMul [2,1] in [0, 3]`. */
    readonly inputRanges: readonly string[],
    site?: string,
    /** For a node of a gradient: the forward node it is the gradient of, and where that was built. */
    readonly gradientOf?: string,
  ) {
    super(message, node, site);
  }
}

/**
 * A value as an error message shows it: strings quoted, so that `units must be a whole number,
 * got '30'` says it was the string '30' and not the number 30; other types by their kind.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}' (a string)`;
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array [${value.slice(0, 4).map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ')}${value.length > 4 ? ', …' : ''}]`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (value !== null && typeof value === 'object') {
    try {
      return `an object ${JSON.stringify(value).slice(0, 60)}`;
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

/**
 * Refuses options that are not an object, and option names `what` does not know: a misspelt
 * option (`{ epoch: 5 }`, `{ learning_rate: 0.1 }`) would otherwise be ignored without a word.
 */
export function checkOptionNames(what: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new GraphError(`${what}: options must be an object, got ${formatValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new GraphError(`${what}: unknown option '${key}'; the options are ${known.join(', ')}`);
  }
}
