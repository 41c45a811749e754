/**
 * docs/backprop.md's section "Port network.py and check it", run as a script on top of the page's
 * first block (its imports): the port passes checkBackprop, the planted 1/m is named in the update,
 * and the port learns XOR. test/docs.test.ts runs the whole page, this section included.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);

describe("docs/backprop.md: 'Port network.py and check it'", () => {
  it('runs, and prints what the text says', () => {
    const text = readFileSync(new URL('docs/backprop.md', root), 'utf8');
    const heading = text.indexOf('## Port network.py and check it');
    expect(heading).toBeGreaterThan(0);
    const blocksOf = (s: string) => [...s.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const section = blocksOf(text.slice(heading));
    expect(section).toHaveLength(5);
    const paths = JSON.parse(readFileSync(new URL('tsconfig.json', root), 'utf8')).compilerOptions.paths as Record<string, string[]>;
    const script = [blocksOf(text)[0], ...section].join('\n').replace(/from '(deltagraph(?:\/[a-z]+)?)'/g, (_, name: string) => `from '${new URL(paths[name][0], root).pathname}'`);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'deltagraph-docs-')), 'network-py.mts');
    writeFileSync(file, script);
    const out = execFileSync(new URL('node_modules/.bin/tsx', root).pathname, [file], { cwd: root.pathname, encoding: 'utf8' });
    expect(out).toMatch(/✓ Your backprop agrees with autodiff: 30 calls \(backprop\(x, y\) sample by sample and updateMiniBatch on mini-batches of m = 4, η = 3\) on random \[4,5,3\] and \[3,3,3,3\] nets/);
    expect(out).toContain('First wrong: the update (w ← w − (η/m) Σ_x ∂C_x/∂w, in updateMiniBatch), on call 13 (updateMiniBatch, [4,5,3], m = 4).');
    expect(out).toMatch(/\n {2}- missing 1\/m: the step uses the batch's sum of gradients, not its mean: divide by the batch size \(network.py: eta \/ len\(mini_batch\)\)\n/);
    expect(out).toMatch(/✓ Your backprop agrees with autodiff: 6 calls \(your function on batches of m = 4\) on random \[4,5,3\] and \[3,3,3,3\] nets \(relu hidden, softmax output, softmaxCrossEntropy cost, row form\)/);
    expect(out).toMatch(/Backprop trace of \[2,3,2\] \(sigmoid\/sigmoid\), quadratic cost, batch of m = 4/);
    expect(out).toMatch(/network.py's XOR: cost 0\.\d{4} before training, 0\.\d{4} after/);
  }, 60_000);
});
