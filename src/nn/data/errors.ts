/**
 * DataError: one error class for every bad input the data module meets (a broken IDX file, a bitmap
 * with a stray character, a dataset with a NaN pixel). The facts are fields, so code can inspect
 * them; the message puts them in front of the problem, so a person can find and fix it.
 */
import { DeltaGraphError } from '../../core/errors.ts';

/** Where a data problem is: any of these may be known. */
export interface DataErrorFacts {
  /** The file (or folder, or dataset name) the problem is in. */
  file?: string;
  /** Byte offset in a binary file. */
  offset?: number;
  /** 1-based line in a text file. */
  line?: number;
  /** 1-based column in a text file. */
  column?: number;
  /** 0-based sample index in a dataset. */
  sample?: number;
  /** 0-based feature index within a sample. */
  feature?: number;
}

/**
 * A bad input: the message reads `file: location: what is wrong`, e.g.
 * `mnist/train-images-idx3-ubyte: byte 16: expected 47040000 bytes of data ..., found 1200 (file truncated?)`.
 *
 * @example
 * try { readIdx('missing-file') } catch (e) { if (e instanceof DataError) console.log(e.file, e.detail) }
 */
export class DataError extends DeltaGraphError {
  /** The class name, shown before the message. */
  override name = 'DataError';
  /** The file (or dataset name) the problem is in. */
  readonly file?: string;
  /** The byte offset in the file. */
  readonly offset?: number;
  /** The line in a text file (1-based). */
  readonly line?: number;
  /** The column in that line (1-based). */
  readonly column?: number;
  /** The sample (0-based). */
  readonly sample?: number;
  /** The feature within the sample (0-based). */
  readonly feature?: number;
  /** What is wrong, without the location. */
  readonly detail: string;

  constructor(detail: string, facts: DataErrorFacts = {}, options?: ErrorOptions) {
    super(formatDataError(detail, facts), options);
    this.detail = detail;
    this.file = facts.file;
    this.offset = facts.offset;
    this.line = facts.line;
    this.column = facts.column;
    this.sample = facts.sample;
    this.feature = facts.feature;
  }
}

function formatDataError(detail: string, f: DataErrorFacts): string {
  const where: string[] = [];
  if (f.offset !== undefined) where.push(`byte ${f.offset}`);
  if (f.line !== undefined) where.push(`line ${f.line}`);
  if (f.column !== undefined) where.push(`column ${f.column}`);
  if (f.sample !== undefined) where.push(`sample ${f.sample}`);
  if (f.feature !== undefined) where.push(`feature ${f.feature}`);
  const parts = [f.file, where.join(', '), detail].filter((p) => p !== undefined && p !== '');
  return parts.join(': ');
}

/** Turns a Node file-system error into a short human description (the path goes in `file`). */
export function describeFsError(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'not found';
    case 'EISDIR':
      return 'is a folder, expected a file';
    case 'ENOTDIR':
      return 'is not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot be read (${err instanceof Error ? err.message : String(err)})`;
  }
}
