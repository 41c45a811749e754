import { describe, expect, it } from 'vitest';
import { matrix } from '../../../src/nn/reference/index.ts';
import { arrayKindOf, biasKindOf, read2D, readVector, write2D, writeVector } from '../../../src/nn/learn/learner-values.ts';

describe('learner values: Matrix or number[][], biases as columns, rows or flat arrays', () => {
  it('reads number[][] and matrices, and refuses ragged or empty arrays', () => {
    expect(read2D([[1, 2, 3], [4, 5, 6]])).toEqual(matrix(2, 3, [1, 2, 3, 4, 5, 6]));
    expect(read2D(matrix(1, 2, [7, 8]))).toEqual(matrix(1, 2, [7, 8]));
    expect(read2D([[1, 2], [3]])).toBeNull();
    expect(read2D([])).toBeNull();
    expect(read2D([1, 2])).toBeNull();
  });

  it('reads a vector from a column, a row, a flat or typed array', () => {
    for (const v of [[[1], [2], [3]], [[1, 2, 3]], [1, 2, 3], Float64Array.of(1, 2, 3), matrix(3, 1, [1, 2, 3])]) expect(Array.from(readVector(v)!)).toEqual([1, 2, 3]);
    expect(readVector([[1, 2], [3, 4]])).toBeNull();
  });

  it('writes back in the kind the learner made, and tells the kinds apart', () => {
    const b = Float64Array.of(1, 2);
    for (const kind of ['matrix-column', 'matrix-row', 'arrays-column', 'arrays-row', 'flat', 'typed'] as const) {
      const written = writeVector(b, kind);
      expect(biasKindOf(written, 'column'), kind).toBe(kind);
      expect(Array.from(readVector(written)!)).toEqual([1, 2]);
    }
    // A single bias: a 1×1 leans the way the form says.
    expect(biasKindOf([[5]], 'column')).toBe('arrays-column');
    expect(biasKindOf([[5]], 'row')).toBe('arrays-row');
    expect(write2D(matrix(2, 2, [1, 2, 3, 4]), 'arrays')).toEqual([[1, 2], [3, 4]]);
    expect(arrayKindOf([[1]])).toBe('arrays');
    expect(arrayKindOf(matrix(1, 1))).toBe('matrix');
    expect(arrayKindOf('w')).toBeNull();
  });
});
