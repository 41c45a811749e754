import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);

describe('docs/reliability.md', () => {
  it('runs its code blocks, in order, as one script, and they print what the text says', () => {
    const text = readFileSync(new URL('docs/reliability.md', root), 'utf8');
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    const tsx = new URL('node_modules/.bin/tsx', root).pathname;
    // The package's entry points resolved to the sources as the repository's tsconfig paths say.
    const paths = JSON.parse(readFileSync(new URL('tsconfig.json', root), 'utf8')).compilerOptions.paths as Record<string, string[]>;
    const script = blocks.join('\n').replace(/from '(deltagraph(?:\/[a-z]+)?)'/g, (_, name: string) => `from '${new URL(paths[name][0], root).pathname}'`);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'deltagraph-docs-')), 'reliability.mts');
    writeFileSync(file, script);
    // A time limit: the FIFO block would hang a loader that opened it blocking.
    const out = execFileSync(tsx, [file], { cwd: root.pathname, encoding: 'utf8', timeout: 60_000 });
    expect(out).toContain("ModelFileError: notes.txt: not a deltagraph model file: a model file (safetensors) is 8 bytes giving the header length");
    expect(out).toMatch(/DataError: .*1_0\.txt: file is a FIFO \(named pipe\), not a regular file\n/);
    expect(out).toContain('count, features, classes are missing (it has x, y)\n');
    expect(out).toMatch(/built a \[784, 1000000\] layer in \d+ ms\n/);
    expect(out).toMatch(/GraphError: compile: the parameters of this program need 6\.3 GB as float32 .*'dense_1\/kernel' \[784,1000000\] 3\.1 GB/);
    expect(out).toMatch(/fit: the loss became NaN at epoch 1, step 2: .*fit again with \{ checkNumerics: true \}/);
  }, 90_000);
});
