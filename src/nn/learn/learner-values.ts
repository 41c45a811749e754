/**
 * The values a learner's backprop code takes and returns, as learners write them: deltagraph's
 * `{ rows, cols, data }` matrices or plain `number[][]`, in Nielsen's column form or the batched row
 * form; biases as column vectors ([[b0], [b1], …], network.py's shape), rows, or flat arrays.
 * checkBackprop converts to and from these here, and nowhere else.
 */
import { matrix, type Matrix } from '../reference/matrix.ts';

/**
 * The learner's layout. 'column' is Nielsen's: a sample is a column, w^l is [n_l, n_{l−1}],
 * z^l = w^l a^{l−1} + b^l. 'row' is the batched form: a sample is a row, w^l is [n_{l−1}, n_l],
 * z^l = a^{l−1} w^l + b^l.
 */
export type Form = 'column' | 'row';

/** How a learner holds a 2-D value: deltagraph's Matrix, or nested arrays (row-major, `a[i][j]`). */
export type Values2D = Matrix | number[][];

/** How a learner's function is handed its 2-D values: 'arrays' for nested `number[][]` (row-major, `a[i][j]`), 'matrix' for deltagraph's Matrix. */
export type ArrayKind = 'arrays' | 'matrix';

/** How a learner holds a bias vector of n entries. */
export type BiasKind = 'matrix-column' | 'matrix-row' | 'arrays-column' | 'arrays-row' | 'flat' | 'typed';

export const isMatrix = (v: unknown): v is Matrix => typeof v === 'object' && v !== null && 'rows' in v && 'cols' in v && 'data' in v;

export function transpose(a: Matrix): Matrix {
  const out = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

/** A Matrix (copied) of a learner's 2-D value, or null when it is neither a Matrix nor a rectangular number[][]. */
export function read2D(v: unknown): Matrix | null {
  if (isMatrix(v)) return v.data?.length === v.rows * v.cols ? matrix(v.rows, v.cols, v.data) : null;
  if (!Array.isArray(v) || v.length === 0) return null;
  const rows = v.length;
  const first = v[0] as unknown;
  if (!Array.isArray(first) && !ArrayBuffer.isView(first)) return null;
  const cols = (first as ArrayLike<number>).length;
  const out = matrix(rows, cols);
  for (let i = 0; i < rows; i++) {
    const row = v[i] as ArrayLike<number>;
    if (row?.length !== cols) return null;
    for (let j = 0; j < cols; j++) out.data[i * cols + j] = row[j];
  }
  return out;
}

/** The entries of a learner's vector: flat array, typed array, a one-column or one-row Matrix or number[][]. */
export function readVector(v: unknown): Float64Array | null {
  if (ArrayBuffer.isView(v)) return Float64Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v) && v.every((e) => typeof e === 'number')) return Float64Array.from(v as number[]);
  const m = read2D(v);
  return m && (m.rows === 1 || m.cols === 1) ? m.data : null;
}

export function write2D(a: Matrix, kind: ArrayKind): Values2D {
  if (kind === 'matrix') return matrix(a.rows, a.cols, a.data);
  return Array.from({ length: a.rows }, (_, i) => Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
}

export function writeVector(v: Float64Array, kind: BiasKind): unknown {
  switch (kind) {
    case 'matrix-column':
      return matrix(v.length, 1, v);
    case 'matrix-row':
      return matrix(1, v.length, v);
    case 'arrays-column':
      return Array.from(v, (e) => [e]);
    case 'arrays-row':
      return [Array.from(v)];
    case 'flat':
      return Array.from(v);
    case 'typed':
      return Float64Array.from(v);
  }
}

/** The learner's kind of 2-D value, from one it made (its constructor's weights). */
export function arrayKindOf(v: unknown): ArrayKind | null {
  if (isMatrix(v)) return 'matrix';
  return read2D(v) ? 'arrays' : null;
}

/** The learner's kind of bias vector, from one it made; n entries, the form says which way a 1×1 leans. */
export function biasKindOf(v: unknown, form: Form): BiasKind | null {
  if (ArrayBuffer.isView(v)) return 'typed';
  if (Array.isArray(v) && v.every((e) => typeof e === 'number')) return 'flat';
  const m = read2D(v);
  if (!m) return null;
  const prefix = isMatrix(v) ? 'matrix' : 'arrays';
  if (m.cols === 1 && (m.rows > 1 || form === 'column')) return `${prefix}-column`;
  if (m.rows === 1) return `${prefix}-row`;
  return null;
}

/** A reference (row-form) weight [n_{l−1}, n_l] in the learner's form: column form is [n_l, n_{l−1}]. */
export const weightToForm = (w: Matrix, form: Form): Matrix => (form === 'column' ? transpose(w) : w);

/** Samples as rows (the reference's X) in the learner's form: column form puts them in columns. */
export const samplesToForm = (x: Matrix, form: Form): Matrix => (form === 'column' ? transpose(x) : x);

export const shapeText = (a: { rows: number; cols: number }) => `${a.rows}×${a.cols}`;
