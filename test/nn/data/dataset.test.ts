import { describe, expect, it } from 'vitest';
import {
  gatherBatch,
  oneHot,
  seededRandom,
  shuffledIndices,
  split,
  subset,
  validateDataset,
  type Dataset,
} from '../../../src/nn/data/dataset.ts';
import { DataError } from '../../../src/nn/data/errors.ts';
import { dataError } from './helpers.ts';


/** count samples of 2 features: sample i is [i, 10 + i], label i % classes. */
function toy(count = 5, classes = 3): Dataset {
  const x = new Float32Array(count * 2);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = 10 + i;
    y[i] = i % classes;
  }
  return { x, y, count, features: 2, classes };
}

describe('validateDataset', () => {
  it('accepts a consistent dataset', () => {
    expect(() => validateDataset(toy(), 'toy')).not.toThrow();
  });

  it('refuses wrong lengths', () => {
    const e = dataError(() => validateDataset({ ...toy(), x: new Float32Array(9) }, 'toy'));
    expect(e.file).toBe('toy');
    expect(e.message).toBe('toy: x has 9 values, expected count x features = 5 x 2 = 10');
    expect(dataError(() => validateDataset({ ...toy(), y: new Int32Array(4) }, 'toy')).message).toBe('toy: y has 4 labels, expected count = 5 (one class id per sample)');
    expect(dataError(() => validateDataset({ ...toy(), count: 2.5 }, 'toy')).message).toMatch(/count must be a whole number, got 2.5/);
    const { x, y } = toy();
    expect(dataError(() => validateDataset({ x, y } as never, 'training data')).message).toBe(
      'training data: a dataset needs { x: Float32Array (count × features values), y: Int32Array (count class ids), count, features, classes }; count, features, classes are missing (it has x, y)',
    );
    expect(dataError(() => validateDataset({ ...toy(), classes: undefined } as never, 'toy')).message).toMatch(/; classes is missing \(it has x, y, count, features\)$/);
    expect(dataError(() => validateDataset(null as never, 'toy')).message).toMatch(/^toy: expected a dataset \{ x: .*, got null$/);
  });

  it('names the sample and feature of a non-finite input', () => {
    const ds = toy();
    ds.x[7] = NaN;
    const e = dataError(() => validateDataset(ds, 'train'));
    expect([e.sample, e.feature]).toEqual([3, 1]);
    expect(e.message).toBe('train: sample 3, feature 1: input value is NaN, expected a finite number');
    ds.x[7] = 0;
    ds.x[0] = -Infinity;
    expect(dataError(() => validateDataset(ds, 'train')).message).toMatch(/sample 0, feature 0: input value is -Infinity/);
  });

  it('names the sample and label of a label out of range', () => {
    const ds = toy();
    ds.y[4] = 3;
    const e = dataError(() => validateDataset(ds, 'train'));
    expect(e.sample).toBe(4);
    expect(e.message).toBe('train: sample 4: label is 3, expected an integer in 0..2');
    ds.y[4] = -1;
    expect(dataError(() => validateDataset(ds, 'train')).message).toMatch(/sample 4: label is -1/);
  });

  it('refuses non-integer labels smuggled in through a plain array', () => {
    const ds = { ...toy(), y: [0, 1, 0.5, 1, 2] as unknown as Int32Array };
    expect(dataError(() => validateDataset(ds, 'js')).message).toMatch(/js: sample 2: label is 0.5/);
  });
});

describe('oneHot', () => {
  it('puts a single 1 per row', () => {
    expect(Array.from(oneHot(new Int32Array([2, 0]), 3))).toEqual([0, 0, 1, 1, 0, 0]);
  });
  it('refuses a label out of range', () => {
    const e = dataError(() => oneHot(new Int32Array([0, 3]), 3));
    expect(e.sample).toBe(1);
    expect(e.message).toMatch(/^sample 1: label is 3; oneHot with 3 classes expects 0..2$/);
  });
});

describe('split and subset', () => {
  it('splits into views without copying', () => {
    const ds = toy();
    const [a, b] = split(ds, 3);
    expect([a.count, b.count]).toEqual([3, 2]);
    expect(Array.from(b.x)).toEqual([3, 13, 4, 14]);
    expect(Array.from(b.y)).toEqual([0, 1]);
    expect(b.x.buffer).toBe(ds.x.buffer);
    expect(() => validateDataset(a)).not.toThrow();
    expect(() => validateDataset(b)).not.toThrow();
  });
  it('allows empty halves and refuses out-of-range points', () => {
    expect(split(toy(), 0)[0].count).toBe(0);
    expect(split(toy(), 5)[1].count).toBe(0);
    expect(dataError(() => split(toy(), 6)).message).toMatch(/split: at must be a whole number in 0..5, got 6/);
    expect(dataError(() => split(toy(), 1.5)).message).toMatch(/got 1.5/);
  });
  it('subset takes the first samples', () => {
    const s = subset(toy(), 2);
    expect(s.count).toBe(2);
    expect(Array.from(s.x)).toEqual([0, 10, 1, 11]);
    expect(dataError(() => subset(toy(), 9)).message).toMatch(/subset: count must be .* 0..5, got 9/);
  });
});

describe('shuffledIndices', () => {
  it('is a permutation, reproducible from the seed', () => {
    const a = shuffledIndices(100, seededRandom(7));
    expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(shuffledIndices(100, seededRandom(7)))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(100, seededRandom(8)))).not.toEqual(Array.from(a));
  });
  it('handles 0 and 1', () => {
    expect(shuffledIndices(0, Math.random).length).toBe(0);
    expect(Array.from(shuffledIndices(1, Math.random))).toEqual([0]);
  });
  it('refuses an rng outside [0, 1)', () => {
    expect(dataError(() => shuffledIndices(3, () => 1)).message).toMatch(/rng returned 1, expected a number in \[0, 1\)/);
    expect(dataError(() => shuffledIndices(3, () => NaN)).message).toMatch(/rng returned NaN/);
  });
});

describe('gatherBatch', () => {
  it('copies rows into preallocated buffers and reports short batches', () => {
    const ds = toy();
    const order = new Int32Array([4, 1, 3, 0, 2]);
    const xb = new Float32Array(2 * 2);
    const yb = new Int32Array(2);
    expect(gatherBatch(ds, order, 0, 2, xb, yb)).toBe(2);
    expect(Array.from(xb)).toEqual([4, 14, 1, 11]);
    expect(Array.from(yb)).toEqual([1, 1]);
    expect(gatherBatch(ds, order, 4, 2, xb, yb)).toBe(1);
    expect(Array.from(xb.subarray(0, 2))).toEqual([2, 12]);
    expect(yb[0]).toBe(2);
    expect(gatherBatch(ds, order, 5, 2, xb, yb)).toBe(0);
  });
  it('covers every sample once per epoch', () => {
    const ds = toy(7);
    const order = shuffledIndices(7, seededRandom(1));
    const xb = new Float32Array(3 * 2);
    const yb = new Int32Array(3);
    const seen: number[] = [];
    for (let s = 0; s < ds.count; s += 3) {
      const n = gatherBatch(ds, order, s, 3, xb, yb);
      for (let b = 0; b < n; b++) seen.push(xb[2 * b]!);
    }
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
  it('refuses buffers too small and bad indices', () => {
    const ds = toy();
    expect(dataError(() => gatherBatch(ds, [0, 1], 0, 2, new Float32Array(3), new Int32Array(2))).message).toMatch(
      /output buffers hold 3 inputs and 2 labels, need 4 and 2/,
    );
    expect(dataError(() => gatherBatch(ds, [0, 9], 0, 2, new Float32Array(4), new Int32Array(2))).message).toMatch(
      /indices\[1\] is 9, expected a sample index in 0..4/,
    );
  });
});
