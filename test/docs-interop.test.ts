import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);

describe('docs/interop.md', () => {
  it('runs its code blocks, in order, as one script, and they print what the text says', () => {
    const text = readFileSync(new URL('docs/interop.md', root), 'utf8');
    const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    const tsx = new URL('node_modules/.bin/tsx', root).pathname;
    // Written to a temporary file: the package's entries resolved to the sources as tsconfig's
    // paths say, onnxruntime-node to the repository's copy.
    const paths = JSON.parse(readFileSync(new URL('tsconfig.json', root), 'utf8')).compilerOptions.paths as Record<string, string[]>;
    const ortEntry = createRequire(root).resolve('onnxruntime-node');
    const script = blocks
      .join('\n')
      .replace(/from '(deltagraph(?:\/[a-z]+)?)'/g, (_, name: string) => `from '${new URL(paths[name][0], root).pathname}'`)
      .replace(/from 'onnxruntime-node'/g, `from '${ortEntry}'`);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'deltagraph-docs-')), 'interop.mts');
    writeFileSync(file, script);
    const out = execFileSync(tsx, [file], { cwd: root.pathname, encoding: 'utf8' });
    expect(out).toMatch(/^exported \d+ bytes$/m);
    const difference = Number(/ONNX Runtime: largest difference from deltagraph (\S+)/.exec(out)![1]);
    expect(difference).toBeLessThan(1e-5);
    expect(out).toContain('OnnxError: op oneHot\n');
    expect(out).toContain("inputs Tensor %0 input 'x' [null,1,16,16] float; outputs [null,10]\n");
    expect(out).toMatch(/^parameters conv1\.weight, conv1\.bias, conv2\.weight, conv2\.bias, fc\.weight, fc\.bias$/m);
    expect(out).toContain('trainable: fc.weight, fc.bias\n');
    const [, first, last] = /fine-tuned: loss (\S+) → (\S+)/.exec(out)!;
    expect(Number(last)).toBeLessThan(Number(first));
    expect(out).toMatch(/^saved \d+ bytes; exported again \d+ bytes$/m);
    expect(out).toContain('gradCheck: max relative error below 1e-6: true\n');
    expect(out).toContain("not a valid ONNX file: a field declares N bytes but only N are left (at byte N, in ModelProto)\n");
  }, 60_000);
});
