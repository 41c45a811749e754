import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockOf, guideMap, headline } from '../scripts/doc-blocks.ts';

const root = new URL('..', import.meta.url);

describe('README', () => {
  it('is a front door: at most 200 lines', () => {
    const lines = readFileSync(new URL('README.md', root), 'utf8').split('\n').length;
    console.log(`README.md: ${lines} lines`);
    expect(lines).toBeLessThanOrEqual(200);
  });

  it('carries the headline figures and the map of every guide as scripts/doc-blocks.ts writes them from docs/ (npm run docs:readme)', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
    expect(blockOf(readme, 'headline')).toBe(`${headline(read('docs/performance.md'), read('docs/training.md'))}\n`);
    expect(blockOf(readme, 'guides')).toBe(`${guideMap()}\n`);
    const guides = readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md'));
    for (const guide of guides) expect(readme).toContain(`](docs/${guide})`);
  });

  it('shows examples/readme.ts exactly as written', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const block = /<!-- example:start -->\n```ts\n([\s\S]*?)```\n<!-- example:end -->/.exec(readme);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(readFileSync(new URL('examples/readme.ts', root), 'utf8'));
  });

  it('runs the example, and it learns', () => {
    const tsx = new URL('node_modules/.bin/tsx', root).pathname;
    const out = execFileSync(tsx, ['examples/readme.ts'], { cwd: root.pathname, encoding: 'utf8' });
    const losses = [...out.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(4);
    expect(losses[3]).toBeLessThan(losses[0] / 10);
    expect(out).toMatch(/predictions( \d\.\d\d){9}/);
  }, 30_000);

  it('shows examples/backprop-trace.ts exactly as written, and it traces BP1–BP4 on MNIST against the reference', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const block = /<!-- trace-example:start -->\n```ts\n([\s\S]*?)```\n<!-- trace-example:end -->/.exec(readme);
    expect(block![1]).toBe(readFileSync(new URL('examples/backprop-trace.ts', root), 'utf8'));
    const tsx = new URL('node_modules/.bin/tsx', root).pathname;
    const out = execFileSync(tsx, ['examples/backprop-trace.ts'], { cwd: root.pathname, encoding: 'utf8' });
    expect(out).toMatch(/^Backprop trace of \[784,30,10\] \(sigmoid\/sigmoid\), quadratic cost, batch of m = 10, float64/);
    expect(out).toMatch(/\nδ2 +BP1 \(a2 − y\) ⊙ σ′\(z2\) \/ m +10×10 /);
    expect(out).toMatch(/\n∂C\/∂w1 +BP4 a0ᵀ·δ1 +784×30 /);
    expect(Number(/largest difference from the hand reference: (\S+)/.exec(out)![1])).toBeLessThan(1e-12);
    expect(out).toContain('  δ2 = (a2 − y) ⊙ a2 ⊙ (1 − a2) / m\n');
    expect(out).toMatch(/δ2 of image 1:( -?\d\.\d{4}){10}/);
  }, 60_000);

  it('shows mnist output in the format the program prints now (written into docs/training.md by npm run readme:figures)', () => {
    const readme = readFileSync(new URL('docs/training.md', root), 'utf8');
    const block = /<!-- mnist-output:start -->\n```\n([\s\S]*?)```\n<!-- mnist-output:end -->/.exec(readme)![1];
    const figures = /<!-- mnist-figures:start -->\n([\s\S]*?)<!-- mnist-figures:end -->/.exec(readme)![1];
    expect(figures).toMatch(/^Measured by `npm run readme:figures` \(\d{4}-\d\d-\d\d, on the 2-core development machine at load \d+\.\d\): the classic\npreset over seeds 1, 2, 3 ends at (\d+\.\d\d%, ){2}\d+\.\d\d% test accuracy/);
    const tsx = new URL('node_modules/.bin/tsx', root).pathname;
    const out = mkdtempSync(path.join(tmpdir(), 'deltagraph-readme-test-'));
    const printed = execFileSync(tsx, ['examples/mnist.ts', '--epochs', '1', '--limit', '1000', '--quiet', '--out', out], { cwd: root.pathname, encoding: 'utf8' });
    // Numbers aside (and the flags of this short run), every line of the README is a line the program prints.
    const form = (line: string) => line.replace(/; flags set .*$/, '').replace(/ in \S+\/ \(/, ' in DIR/ (').replace(/\d+(\.\d+)?/g, '#').replace(/\s+/g, ' ');
    const forms = new Set(printed.split('\n').map(form));
    const shown = block.trimEnd().split('\n').filter((l) => l !== '…' && !/terminal charts/.test(l));
    expect(shown.filter((l) => !forms.has(form(l)))).toEqual([]);
    expect(shown.length).toBeGreaterThan(12);
  }, 60_000);

  it('shows the improved and conv preset figures and the speed tables as their scripts wrote them', () => {
    const guides = readFileSync(new URL('docs/training.md', root), 'utf8') + readFileSync(new URL('docs/performance.md', root), 'utf8');
    const block = (marker: string) => new RegExp(`<!-- ${marker}:start -->\n([\\s\\S]*?)<!-- ${marker}:end -->`).exec(guides)![1];
    for (const preset of ['improved', 'conv']) {
      expect(block(`mnist-${preset}-figures`)).toMatch(
        new RegExp(
          `^Measured by \`npm run readme:figures -- --preset ${preset}\` \\(\\d{4}-\\d\\d-\\d\\d, on the 2-core development machine at load \\d+\\.\\d\\): the ${preset}\npreset over seeds 1, 2, 3 ends at (\\d+\\.\\d\\d%, ){2}\\d+\\.\\d\\d% test accuracy[\\s\\S]* s per run, peak memory \\(resident set\\) at most \\d+ MB\\.\n$`,
        ),
      );
    }
    const measured = /^Measured by `npx tsx bench\/\S+\.ts[^`]*--readme[^`]*` \(\d{4}-\d\d-\d\d, Node v\d+\.\d+\.\d+, load \d+\.\d at the end\)/;
    for (const marker of ['bench-training', 'bench-conv', 'bench-matmul']) {
      expect(block(marker)).toMatch(measured);
      expect(block(marker).split('\n').filter((l) => /^\| .* \|$/.test(l)).length).toBeGreaterThan(3);
    }
    expect(block('bench-training')).toMatch(/\| W3 \| \d+\.\d\d s \| pytorch-1-threads \| \d+\.\d\d s \|/);
    // npm run bench:webgpu: written by the script, saying plainly what SwiftShader is.
    expect(block('bench-webgpu')).toMatch(/^Measured by `npx tsx bench\/webgpu\.ts[^`]*` \(\d{4}-\d\d-\d\d, .+, load \d+\.\d at the end; Chromium [\d.]+/);
    expect(block('bench-webgpu')).toContain('SwiftShader emulates a GPU on the CPU');
    expect(block('bench-webgpu')).toMatch(/^\| W2 \| .* \|$/m);
  });
});
