import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBitmap } from '../../../src/nn/data/bitmaps.ts';
import { loadBitmapFolder } from '../../../src/nn/node/bitmaps.ts';
import { validateDataset } from '../../../src/nn/data/dataset.ts';
import { DataError } from '../../../src/nn/data/errors.ts';
import { dataError } from './helpers.ts';


const root = mkdtempSync(join(tmpdir(), 'deltagraph-bitmaps-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 32 rows; row r has a single 1 in column (r + shift) % 32. */
function rows(shift = 0): string[] {
  return Array.from({ length: 32 }, (_, r) => {
    const chars = Array<string>(32).fill('0');
    chars[(r + shift) % 32] = '1';
    return chars.join('');
  });
}
const bitmap = (shift = 0, eol = '\n') => rows(shift).join(eol) + eol;

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

describe('parseBitmap', () => {
  it('reads 32 lines of 0/1 row by row', () => {
    const px = parseBitmap(bitmap(3));
    expect(px.length).toBe(1024);
    expect(px[3]).toBe(1);
    expect(px[32 + 4]).toBe(1);
    expect(px.reduce((a, b) => a + b, 0)).toBe(32);
  });

  it('accepts \\r\\n line ends and a missing final newline', () => {
    expect(Array.from(parseBitmap(bitmap(1, '\r\n')))).toEqual(Array.from(parseBitmap(bitmap(1))));
    expect(Array.from(parseBitmap(rows(1).join('\n')))).toEqual(Array.from(parseBitmap(bitmap(1))));
  });

  it('names the line of a row with the wrong length', () => {
    const r = rows();
    r[4] = r[4]!.slice(1);
    const e = dataError(() => parseBitmap(r.join('\n'), '3_7.txt'));
    expect([e.file, e.line]).toEqual(['3_7.txt', 5]);
    expect(e.message).toBe('3_7.txt: line 5: expected 32 characters, found 31');
  });

  it('names the line and column of a character other than 0/1', () => {
    const r = rows();
    r[9] = `${r[9]!.slice(0, 6)}x${r[9]!.slice(7)}`;
    const e = dataError(() => parseBitmap(r.join('\n'), '3_7.txt'));
    expect([e.line, e.column]).toEqual([10, 7]);
    expect(e.message).toBe(`3_7.txt: line 10, column 7: expected '0' or '1', found "x"`);
  });

  it('reports too few and too many lines', () => {
    const short = dataError(() => parseBitmap(rows().slice(0, 30).join('\n') + '\n', 'a.txt'));
    expect(short.line).toBe(31);
    expect(short.message).toBe('a.txt: line 31: expected 32 lines, found 30 (file ends early)');
    const long = dataError(() => parseBitmap(bitmap() + rows()[0] + '\n', 'b.txt'));
    expect(long.line).toBe(33);
    expect(long.message).toBe('b.txt: line 33: expected 32 lines, found 33 (extra lines start here)');
  });

  it('treats a blank line inside the bitmap as a short row', () => {
    const r = rows();
    r.splice(2, 0, '');
    expect(dataError(() => parseBitmap(r.slice(0, 32).join('\n'), 'c.txt')).message).toBe('c.txt: line 3: expected 32 characters, found 0');
  });
});

describe('loadBitmapFolder', () => {
  it('loads files in label, then seq order, ignoring non-.txt files', () => {
    const dir = folder('ok', {
      '1_10.txt': bitmap(10),
      '1_2.txt': bitmap(2),
      '0_5.txt': bitmap(5, '\r\n'),
      'README.md': 'not a bitmap',
      '.DS_Store': '\0',
    });
    mkdirSync(join(dir, 'sub.txt'));
    const ds = loadBitmapFolder(dir);
    expect([ds.count, ds.features, ds.classes]).toEqual([3, 1024, 10]);
    expect(Array.from(ds.y)).toEqual([0, 1, 1]);
    expect([ds.x[5], ds.x[1024 + 2], ds.x[2048 + 10]]).toEqual([1, 1, 1]);
    expect(() => validateDataset(ds, dir)).not.toThrow();
  });

  it('names a file whose name does not match <label>_<seq>.txt', () => {
    const dir = folder('badname', { '0_1.txt': bitmap(), 'seven.txt': bitmap() });
    const e = dataError(() => loadBitmapFolder(dir));
    expect(e.file).toBe(join(dir, 'seven.txt'));
    expect(e.message).toBe(`${join(dir, 'seven.txt')}: file name does not match <label>_<seq>.txt (e.g. 7_12.txt)`);
  });

  it('names a file whose label is out of range', () => {
    const dir = folder('badlabel', { '12_0.txt': bitmap() });
    expect(dataError(() => loadBitmapFolder(dir)).message).toBe(`${join(dir, '12_0.txt')}: label 12 (from the file name) is outside 0..9`);
    expect(loadBitmapFolder(dir, { classes: 13 }).classes).toBe(13);
  });

  it('names the file and line of a bad bitmap', () => {
    const r = rows();
    r[31] = r[31]!.replace('1', '2');
    const dir = folder('badpixel', { '0_0.txt': bitmap(), '4_1.txt': r.join('\n') });
    const e = dataError(() => loadBitmapFolder(dir));
    expect([e.file, e.line, e.column]).toEqual([join(dir, '4_1.txt'), 32, 32]);
  });

  it('refuses an empty folder and a missing one', () => {
    const dir = folder('empty', { 'notes.md': '' });
    expect(dataError(() => loadBitmapFolder(dir)).message).toBe(`${dir}: folder holds no <label>_<seq>.txt bitmap files`);
    const missing = join(root, 'nope');
    expect(dataError(() => loadBitmapFolder(missing)).message).toBe(`${missing}: folder not found`);
  });

  it('refuses a FIFO among the bitmaps without opening it blocking', () => {
    const dir = folder('fifo', { '0_0.txt': bitmap(), '2_0.txt': bitmap(1) });
    const fifo = join(dir, '1_0.txt');
    execFileSync('mkfifo', [fifo]);
    // In a child with a time limit: a loader that opens the FIFO blocking would wait for a writer for ever.
    const script = join(root, 'load-fifo.ts');
    const src = resolve(import.meta.dirname, '../../../src/nn/node/bitmaps.ts');
    writeFileSync(
      script,
      `import { loadBitmapFolder } from ${JSON.stringify(src)};
       try { loadBitmapFolder(${JSON.stringify(dir)}); console.log('loaded'); } catch (e) { console.log(String(e)); }`,
    );
    const tsx = resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
    const out = spawnSync(tsx, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.signal, 'the loader hung on the FIFO').toBeNull();
    expect(out.stdout.trim()).toBe(`DataError: ${fifo}: file is a FIFO (named pipe), not a regular file`);
  }, 60_000);
});
