/**
 * Random byte mutations of IDX files, raw and gzip-compressed: every one must parse to exactly
 * what its bytes say (IDX has no checksum: a changed data byte is a different, valid file) or fail
 * with a DataError — never another error or a hang.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.ts';
import { DataError } from '../../../src/nn/data/errors.ts';
import { encodeIdx, parseIdx, type IdxType } from '../../../src/nn/data/idx.ts';
import { readIdx } from '../../../src/nn/node/idx.ts';
import { fuzzRuns, mutate, Tally } from '../../fuzz.ts';

const dir = mkdtempSync(join(tmpdir(), 'deltagraph-idx-fuzz-'));
const types: IdxType[] = ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'];

function randomIdx(rng: Rng): Uint8Array {
  const type = types[rng.int(types.length)];
  const shape = Array.from({ length: 1 + rng.int(3) }, () => 1 + rng.int(5));
  const count = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: count }, () => (type.startsWith('float') ? rng.normal() : type === 'uint8' ? rng.int(256) : rng.int(100) - 50));
  return encodeIdx({ type, shape, data });
}

/** True when `parsed` is what `bytes` (uncompressed) say, byte for byte (a NaN's payload aside: JS keeps one NaN). */
function faithful(parsed: ReturnType<typeof parseIdx>, bytes: Uint8Array): boolean {
  const again = encodeIdx({ type: parsed.type, shape: parsed.shape, data: parsed.data });
  const start = 4 + 4 * parsed.shape.length;
  const size = parsed.data.BYTES_PER_ELEMENT;
  return again.length === bytes.length && again.every((b, i) => b === bytes[i] || (i >= start && Number.isNaN(parsed.data[Math.floor((i - start) / size)])));
}

describe('fuzz: mutated IDX files', () => {
  it('parse to exactly their bytes or fail with a DataError (raw and .gz)', () => {
    const runs = fuzzRuns(600);
    const rng = new Rng(1130);
    const tally = new Tally();
    for (let t = 0; t < runs; t++) {
      const original = randomIdx(rng);
      const gz = t % 3 === 0;
      const mutated = mutate(gz ? gzipSync(original) : original, rng, [[0, gz ? 24 : 16]]);
      tally.record(
        `trial ${t}`,
        () => {
          if (!gz) return faithful(parseIdx(mutated, 'fuzz-idx'), mutated) ? 'identical' : 'silent difference';
          const file = join(dir, `fuzz-${t % 8}.gz`);
          writeFileSync(file, mutated);
          const parsed = readIdx(file);
          return faithful(parsed, gunzipSync(mutated)) ? 'identical' : 'silent difference';
        },
        (e) => e instanceof DataError && /fuzz/.test(e.message),
      );
    }
    console.log(tally.summary('IDX mutations'));
    expect(tally.failures.slice(0, 5)).toEqual([]);
  }, 120_000);
});
