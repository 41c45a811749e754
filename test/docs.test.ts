import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);

describe('docs/backprop.md', () => {
  it('runs its code blocks, in order, as one script, and they print what the text says', () => {
    const text = readFileSync(new URL('docs/backprop.md', root), 'utf8');
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    const tsx = new URL('node_modules/.bin/tsx', root).pathname;
    // Written to a temporary file, the package's entry points resolved as its exports map says.
    type Target = string | { node?: Target; default: Target };
    const exportsMap = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).exports as Record<string, Target>;
    // A conditional entry ({ node, default }) nests: follow it as Node does, down to the file.
    const fileOf = (t: Target): string => (typeof t === 'string' ? t : fileOf(t.node ?? t.default));
    const script = blocks.join('\n').replace(/from '(deltagraph(?:\/[a-z]+)?)'/g, (_, name: string) => `from '${new URL(fileOf(exportsMap[name.replace(/^deltagraph/, '.')]), root).pathname}'`);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'deltagraph-docs-')), 'backprop.mts');
    writeFileSync(file, script);
    const out = execFileSync(tsx, [file], { cwd: root.pathname, encoding: 'utf8' });
    expect(out).toMatch(/^Backprop trace of \[784,30,10\]/);
    expect(out).toContain('BP1  δ2     = (a2 − y) ⊙ a2 ⊙ (1 − a2) / m\n');
    expect(out).toContain('BP2  δ1     = δ2·w2ᵀ ⊙ a1 ⊙ (1 − a1)\n');
    expect(out).toContain('BP3  ∂C/∂b1 = Σ_rows δ1\n');
    expect(out).toContain('BP4  ∂C/∂w1 = a0ᵀ·δ1\n');
    expect(out).toContain('softmax cross-entropy: δ = (softmax(x·w + b) − onehot(labels)) / m\n');
    expect(out).toMatch(/\(δ2\): \[null,10\] = mul\(/);
    expect(out).toMatch(/finite differences: max relative error \d\.\de-\d+/);
    expect(out).toMatch(/- missing 1\/m/);
  }, 60_000);
});
