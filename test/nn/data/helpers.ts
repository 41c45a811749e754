import { expect } from 'vitest';
import { DataError } from '../../../src/nn/data/errors.ts';

/** Runs `fn`, expects it to throw a DataError, and returns it for the message checks. */
export function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}
