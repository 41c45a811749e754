import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../src/nn/data/errors.ts';
import { encodeIdx, parseIdx, parseIdxAsync, type IdxType } from '../../../src/nn/data/idx.ts';
import { readIdx } from '../../../src/nn/node/idx.ts';
import { dataError } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'deltagraph-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs fn and returns the DataError it throws (failing the test if it throws nothing or something else). */

describe('encodeIdx / parseIdx', () => {
  const cases: [IdxType, number[]][] = [
    ['uint8', [0, 1, 128, 255, 7, 9]],
    ['int8', [-128, -1, 0, 1, 127, 5]],
    ['int16', [-32768, -2, 0, 300, 32767, 1]],
    ['int32', [-(2 ** 31), -70000, 0, 70000, 2 ** 31 - 1, 3]],
    ['float32', [-1.5, 0, 0.25, 2 ** 40, -7, 1 / 8]],
    ['float64', [Math.PI, -Math.E, 0, 1e-300, 1e300, -0.1]],
  ];
  it.each(cases)('round-trips %s', (type, values) => {
    const parsed = parseIdx(encodeIdx({ type, shape: [2, 3], data: values }));
    expect(parsed.type).toBe(type);
    expect(parsed.shape).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual(values);
  });

  it('writes the header big-endian', () => {
    const bytes = encodeIdx({ type: 'int16', shape: [1, 258], data: new Int16Array(258).fill(0x0102) });
    expect(Array.from(bytes.subarray(0, 12))).toEqual([0, 0, 0x0b, 2, 0, 0, 0, 1, 0, 0, 1, 2]);
    expect(Array.from(bytes.subarray(12, 14))).toEqual([1, 2]);
  });

  it('returns a copy, not a view of the input bytes', () => {
    const bytes = encodeIdx({ type: 'uint8', shape: [2], data: [1, 2] });
    const parsed = parseIdx(bytes);
    bytes[8] = 99;
    expect(parsed.data[0]).toBe(1);
  });

  it('refuses values the type cannot hold and data that does not fit the shape', () => {
    expect(dataError(() => encodeIdx({ type: 'uint8', shape: [2], data: [1, 256] })).message).toMatch(/element 1 is 256.*uint8/);
    expect(dataError(() => encodeIdx({ type: 'int32', shape: [1], data: [0.5] })).message).toMatch(/element 0 is 0.5/);
    expect(dataError(() => encodeIdx({ type: 'uint8', shape: [2, 2], data: [1, 2, 3] })).message).toMatch(/needs 4 elements, data has 3/);
  });
});

describe('parseIdx errors', () => {
  const good = encodeIdx({ type: 'uint8', shape: [3, 4, 4], data: new Uint8Array(48) });

  it('rejects a file too short for the magic', () => {
    const e = dataError(() => parseIdx(new Uint8Array([0, 0]), 'tiny.idx'));
    expect(e.file).toBe('tiny.idx');
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/^tiny\.idx: byte 0: file is 2 bytes long, too short/);
  });

  it('rejects a bad magic number', () => {
    const bytes = good.slice();
    bytes[0] = 0x50;
    const e = dataError(() => parseIdx(bytes, 'img.png'));
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/img\.png: byte 0: .*two zero bytes, found 0x50 0x00 \(not an IDX file\?\)/);
  });

  it('rejects an unknown type code', () => {
    const bytes = good.slice();
    bytes[2] = 0x0a;
    const e = dataError(() => parseIdx(bytes, 'f'));
    expect(e.offset).toBe(2);
    expect(e.message).toMatch(/f: byte 2: unknown IDX type code 0x0a; expected one of 0x08 uint8/);
  });

  it('rejects a header that does not fit', () => {
    const e = dataError(() => parseIdx(good.subarray(0, 10), 'f'));
    expect(e.offset).toBe(4);
    expect(e.message).toMatch(/f: byte 4: header declares 3 dimensions and needs 16 bytes, but the file has only 10/);
  });

  it('rejects truncated data, naming where data starts and ends and the byte counts', () => {
    const e = dataError(() => parseIdx(good.subarray(0, 16 + 40), 'mnist/train-images-idx3-ubyte'));
    expect(e.file).toBe('mnist/train-images-idx3-ubyte');
    expect(e.offset).toBe(16);
    expect(e.message).toBe(
      'mnist/train-images-idx3-ubyte: byte 16: expected 48 bytes of data (3x4x4 uint8), found 40; the file ends at byte 56 (file truncated?)',
    );
  });

  it('counts multi-byte elements in the expected size', () => {
    const floats = encodeIdx({ type: 'float64', shape: [2], data: [1, 2] });
    expect(dataError(() => parseIdx(floats.subarray(0, floats.length - 1))).message).toMatch(/expected 16 bytes .* found 15/);
  });

  it('rejects trailing garbage after the data', () => {
    const bytes = new Uint8Array(good.length + 5);
    bytes.set(good);
    const e = dataError(() => parseIdx(bytes, 'f'));
    expect(e.offset).toBe(16 + 48);
    expect(e.message).toMatch(/f: byte 64: 5 unexpected bytes after the end of the data/);
  });

  it('points out gzip-compressed input', () => {
    const e = dataError(() => parseIdx(gzipSync(good), 'f.gz'));
    expect(e.message).toMatch(/f\.gz: byte 0: file is gzip-compressed/);
  });
});

describe('parseIdxAsync (pages: gzip through DecompressionStream)', () => {
  it('decompresses gzip bytes, and parses plain ones as they are', async () => {
    const plain = encodeIdx({ type: 'int32', shape: [2], data: [-1, 70000] });
    expect(Array.from((await parseIdxAsync(gzipSync(plain), 'x.gz')).data)).toEqual([-1, 70000]);
    expect(Array.from((await parseIdxAsync(plain)).data)).toEqual([-1, 70000]);
  });

  it('names the file when the gzip stream is broken', async () => {
    const broken = gzipSync(encodeIdx({ type: 'uint8', shape: [64], data: new Array(64).fill(7) })).subarray(0, 20);
    await expect(parseIdxAsync(broken, 'f.gz')).rejects.toThrow(/f\.gz: byte 0: file looks gzip-compressed but does not decompress/);
  });
});

describe('readIdx', () => {
  it('reads a file from disk', () => {
    const file = join(dir, 'labels-idx1-ubyte');
    writeFileSync(file, encodeIdx({ type: 'uint8', shape: [3], data: [5, 0, 4] }));
    const idx = readIdx(file);
    expect(idx.shape).toEqual([3]);
    expect(Array.from(idx.data)).toEqual([5, 0, 4]);
  });

  it('decompresses .gz files', () => {
    const file = join(dir, 'x.gz');
    writeFileSync(file, gzipSync(encodeIdx({ type: 'int32', shape: [2], data: [-1, 70000] })));
    expect(Array.from(readIdx(file).data)).toEqual([-1, 70000]);
  });

  it('names a missing file', () => {
    const file = join(dir, 'nope-idx3-ubyte');
    const e = dataError(() => readIdx(file));
    expect(e.file).toBe(file);
    expect(e.message).toBe(`${file}: file not found`);
  });

  it('names the file in parse errors', () => {
    const file = join(dir, 'short');
    writeFileSync(file, new Uint8Array([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]));
    const e = dataError(() => readIdx(file));
    expect(e.file).toBe(file);
    expect(e.message).toContain(`${file}: byte 8: expected 9 bytes of data`);
  });
});

describe('readIdx reads the header before it inflates a .gz', () => {
  it('stops inflating just past the size the header declares (a small file cannot inflate to gigabytes first)', () => {
    const header = encodeIdx({ type: 'uint8', shape: [10], data: new Uint8Array(10) });
    const bomb = new Uint8Array(header.length + 20_000_000);
    bomb.set(header);
    const file = join(dir, 'bomb-idx1-ubyte.gz');
    writeFileSync(file, gzipSync(bomb, { level: 9 }));
    const before = process.memoryUsage().arrayBuffers;
    const e = dataError(() => readIdx(file));
    expect(e.message).toMatch(/bomb-idx1-ubyte\.gz: byte 18: decompresses to more than the 18 bytes its header declares \(trailing garbage or a wrong header\?\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(5_000_000);
  });

  it('refuses a header that declares more than the compressed size can hold', () => {
    const header = new Uint8Array(4 + 4 * 3);
    header.set([0, 0, 0x08, 3]);
    new DataView(header.buffer).setUint32(4, 60000);
    new DataView(header.buffer).setUint32(8, 28);
    new DataView(header.buffer).setUint32(12, 28);
    const file = join(dir, 'claims-idx3-ubyte.gz');
    writeFileSync(file, gzipSync(Uint8Array.from([...header, 1, 2, 3])));
    expect(dataError(() => readIdx(file)).message).toMatch(/header declares 60000x28x28 uint8 \(47040016 bytes\), more than a \d+-byte gzip file can hold \(at most 1032x\); corrupt header\?/);
  });

  it('still reads a good .gz, and refuses a folder as not a regular file', () => {
    const file = join(dir, 'good-idx1-ubyte.gz');
    writeFileSync(file, gzipSync(encodeIdx({ type: 'int16', shape: [3], data: [1, -2, 300] })));
    expect(Array.from(readIdx(file).data)).toEqual([1, -2, 300]);
    expect(dataError(() => readIdx(dir)).message).toMatch(/file is a folder, not a regular file/);
  });
});
