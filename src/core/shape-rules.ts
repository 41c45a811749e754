/**
 * Shape rules shared by many ops: broadcasting, axis lists, reduced shapes. They throw RuleError,
 * which the builder turns into a ShapeError naming the op, the shapes and the user's line.
 */
import { RuleError } from './errors.ts';
import { formatShape, type Dim, type Shape } from './shape.ts';

/** numpy-style broadcasting of two shapes (aligned at the right). */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    out.push(broadcastDim(da, db, a, b));
  }
  return out;
}

function broadcastDim(da: Dim, db: Dim, a: Shape, b: Shape): Dim {
  if (da === db) return da;
  if (da === 1) return db;
  if (db === 1) return da;
  if (da === null) return db;
  if (db === null) return da;
  throw new RuleError(
    `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (${da} vs ${db}: each pair of dimensions must be equal or one of them 1)`,
  );
}

/** Normalises axes (negative counts from the end) and checks them; undefined means every axis. */
export function normalizeAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new RuleError(`axis ${a} is out of range for rank ${rank}`);
    }
    return a < 0 ? a + rank : a;
  });
  if (new Set(out).size !== out.length) throw new RuleError(`axes ${JSON.stringify(list)} repeat an axis`);
  return out.sort((x, y) => x - y);
}

/** The shape left after reducing `axes`, keeping them as size 1 when keepDims. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): Shape {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}
