/**
 * Model files on disk (Node only), in the format of ../io.ts. Nothing is lost on a save: the bytes
 * are checked to load back before the old file is touched, then written in full to a temporary
 * file, synced, size-checked and renamed over the target.
 */
import { checkLoadable, ModelFileError, modelFromBytes, modelToBytes } from '../io.ts';
import type { Model } from '../model.ts';
import { readRegularFile, writeFileAtomically } from './file-io.ts';

/**
 * Writes the model to `path` so that nothing is lost: the bytes are checked to load before the
 * old file is touched, then written in full to a temporary file, synced and renamed over `path`.
 */
export function saveModel(model: Model, path: string): void {
  let bytes: Uint8Array;
  try {
    bytes = modelToBytes(model);
    checkLoadable(bytes, path);
  } catch (e) {
    if (e instanceof ModelFileError && e.file === '<model>') throw new ModelFileError(path, e.detail);
    throw e;
  }
  try {
    writeFileAtomically(path, bytes);
  } catch (e) {
    throw new ModelFileError(path, `could not be written (${(e as Error).message}); the previous file, if any, is unchanged`);
  }
}

/** Reads a model saved by `saveModel`; any problem is a ModelFileError naming the file. */
export function loadModel(path: string): Model {
  const bytes = readRegularFile(path, (detail) => {
    throw new ModelFileError(path, detail);
  });
  return modelFromBytes(bytes, path);
}
