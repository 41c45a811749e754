/**
 * Data augmentation: new, slightly distorted copies of the training images every epoch, the
 * classic way to enlarge a training set ("expanding the training data"). An augmenter rewrites a
 * mini-batch in place, after it is gathered and before the step runs, from `fit`'s seeded Rng.
 */
import type { Rng } from '../../core/rng.ts';
import { DataError } from './errors.ts';

/**
 * Rewrites the first `count` rows of `x` (one image per row) in place. `features` is the length of
 * a row (fit passes it, so an augmenter can refuse rows of another shape).
 */
export type Augment = (x: Float32Array | Float64Array, count: number, rng: Rng, features?: number) => void;

/**
 * Shifts each image by a random whole number of pixels, up to `maxShift` in each direction
 * (the pixels shifted in are `fill`). Images are rows of height·width·channels values, [h, w, c]
 * as a Model's image input [null, h, w, c] takes them (channels default 1); all channels of a
 * pixel move together.
 *
 * @example
 * model.fit(data.train, { epochs: 20, augment: randomShift({ width: 28, height: 28, maxShift: 2 }) });
 * randomShift({ width: 32, height: 32, channels: 3, maxShift: 4 }); // colour images [32, 32, 3]
 *
 * @param options.width - Image width in pixels.
 * @param options.height - Image height in pixels.
 * @param options.channels - Values per pixel (default 1).
 * @param options.maxShift - The largest shift, in pixels, along each axis.
 * @param options.fill - The value of pixels shifted in (default 0).
 */
export function randomShift(options: { width: number; height: number; channels?: number; maxShift: number; fill?: number }): Augment {
  const { width, height, channels = 1, maxShift, fill = 0 } = options;
  if (![width, height, channels].every((d) => Number.isInteger(d) && d > 0) || !(Number.isInteger(maxShift) && maxShift >= 0)) {
    throw new DataError(
      `randomShift: width, height and channels must be positive whole numbers and maxShift a whole number ≥ 0, got ${width}, ${height}, ${channels}, ${maxShift}`,
    );
  }
  const size = width * height * channels;
  const shape = `${width}x${height}${channels > 1 ? `x${channels}` : ''}`;
  const copy = new Float32Array(size);
  return (x, count, rng, features) => {
    if (features !== undefined && features !== size) {
      throw new DataError(`randomShift: images of ${shape} are ${size} values, but the rows have ${features} features (set width, height and channels to the model's input)`);
    }
    if (x.length < count * size) throw new DataError(`randomShift: ${x.length} values cannot hold ${count} images of ${shape}`);
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
          const inside = from >= 0 && from < height && fc >= 0 && fc < width;
          const to = base + (r * width + c) * channels;
          const source = (from * width + fc) * channels;
          for (let k = 0; k < channels; k++) x[to + k] = inside ? copy[source + k] : fill;
        }
      }
    }
  };
}
