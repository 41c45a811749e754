/**
 * Edited IDX files, raw and gzip-compressed (fast-check properties, shrunk to the smallest failing
 * file and edit): every one must parse to exactly what its bytes say (IDX has no checksum: a changed data byte is a different, valid file) or fail
 * with a DataError — never another error or a hang.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataError } from '../../../src/nn/data/errors.ts';
import { encodeIdx, parseIdx, type IdxType } from '../../../src/nn/data/idx.ts';
import { readIdx } from '../../../src/nn/node/idx.ts';
import { applyEdits, edits, fuzzParameters, Outcomes, timed } from '../../fuzz.ts';

const dir = mkdtempSync(join(tmpdir(), 'deltagraph-idx-fuzz-'));
const types: IdxType[] = ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'];

/** An IDX file: its type, a shape of 1 to 3 dimensions of 1 to 5, and values that fit the type. */
const idxFile = fc
  .record({
    type: fc.constantFrom(...types),
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    values: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 125, maxLength: 125 }),
  })
  .map(({ type, shape, values }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const data = values.slice(0, count).map((v) => (type.startsWith('float') ? (v - 128) / 7 : type === 'uint8' ? v : v - 128));
    return { type, shape, data };
  });

/** True when `parsed` is what `bytes` (uncompressed) say, byte for byte (a NaN's payload aside: JS keeps one NaN). */
function faithful(parsed: ReturnType<typeof parseIdx>, bytes: Uint8Array): boolean {
  const again = encodeIdx({ type: parsed.type, shape: parsed.shape, data: parsed.data });
  const start = 4 + 4 * parsed.shape.length;
  const size = parsed.data.BYTES_PER_ELEMENT;
  return again.length === bytes.length && again.every((b, i) => b === bytes[i] || (i >= start && Number.isNaN(parsed.data[Math.floor((i - start) / size)])));
}

describe('fuzz: edited IDX files (fast-check)', () => {
  it('parse to exactly their bytes or fail with a DataError (raw and .gz)', () => {
    const outcomes = new Outcomes();
    let files = 0;
    fc.assert(
      fc.property(idxFile, fc.boolean(), edits(24), (idx, gz, list) => {
        const original = encodeIdx(idx);
        const mutated = applyEdits(gz ? gzipSync(original) : original, list);
        timed(5000, () => {
          let parsed: ReturnType<typeof parseIdx>;
          let bytes = mutated;
          try {
            if (gz) {
              const file = join(dir, `fuzz-${files++ % 8}.gz`);
              writeFileSync(file, mutated);
              parsed = readIdx(file);
              bytes = gunzipSync(mutated);
            } else parsed = parseIdx(mutated, 'fuzz-idx');
          } catch (e) {
            if (e instanceof DataError && /fuzz/.test(e.message)) return outcomes.add('clean error');
            throw e;
          }
          expect(faithful(parsed, bytes), 'parsed without an error but differs from its bytes').toBe(true);
          outcomes.add('identical');
        });
      }),
      fuzzParameters(600, 1130),
    );
    console.log(outcomes.summary('IDX edits'));
  }, 120_000);
});
