/**
 * Model files on disk (Node only), in the format of ../io.ts. Nothing is lost on a save: the bytes
 * are checked to load back before the old file is touched, then written in full to a temporary
 * file, synced, size-checked and renamed over the target.
 */
import type { Device } from '../../runtime/device.ts';
import { checkLoadable, ModelFileError, modelFromBytes, modelToBytes, modelToBytesAsync } from '../io.ts';
import type { Model } from '../model.ts';
import { readRegularFile, writeFileAtomically } from './file-io.ts';

/**
 * Writes the model to `path` so that nothing is lost: the bytes are checked to load before the
 * old file is touched, then written in full to a temporary file, synced and renamed over `path`.
 * On a WebGPU device use `saveModelAsync`.
 */
export function saveModel(model: Model, path: string): void {
  writeModel(path, () => modelToBytes(model));
}

/** `saveModel` on any device (the only way on a WebGPU device, whose values are read back asynchronously). */
export async function saveModelAsync(model: Model, path: string): Promise<void> {
  const bytes = await modelToBytesAsync(model);
  writeModel(path, () => bytes);
}

function writeModel(path: string, encode: () => Uint8Array): void {
  let bytes: Uint8Array;
  try {
    bytes = encode();
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

/** Reads a model saved by `saveModel`; any problem is a ModelFileError naming the file. `device` puts it on a device of your choice. */
export function loadModel(path: string, options: { device?: Device } = {}): Model {
  const bytes = readRegularFile(path, (detail) => {
    throw new ModelFileError(path, detail);
  });
  return modelFromBytes(bytes, path, options);
}
