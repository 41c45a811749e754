/**
 * A hand-drawn digit made to look like an MNIST image, the way MNIST was made (LeCun, Cortes and
 * Burges): the ink's bounding box scaled, aspect ratio kept, to fit a 20x20 box with area-averaging
 * anti-aliasing (which makes the grey levels), then placed in a 28x28 field so that its centre of
 * mass sits at the field's centre. A net trained on MNIST only recognises digits prepared this way.
 */
import { DataError } from './errors.ts';
import { MNIST_COLS, MNIST_FEATURES, MNIST_ROWS } from './mnist.ts';

/** Side of the box the digit is scaled to fit (MNIST: 20 of the 28 pixels). */
export const MNIST_BOX = 20;

/** Options of {@link toMnistDigit}. */
export interface MnistDigitOptions {
  /**
   * Which pixels of an RGBA image are ink: 'dark' (default; dark strokes on a light or transparent
   * background: ink = alpha × (1 − luminance)) or 'light' (light strokes on a dark background:
   * ink = alpha × luminance). Grey images are read as ink levels directly (1 or 255 = full ink).
   */
  ink?: 'dark' | 'light';
  /** Ink levels up to this (0..1, after scaling the darkest pixel to 1) are background (default 0.05). */
  threshold?: number;
}

/**
 * An image of one digit (RGBA from a canvas's getImageData, or grey: one ink level per pixel) as
 * 784 MNIST features: 28x28, row by row, grey levels 0..1 with 1 = full ink, ready for
 * `model.predict`. Throws a DataError when the image has no ink or its size does not match.
 *
 * @example
 * const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
 * const probabilities = model.predict(toMnistDigit(data, width, height));
 */
export function toMnistDigit(image: ArrayLike<number>, width: number, height: number, options: MnistDigitOptions = {}): Float32Array {
  const ink = inkLevels(image, width, height, options.ink ?? 'dark');
  const threshold = options.threshold ?? 0.05;
  if (!(threshold >= 0 && threshold < 1)) throw new DataError(`toMnistDigit: threshold must be in [0, 1), got ${threshold}`);

  let max = 0;
  for (let i = 0; i < ink.length; i++) max = Math.max(max, ink[i]!);
  // The darkest pixel becomes full ink (MNIST's sources were black and white); below the threshold is paper.
  const box = max > 0 ? inkBox(ink, width, height, threshold * max) : null;
  if (!box) throw new DataError(`toMnistDigit: the ${width}x${height} image has no ink (nothing drawn?)`);
  for (let i = 0; i < ink.length; i++) ink[i] = ink[i]! > threshold * max ? ink[i]! / max : 0;

  // Whole output pixels per axis, so the scaled digit needs no sub-pixel placement.
  const scale = MNIST_BOX / Math.max(box.width, box.height);
  const outWidth = Math.max(1, Math.round(box.width * scale));
  const outHeight = Math.max(1, Math.round(box.height * scale));
  const scaled = areaResample(ink, width, box, outWidth, outHeight);

  // Shift by whole pixels so the centre of mass lands on pixel (14, 14), where MNIST's lie (the mean
  // over its first 1,000 test images is (14.01, 13.99) in 0-based pixel indices).
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const v = scaled[y * outWidth + x]!;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const left = Math.round(MNIST_COLS / 2 - mx / mass);
  const top = Math.round(MNIST_ROWS / 2 - my / mass);
  const out = new Float32Array(MNIST_FEATURES);
  for (let y = 0; y < outHeight; y++) {
    const row = y + top;
    if (row < 0 || row >= MNIST_ROWS) continue;
    for (let x = 0; x < outWidth; x++) {
      const col = x + left;
      if (col >= 0 && col < MNIST_COLS) out[row * MNIST_COLS + col] = Math.min(1, scaled[y * outWidth + x]!);
    }
  }
  return out;
}

/** Ink per pixel (0..1 or 0..255 as given), from RGBA or grey pixels; the size must match. */
function inkLevels(image: ArrayLike<number>, width: number, height: number, kind: 'dark' | 'light'): Float32Array {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new DataError(`toMnistDigit: width and height must be positive whole numbers, got ${width}x${height}`);
  }
  const n = width * height;
  const ink = new Float32Array(n);
  if (image.length === n) {
    for (let i = 0; i < n; i++) ink[i] = image[i]!;
  } else if (image.length === 4 * n) {
    for (let i = 0; i < n; i++) {
      const luminance = (0.299 * image[4 * i]! + 0.587 * image[4 * i + 1]! + 0.114 * image[4 * i + 2]!) / 255;
      ink[i] = (image[4 * i + 3]! / 255) * (kind === 'dark' ? 1 - luminance : luminance);
    }
  } else {
    throw new DataError(`toMnistDigit: a ${width}x${height} image has ${n} grey or ${4 * n} RGBA values, got ${image.length}`);
  }
  for (let i = 0; i < n; i++) {
    if (!(ink[i]! >= 0)) throw new DataError(`toMnistDigit: pixel ${i} has ink ${ink[i]}, expected a number >= 0`, { sample: i });
  }
  return ink;
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The smallest rectangle holding every pixel with more than `floor` ink; null if there is none. */
function inkBox(ink: Float32Array, width: number, height: number, floor: number): Box | null {
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! <= floor) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return right < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * The box of `ink` resampled to outWidth x outHeight: each output pixel is the mean of the source
 * area it covers (partly covered source pixels weighted by the part), rows first, then columns.
 */
function areaResample(ink: Float32Array, stride: number, box: Box, outWidth: number, outHeight: number): Float32Array {
  const across = weights(box.width, outWidth);
  const down = weights(box.height, outHeight);
  const rows = new Float32Array(box.height * outWidth);
  for (let y = 0; y < box.height; y++) {
    const source = (box.top + y) * stride + box.left;
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (const [i, w] of across[x]!) sum += w * ink[source + i]!;
      rows[y * outWidth + x] = sum;
    }
  }
  const out = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    for (const [i, w] of down[y]!) {
      for (let x = 0; x < outWidth; x++) out[y * outWidth + x] += w * rows[i * outWidth + x]!;
    }
  }
  return out;
}

/** For each of `to` output cells over `from` source cells: the source cells it covers and their weights (summing to 1). */
function weights(from: number, to: number): [number, number][][] {
  const step = from / to;
  return Array.from({ length: to }, (_, o) => {
    const [start, end] = [o * step, (o + 1) * step];
    const cells: [number, number][] = [];
    for (let i = Math.floor(start); i < Math.min(from, Math.ceil(end)); i++) {
      const overlap = Math.min(end, i + 1) - Math.max(start, i);
      if (overlap > 0) cells.push([i, overlap / step]);
    }
    return cells;
  });
}
