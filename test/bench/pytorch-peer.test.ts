import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { measurePytorch, PYTORCH_MISSING } from '../../bench/peers/pytorch.ts';

// The PyTorch peer of `npm run bench` must say that torch is missing, not fail, wherever it is run.
describe('bench/peers/pytorch.ts without PyTorch', () => {
  const saved = process.env.PYTHON;
  afterEach(() => {
    if (saved === undefined) delete process.env.PYTHON;
    else process.env.PYTHON = saved;
  });

  it('reports "PyTorch not installed" when there is no python', () => {
    process.env.PYTHON = '/nonexistent/python3';
    expect(measurePytorch()).toEqual({ installed: false, message: `${PYTORCH_MISSING}: /nonexistent/python3 not found` });
  });

  it('reports "PyTorch not installed" when python cannot import torch', () => {
    // python3 -S: no site-packages, so no torch, whatever this machine has installed.
    const dir = mkdtempSync(join(tmpdir(), 'deltagraph-python-'));
    try {
      const python = join(dir, 'python3');
      writeFileSync(python, '#!/bin/sh\nexec python3 -S "$@"\n');
      chmodSync(python, 0o755);
      process.env.PYTHON = python;
      expect(measurePytorch()).toEqual({ installed: false, message: PYTORCH_MISSING });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
