/**
 * The 32x32 text-bitmap digits: each file is 32 lines of 32 characters '0'/'1', named
 * `<label>_<seq>.txt` (e.g. `7_12.txt` is the 13th sample of a 7).
 */
import { DataError } from './errors.ts';

/** Side of the text bitmaps `loadBitmapFolder` reads: 32x32. */
export const BITMAP_SIZE = 32;
/** Values per bitmap sample: 32·32 = 1024. */
export const BITMAP_FEATURES = BITMAP_SIZE * BITMAP_SIZE;

/**
 * Parses one bitmap into 1024 values 0/1, row by row. Accepts `\n` or `\r\n` line ends and a final
 * newline; anything else out of shape is a DataError naming `file` and the line (and column).
 *
 * @example
 * parseBitmap(('0'.repeat(32) + '\n').repeat(32), '0_0.txt'); // Float32Array(1024) of zeros
 */
export function parseBitmap(text: string, file = '<memory>'): Float32Array {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // Only trailing empty lines are forgiven (an editor's final newline); a blank line inside is an error.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== BITMAP_SIZE) {
    const problem = lines.length < BITMAP_SIZE ? 'file ends early' : 'extra lines start here';
    throw new DataError(`expected ${BITMAP_SIZE} lines, found ${lines.length} (${problem})`, {
      file,
      line: Math.min(lines.length, BITMAP_SIZE) + 1,
    });
  }

  const out = new Float32Array(BITMAP_FEATURES);
  lines.forEach((row, r) => {
    if (row.length !== BITMAP_SIZE) {
      throw new DataError(`expected ${BITMAP_SIZE} characters, found ${row.length}`, { file, line: r + 1 });
    }
    for (let c = 0; c < BITMAP_SIZE; c++) {
      const ch = row[c];
      if (ch === '1') out[r * BITMAP_SIZE + c] = 1;
      else if (ch !== '0') throw new DataError(`expected '0' or '1', found ${JSON.stringify(ch)}`, { file, line: r + 1, column: c + 1 });
    }
  });
  return out;
}
