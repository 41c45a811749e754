/**
 * deltagraph/nn in Node: everything of the browser-safe entry, and the helpers that read and write
 * files (model files, IDX files, MNIST, bitmap folders). Package users get it from `deltagraph/nn`
 * under Node (the "node" export condition); bundles for pages get ../index.ts, the same without
 * the file helpers (marked "Node only" here).
 *
 * @module deltagraph/nn
 */
export * from '../index.ts';
export { saveModel, saveModelAsync, loadModel } from './files.ts';
export { readIdx } from './idx.ts';
export { loadMnist, mnistDataDir } from './mnist.ts';
export { loadBitmapFolder } from './bitmaps.ts';
