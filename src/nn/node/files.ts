/**
 * Model files on disk (Node only). A save goes to a temporary file that is renamed over the
 * target, so a crash mid-save never destroys the previous model.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ModelFileError, modelFromBytes, modelToBytes } from '../io.ts';
import type { Model } from '../model.ts';

/** Writes the model to `path` atomically (temporary file, then rename). */
export function saveModel(model: Model, path: string): void {
  const bytes = modelToBytes(model);
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw new ModelFileError(path, `could not be written: ${(e as Error).message}`);
  }
}

export function loadModel(path: string): Model {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new ModelFileError(path, code === 'ENOENT' ? 'file not found' : `could not be read: ${(e as Error).message}`);
  }
  return modelFromBytes(bytes, path);
}
