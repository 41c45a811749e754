/** Data for deltagraph's nn: IDX/MNIST parsing, text bitmaps, and dataset helpers (reading files: ../node). */
export { DataError } from './errors.ts';
export type { DataErrorFacts } from './errors.ts';
export { parseIdx, parseIdxAsync, encodeIdx } from './idx.ts';
export type { IdxType, IdxData, IdxArray } from './idx.ts';
export { validateDataset, oneHot, split, subset, shuffledIndices, seededRandom, gatherBatch } from './dataset.ts';
export type { Dataset } from './dataset.ts';
export { mnistFromIdx, MNIST_FILES, MNIST_ROWS, MNIST_COLS, MNIST_FEATURES, MNIST_CLASSES } from './mnist.ts';
export type { MnistOptions, MnistSplitOptions, MnistFiles, Mnist } from './mnist.ts';
export { parseBitmap, BITMAP_SIZE, BITMAP_FEATURES } from './bitmaps.ts';
export { randomShift, type Augment } from './augment.ts';
export { toMnistDigit, MNIST_BOX, type MnistDigitOptions } from './digits.ts';
