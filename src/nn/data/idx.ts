/**
 * The IDX format (the MNIST files): two zero bytes, a type code, the number of dimensions, each
 * dimension as a big-endian uint32, then the elements, big-endian, row-major.
 */
import { DataError } from './errors.ts';

/** The element types of IDX files. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
/** The typed array that holds an IDX file's elements, by type. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A parsed IDX file: `data` is row-major with `data.length === product(shape)`. */
export interface IdxArray {
  /** The element type. */
  type: IdxType;
  /** The dimensions (images: [count, rows, cols]). */
  shape: number[];
  /** The elements, row-major. */
  data: IdxData;
}

interface ElementType {
  code: number;
  type: IdxType;
  size: number;
  /** Integer types: the value range, checked when encoding so a round trip is exact. */
  min?: number;
  max?: number;
  make: (n: number) => IdxData;
  get: (v: DataView, at: number) => number;
  set: (v: DataView, at: number, x: number) => void;
}

// DataView reads and writes big-endian by default, which is what IDX uses.
const TYPES: readonly ElementType[] = [
  { code: 0x08, type: 'uint8', size: 1, min: 0, max: 255, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  { code: 0x09, type: 'int8', size: 1, min: -128, max: 127, make: (n) => new Int8Array(n), get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  { code: 0x0b, type: 'int16', size: 2, min: -32768, max: 32767, make: (n) => new Int16Array(n), get: (v, o) => v.getInt16(o), set: (v, o, x) => v.setInt16(o, x) },
  { code: 0x0c, type: 'int32', size: 4, min: -(2 ** 31), max: 2 ** 31 - 1, make: (n) => new Int32Array(n), get: (v, o) => v.getInt32(o), set: (v, o, x) => v.setInt32(o, x) },
  { code: 0x0d, type: 'float32', size: 4, make: (n) => new Float32Array(n), get: (v, o) => v.getFloat32(o), set: (v, o, x) => v.setFloat32(o, x) },
  { code: 0x0e, type: 'float64', size: 8, make: (n) => new Float64Array(n), get: (v, o) => v.getFloat64(o), set: (v, o, x) => v.setFloat64(o, x) },
];

const hex = (b: number | undefined): string => (b === undefined ? 'nothing' : `0x${b.toString(16).padStart(2, '0')}`);
export const shapeText = (shape: readonly number[]): string => (shape.length === 0 ? 'scalar' : shape.join('x'));
export const isGzip = (bytes: Uint8Array): boolean => bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * Parses the bytes of an IDX file. The result owns its data (a copy, never a view of `bytes`).
 * `file` only names the source in error messages.
 *
 * @example
 * const bytes = encodeIdx({ type: 'uint8', shape: [2, 2], data: [1, 2, 3, 4] });
 * parseIdx(bytes); // { type: 'uint8', shape: [2, 2], data: Uint8Array [1, 2, 3, 4] }
 */
export function parseIdx(bytes: Uint8Array, file = '<memory>'): IdxArray {
  return decodeIdx(bytes, file, true);
}

/**
 * parseIdx for bytes as fetched or read: gzip-compressed IDX (`*.gz` as downloaded) is
 * decompressed first, with the platform's DecompressionStream (browsers, Node 18+).
 *
 * @example
 * const labels = await parseIdxAsync(new Uint8Array(await (await fetch('t10k-labels-idx1-ubyte.gz')).arrayBuffer()));
 */
export async function parseIdxAsync(bytes: Uint8Array, file = '<memory>'): Promise<IdxArray> {
  if (!isGzip(bytes)) return decodeIdx(bytes, file, true);
  let inflated: Uint8Array;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    inflated = new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new DataError(`file looks gzip-compressed but does not decompress (${(err as Error).message})`, { file, offset: 0 }, { cause: err });
  }
  return decodeIdx(inflated, file, false);
}

/** parseIdx, optionally returning one-byte data as a view of `bytes` (for bytes the caller owns). */
export function decodeIdx(bytes: Uint8Array, file: string, copy: boolean): IdxArray {
  if (isGzip(bytes)) {
    throw new DataError('file is gzip-compressed; decompress it first (parseIdxAsync, or readIdx in Node)', { file, offset: 0 });
  }
  if (bytes.length < 4) {
    throw new DataError(`file is ${bytes.length} bytes long, too short for the 4-byte IDX magic number (file truncated?)`, { file, offset: 0 });
  }
  const header = readHeader(bytes, file);
  const { et, shape, count, dataStart } = header;
  if (bytes.length < dataStart) {
    throw new DataError(
      `header declares ${bytes[3]} dimensions and needs ${dataStart} bytes, but the file has only ${bytes.length} (file truncated?)`,
      { file, offset: 4 },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expected = count * et.size;
  const found = bytes.length - dataStart;
  if (found < expected) {
    throw new DataError(
      `expected ${expected} bytes of data (${shapeText(shape)} ${et.type}), found ${found}; the file ends at byte ${bytes.length} (file truncated?)`,
      { file, offset: dataStart },
    );
  }
  if (found > expected) {
    throw new DataError(
      `${found - expected} unexpected bytes after the end of the data (${shapeText(shape)} ${et.type} ends here; trailing garbage or a wrong header?)`,
      { file, offset: dataStart + expected },
    );
  }

  return { type: et.type, shape, data: readElements(view, dataStart, count, et, copy) };
}

/** The type and the shape of an IDX file from its first bytes (the dimensions that are there). */
export function readHeader(bytes: Uint8Array, file: string): { et: ElementType; shape: number[]; count: number; dataStart: number } {
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(`IDX magic number must start with two zero bytes, found ${hex(bytes[0])} ${hex(bytes[1])} (not an IDX file?)`, { file, offset: 0 });
  }
  const et = TYPES.find((t) => t.code === bytes[2]);
  if (!et) {
    const known = TYPES.map((t) => `${hex(t.code)} ${t.type}`).join(', ');
    throw new DataError(`unknown IDX type code ${hex(bytes[2])}; expected one of ${known}`, { file, offset: 2 });
  }
  const ndims = bytes[3]!;
  const dataStart = 4 + 4 * ndims;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndims && 8 + 4 * d <= bytes.length; d++) shape.push(view.getUint32(4 + 4 * d));
  return { et, shape, count: shape.reduce((a, b) => a * b, 1), dataStart };
}

function readElements(view: DataView, start: number, count: number, et: ElementType, copy: boolean): IdxData {
  if (et.size === 1) {
    // One-byte elements have no byte order: take the block as it is (MNIST's 47 MB in one go).
    const block = new Uint8Array(view.buffer, view.byteOffset + start, count);
    const bytes = copy ? block.slice() : block;
    return et.type === 'uint8' ? bytes : new Int8Array(bytes.buffer, bytes.byteOffset, count);
  }
  const out = et.make(count);
  for (let i = 0; i < count; i++) out[i] = et.get(view, start + i * et.size);
  return out;
}

/**
 * Encodes an array as IDX bytes (the inverse of parseIdx). Integer types refuse values they cannot
 * hold exactly, so `parseIdx(encodeIdx(a))` gives back `a`.
 *
 * @example
 * fs.writeFileSync('labels-idx1-ubyte', encodeIdx({ type: 'uint8', shape: [3], data: [5, 0, 4] }));
 *
 * @param array.type - The element type to write.
 * @param array.shape - The dimensions.
 * @param array.data - The elements, row-major, product(shape) of them.
 */
export function encodeIdx(array: { type: IdxType; shape: readonly number[]; data: ArrayLike<number> }): Uint8Array {
  const { type, shape, data } = array;
  const et = TYPES.find((t) => t.type === type);
  if (!et) throw new DataError(`encodeIdx: unknown type '${type}'; expected one of ${TYPES.map((t) => t.type).join(', ')}`);
  if (shape.length > 255) throw new DataError(`encodeIdx: IDX allows at most 255 dimensions, got ${shape.length}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new DataError(`encodeIdx: dimension ${d} in shape [${shape.join(', ')}] is not a uint32`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new DataError(`encodeIdx: shape ${shapeText(shape)} needs ${count} elements, data has ${data.length}`);
  }

  const dataStart = 4 + 4 * shape.length;
  const out = new Uint8Array(dataStart + count * et.size);
  const view = new DataView(out.buffer);
  out[2] = et.code;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0; i < count; i++) {
    const x = data[i]!;
    if (et.min !== undefined && !(Number.isInteger(x) && x >= et.min && x <= et.max!)) {
      throw new DataError(`encodeIdx: element ${i} is ${x}, which ${type} cannot hold (${et.min}..${et.max})`);
    }
    et.set(view, dataStart + i * et.size, x);
  }
  return out;
}
