import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const tsx = path.join(root, 'node_modules/.bin/tsx');
const run = (script: string, args: string[]) => execFileSync(tsx, [script, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('examples run as documented', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'deltagraph-examples-'));

  it('mnist: trains, reports, writes history and curves, saves, and loads', () => {
    const model = path.join(dir, 'm.safetensors');
    const out = run('examples/mnist.ts', ['--epochs', '1', '--limit', '2000', '--quiet', '--out', dir, '--save', model]);
    expect(out).toMatch(/MNIST: 2000 training, 10000 validation, 10000 test images/);
    expect(out).toMatch(/Total trainable parameters: 23860/);
    expect(out).toMatch(/epoch 1 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}val loss \d\.\d{4} {2}val acc \d+\.\d\d%/);
    const accuracy = /Test accuracy (\d+\.\d\d)%/.exec(out)![1];
    for (const f of ['history.json', 'history.csv', 'loss.svg', 'accuracy.svg']) expect(existsSync(path.join(dir, f))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')).epochs).toHaveLength(1);
    const loaded = run('examples/mnist.ts', ['--load', model]);
    expect(loaded).toContain(`Test accuracy ${accuracy}%`);
  }, 120_000);

  it('mnist: refuses bad flags with the usage', () => {
    expect(() => run('examples/mnist.ts', ['--preset', 'nope'])).toThrow(/unknown preset 'nope'; choose classic or improved/);
    expect(run('examples/mnist.ts', ['--help'])).toMatch(/^Usage: npm run mnist -- \[options\]/);
  });

  it('bitmaps: trains on a folder of 32x32 text bitmaps', () => {
    const out = run('examples/bitmaps.ts', ['--epochs', '10']);
    expect(out).toMatch(/300 training bitmaps from .*, 100 test bitmaps from/);
    expect(out).toMatch(/Training accuracy \d+\.\d\d%, test accuracy \d+\.\d\d%/);
  }, 60_000);

  it('custom architecture: checks its custom op and trains', () => {
    const out = run('examples/custom-architecture.ts', ['--epochs', '1', '--limit', '2000']);
    const error = Number(/max relative error (\S+)/.exec(out)![1]);
    expect(error).toBeLessThan(1e-6);
    expect(out).toMatch(/dense_2 \(dense linear\)\s+\[null,64\]\s+8256\n\s*swish_1 \(swish\)\s+\[null,64\]\s+0\n/);
    expect(Number(/Test accuracy (\d+\.\d\d)%/.exec(out)![1])).toBeGreaterThan(80);
  }, 60_000);

  it('special-values: prints every op against its NaN/±∞ rule, all as the rule', () => {
    const out = run('examples/special-values.ts', []);
    expect(out).toMatch(/^\| relu +\| NaN +\| ok +\| ok +\| ok +\| ok +\| \+∞/m);
    expect(out).toMatch(/\d+ cases × NaN, \+∞, −∞: every kernel as its rule, in every position/);
  }, 60_000);
});
