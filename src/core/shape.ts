/**
 * Shapes: a dimension is a number, or null when it is only known at run time (the batch size).
 * A null dimension is never broadcast: at run time it must equal the other side.
 */

export type Dim = number | null;
/**
 * A tensor's shape: one entry per axis, `null` for a dimension fixed only when the program runs (the
 * batch).
 */
export type Shape = readonly Dim[];

/** A shape as deltagraph prints it in messages: `[null,784]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(',')}]`;
}

/** Number of elements, or null when a dimension is unknown. */
export function sizeOf(shape: Shape): number | null {
  let n = 1;
  for (const d of shape) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

export function isConcrete(shape: Shape): shape is readonly number[] {
  return shape.every((d) => d !== null);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major strides of a concrete shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}
