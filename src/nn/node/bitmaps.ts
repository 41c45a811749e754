/** Folders of the 32x32 text-bitmap digits (Node only); parsing one lives in data/bitmaps.ts. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BITMAP_FEATURES, parseBitmap } from '../data/bitmaps.ts';
import type { Dataset } from '../data/dataset.ts';
import { DataError, describeFsError } from '../data/errors.ts';
import { readDataFile } from './file-io.ts';

/** `<label>_<seq>.txt`, e.g. 7_12.txt. */
const NAME = /^(\d+)_(\d+)\.txt$/i;

/**
 * Loads every `<label>_<seq>.txt` in `dir` (other extensions are ignored) as one Dataset with
 * features 1024 and values 0/1. Files are ordered by label, then seq, then name, so the order is
 * the same on every machine. Errors name the file: a bad name, a label >= classes, a bad bitmap,
 * an entry that is not a regular file (a FIFO, a device), or a folder with no bitmap files.
 *
 * @example
 * const train = loadBitmapFolder('digits/trainingDigits'); // train.count ≈ 1934
 *
 * @param options.classes - Labels must be below this (default 10).
 */
export function loadBitmapFolder(dir: string, options: { classes?: number } = {}): Dataset {
  const classes = options.classes ?? 10;
  if (!Number.isInteger(classes) || classes < 1) throw new DataError(`loadBitmapFolder: classes must be a positive whole number, got ${classes}`);

  const entries = listBitmapFiles(dir, classes);
  if (entries.length === 0) throw new DataError('folder holds no <label>_<seq>.txt bitmap files', { file: dir });

  const x = new Float32Array(entries.length * BITMAP_FEATURES);
  const y = new Int32Array(entries.length);
  entries.forEach((e, i) => {
    x.set(parseBitmap(readText(e.path), e.path), i * BITMAP_FEATURES);
    y[i] = e.label;
  });
  return { x, y, count: entries.length, features: BITMAP_FEATURES, classes };
}

interface BitmapEntry {
  path: string;
  name: string;
  label: number;
  seq: number;
}

function listBitmapFiles(dir: string, classes: number): BitmapEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.isDirectory())
      .map((d) => d.name);
  } catch (err) {
    throw new DataError(`folder ${describeFsError(err)}`, { file: dir }, { cause: err });
  }
  const entries: BitmapEntry[] = [];
  for (const name of names) {
    if (!name.toLowerCase().endsWith('.txt')) continue;
    const path = join(dir, name);
    const m = NAME.exec(name);
    if (!m) throw new DataError('file name does not match <label>_<seq>.txt (e.g. 7_12.txt)', { file: path });
    const label = Number(m[1]);
    if (label >= classes) throw new DataError(`label ${label} (from the file name) is outside 0..${classes - 1}`, { file: path });
    entries.push({ path, name, label, seq: Number(m[2]) });
  }
  return entries.sort((a, b) => a.label - b.label || a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Regular files only: a FIFO named like a bitmap is refused, never opened blocking (it would hang). */
function readText(path: string): string {
  return new TextDecoder().decode(readDataFile(path));
}
