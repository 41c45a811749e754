/**
 * Data augmentation: new, slightly distorted copies of the training images every epoch, the
 * classic way to enlarge a training set ("expanding the training data"). An augmenter rewrites a
 * mini-batch in place, after it is gathered and before the step runs, from `fit`'s seeded Rng.
 */
import type { Rng } from '../../core/rng.ts';
import { DataError } from './errors.ts';

/** Rewrites the first `count` rows of `x` (one image per row) in place. */
export type Augment = (x: Float32Array | Float64Array, count: number, rng: Rng) => void;

/**
 * Shifts each image by a random whole number of pixels, up to `maxShift` in each direction
 * (the pixels shifted in are `fill`).
 *
 * @example
 * model.fit(data.train, { epochs: 20, augment: randomShift({ width: 28, height: 28, maxShift: 2 }) });
 */
export function randomShift(options: { width: number; height: number; maxShift: number; fill?: number }): Augment {
  const { width, height, maxShift, fill = 0 } = options;
  if (![width, height].every((d) => Number.isInteger(d) && d > 0) || !(Number.isInteger(maxShift) && maxShift >= 0)) {
    throw new DataError(`randomShift: width and height must be positive whole numbers and maxShift a whole number ≥ 0, got ${width}, ${height}, ${maxShift}`);
  }
  const size = width * height;
  const copy = new Float32Array(size);
  return (x, count, rng) => {
    if (x.length < count * size) throw new DataError(`randomShift: ${x.length} values cannot hold ${count} images of ${width}x${height}`);
    for (let n = 0; n < count; n++) {
      const dx = rng.int(2 * maxShift + 1) - maxShift;
      const dy = rng.int(2 * maxShift + 1) - maxShift;
      if (dx === 0 && dy === 0) continue;
      const base = n * size;
      for (let i = 0; i < size; i++) copy[i] = x[base + i];
      for (let r = 0; r < height; r++) {
        const from = r - dy;
        for (let c = 0; c < width; c++) {
          const fc = c - dx;
          x[base + r * width + c] = from >= 0 && from < height && fc >= 0 && fc < width ? copy[from * width + fc] : fill;
        }
      }
    }
  };
}
