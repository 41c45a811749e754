/**
 * Node-only file helpers shared by the model files and the data loaders: reading only regular
 * files (a FIFO or a device would hang or never end), and writing so that nothing is lost — the
 * whole of the bytes, synced, checked, then renamed over the target.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { DataError } from '../data/errors.ts';

/** A file system problem, as a short phrase for a message after the file name. */
export function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `could not be read (${err instanceof Error ? err.message : String(err)})`;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The bytes of a regular file. Anything else (a folder, a FIFO, a device) is refused without
 * reading: opened non-blocking, so even a FIFO swapped in after a check cannot hang the call.
 * `fail` turns a problem into the caller's error.
 */
export function readRegularFile(file: string, fail: (detail: string, cause?: unknown) => never): Uint8Array {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return fail(describeFileError(err), err);
  }
  let result: Uint8Array | string;
  try {
    result = readOpenFile(fd);
  } catch (err) {
    result = describeFileError(err);
  } finally {
    closeSync(fd);
  }
  return typeof result === 'string' ? fail(result) : result;
}

/** The bytes of a data file (IDX, bitmap): what `readRegularFile` refuses becomes a DataError naming the path. */
export function readDataFile(file: string): Uint8Array {
  return readRegularFile(file, (detail, cause) => {
    throw new DataError(detail === 'file not found' ? 'file not found' : `file ${detail}`, { file }, { cause });
  });
}

/** The bytes of an open regular file, or what is wrong. */
function readOpenFile(fd: number): Uint8Array | string {
  const stats = fstatSync(fd);
  if (!stats.isFile()) return `is ${kindOf(stats)}, not a regular file`;
  const bytes = new Uint8Array(stats.size);
  let read = 0;
  while (read < bytes.length) {
    const n = readSync(fd, bytes, read, bytes.length - read, read);
    if (n === 0) return `shrank to ${read} bytes while being read (${bytes.length} expected); is something writing it?`;
    read += n;
  }
  return bytes;
}

/** Temporary files of `writeFileAtomically` for a target named `name`: `<name>.tmp-<pid>-<time>`. */
const temporaryPattern = (name: string) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-\\d+$`);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Removes temporary files that earlier saves to `target` left behind (killed mid-save): those
 * of this process (saves are synchronous, so none is in progress) and of processes that no
 * longer run. A save in progress in another live process keeps its file.
 */
export function removeStaleTemporaries(target: string): string[] {
  const folder = path.dirname(target);
  const pattern = temporaryPattern(path.basename(target));
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && isRunning(pid)) continue;
    rmSync(path.join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Writes every byte, looping on short writes (a full disk or a file size limit gives fewer). */
function writeFully(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) {
    const n = writeSync(fd, bytes, written, bytes.length - written);
    if (n <= 0) throw new Error(`wrote ${written} of ${bytes.length} bytes (disk full?)`);
    written += n;
  }
}

/**
 * Replaces `target` by `bytes` so that a crash, a full disk or a size limit never leaves a
 * partial file: write all to a temporary file beside it, fsync, check its size, rename over the
 * target, fsync the folder (so the rename itself survives a power cut). On failure the target is
 * untouched and the temporary file removed; the error says what failed.
 */
export function writeFileAtomically(target: string, bytes: Uint8Array): void {
  removeStaleTemporaries(target);
  const temporary = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(temporary, 'wx');
    try {
      writeFully(fd, bytes);
      fsyncSync(fd);
      const size = fstatSync(fd).size;
      if (size !== bytes.length) throw new Error(`the file has ${size} bytes after writing ${bytes.length}`);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
  syncFolder(path.dirname(target));
}

/** fsync of a folder, so that a rename in it is on disk; best effort where a system cannot. */
function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems cannot sync a folder; the rename is done either way
  } finally {
    closeSync(fd);
  }
}
