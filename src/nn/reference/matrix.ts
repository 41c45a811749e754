/**
 * A tiny dense-matrix helper for the hand-derived backpropagation reference.
 *
 * Matrices are row-major Float64Arrays with explicit dimensions: the entry in
 * row i, column j of `a` is `a.data[i * a.cols + j]`. Every function returns a
 * NEW matrix and never writes into its arguments, so a value that backprop
 * still needs (such as Z^l) can never be overwritten by accident.
 *
 * Every function checks the shapes of its arguments and throws a ReferenceShapeError
 * that names the function and both shapes, e.g.
 *   "matMul: a is 10x784, b is 30x10: inner dimensions differ"
 * because a wrong shape is the most common symptom of a wrong equation.
 */

import { DeltaGraphError } from '../../core/errors.ts';

/** A dense matrix, row-major: `data[i * cols + j]` is row i, column j. */
export type Matrix = {
  /** The number of rows. */
  rows: number;
  /** The number of columns. */
  cols: number;
  /** rows·cols values, row-major. */
  data: Float64Array;
};

/** Shapes that do not fit an equation of the reference (the usual symptom of a wrong equation). */
export class ReferenceShapeError extends DeltaGraphError {
  /** The class name, shown before the message. */
  override name = 'ReferenceShapeError';
}

/** "10x784", used in error messages. */
function shapeOf(a: Matrix): string {
  return `${a.rows}x${a.cols}`;
}

/**
 * A rows x cols matrix. Without `data` it is all zeros; with `data` the values
 * are copied (row-major), so the caller's array is never shared.
 */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ReferenceShapeError(`matrix: dimensions must be non-negative integers, got ${rows}x${cols}`);
  }
  if (data === undefined) {
    return { rows, cols, data: new Float64Array(rows * cols) };
  }
  if (data.length !== rows * cols) {
    throw new ReferenceShapeError(
      `matrix: a ${rows}x${cols} matrix needs ${rows * cols} values, got ${data.length}`,
    );
  }
  return { rows, cols, data: Float64Array.from(data) };
}

/** a · b, the matrix product: (r x k) · (k x c) = (r x c). */
export function matMul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) {
    throw new ReferenceShapeError(`matMul: a is ${shapeOf(a)}, b is ${shapeOf(b)}: inner dimensions differ`);
  }
  const out = matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let sum = 0;
      for (let k = 0; k < a.cols; k++) {
        sum += a.data[i * a.cols + k]! * b.data[k * b.cols + j]!;
      }
      out.data[i * out.cols + j] = sum;
    }
  }
  return out;
}

/** aᵀ · b without building aᵀ: (k x r)ᵀ · (k x c) = (r x c). Used by BP4. */
export function matMulTransposeA(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) {
    throw new ReferenceShapeError(
      `matMulTransposeA: a is ${shapeOf(a)}, b is ${shapeOf(b)}: aᵀ·b needs equal row counts`,
    );
  }
  const out = matrix(a.cols, b.cols);
  for (let i = 0; i < a.cols; i++) {
    for (let j = 0; j < b.cols; j++) {
      let sum = 0;
      for (let k = 0; k < a.rows; k++) {
        sum += a.data[k * a.cols + i]! * b.data[k * b.cols + j]!;
      }
      out.data[i * out.cols + j] = sum;
    }
  }
  return out;
}

/** a · bᵀ without building bᵀ: (r x k) · (c x k)ᵀ = (r x c). Used by BP2. */
export function matMulTransposeB(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.cols) {
    throw new ReferenceShapeError(
      `matMulTransposeB: a is ${shapeOf(a)}, b is ${shapeOf(b)}: a·bᵀ needs equal column counts`,
    );
  }
  const out = matrix(a.rows, b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let sum = 0;
      for (let k = 0; k < a.cols; k++) {
        sum += a.data[i * a.cols + k]! * b.data[j * b.cols + k]!;
      }
      out.data[i * out.cols + j] = sum;
    }
  }
  return out;
}

/** Throws unless a and b have the same shape (for the elementwise functions). */
function checkSameShape(fn: string, a: Matrix, b: Matrix): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ReferenceShapeError(`${fn}: a is ${shapeOf(a)}, b is ${shapeOf(b)}: shapes differ`);
  }
}

/** a ⊙ b, the elementwise (Hadamard) product. Not a matrix product. */
export function hadamard(a: Matrix, b: Matrix): Matrix {
  checkSameShape('hadamard', a, b);
  const out = matrix(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i]! * b.data[i]!;
  return out;
}

/** a − b, elementwise. */
export function sub(a: Matrix, b: Matrix): Matrix {
  checkSameShape('sub', a, b);
  const out = matrix(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i]! - b.data[i]!;
  return out;
}

/** s · a, every entry multiplied by the number s. */
export function scale(a: Matrix, s: number): Matrix {
  const out = matrix(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i]! * s;
  return out;
}

/** f applied to every entry. */
export function map(a: Matrix, f: (value: number) => number): Matrix {
  const out = matrix(a.rows, a.cols);
  for (let i = 0; i < a.data.length; i++) out.data[i] = f(a.data[i]!);
  return out;
}

/**
 * a + v with v added to every row (broadcasting): how the bias b^l (n_l
 * entries) is added to each sample's row of A^{l-1} W^l (m x n_l).
 */
export function addRowVector(a: Matrix, v: Float64Array): Matrix {
  if (v.length !== a.cols) {
    throw new ReferenceShapeError(
      `addRowVector: a is ${shapeOf(a)}, v is 1x${v.length}: v needs one entry per column of a`,
    );
  }
  const out = matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      out.data[i * a.cols + j] = a.data[i * a.cols + j]! + v[j]!;
    }
  }
  return out;
}

/**
 * The sum of each column (summing over the rows, i.e. over the samples of a
 * mini-batch). This is how BP3 turns Δ^l (m x n_l) into ∂C/∂b^l (n_l).
 */
export function columnSums(a: Matrix): Float64Array {
  const sums = new Float64Array(a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) sums[j]! += a.data[i * a.cols + j]!;
  }
  return sums;
}
