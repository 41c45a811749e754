import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
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
    const out = run('examples/mnist.ts', ['--epochs', '2', '--lr', '1', '--limit', '2000', '--quiet', '--out', dir, '--save', model]);
    expect(out).toMatch(/MNIST: 2000 training, 10000 validation, 10000 test images/);
    expect(out).toMatch(/^Preset classic: .*, 30 epochs; flags set epochs 2, learning rate 1$/m);
    // The best epoch is chosen on validation; the test accuracy shown is that epoch's, not the best on test.
    const history = JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8'));
    const validation = history.epochs.map((e: { valAccuracy: number }) => e.valAccuracy);
    const at = validation.indexOf(Math.max(...validation));
    const best = /Best validation accuracy (\d+\.\d\d)% at epoch (\d+) \(test accuracy after that epoch (\d+\.\d\d)%\)/.exec(out)!;
    expect([Number(best[1]), Number(best[2]), Number(best[3])]).toEqual([
      Number((100 * validation[at]).toFixed(2)),
      at + 1,
      Number((100 * history.testAccuracyByEpoch[at]).toFixed(2)),
    ]);
    expect(out).toMatch(/Total trainable parameters: 23860/);
    expect(out).toMatch(/epoch 2 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}val loss \d\.\d{4} {2}val acc \d+\.\d\d%/);
    const accuracy = /Test accuracy (\d+\.\d\d)%/.exec(out)![1];
    for (const f of ['history.json', 'history.csv', 'loss.svg', 'accuracy.svg']) expect(existsSync(path.join(dir, f))).toBe(true);
    expect(history.epochs).toHaveLength(2);
    const loaded = run('examples/mnist.ts', ['--load', model]);
    expect(loaded).toContain(`Test accuracy ${accuracy}%`);
  }, 120_000);

  it('mnist --preset conv: a conv net on 28x28x1 images, saved and loaded', () => {
    const model = path.join(dir, 'conv.safetensors');
    const out = run('examples/mnist.ts', ['--preset', 'conv', '--epochs', '1', '--limit', '640', '--quiet', '--out', path.join(dir, 'conv'), '--save', model]);
    expect(out).toMatch(/^Preset conv: conv 5x5x20 ReLU → max pool 2 → conv 5x5x40 ReLU/m);
    expect(out).toMatch(/\[null,28,28,1\]/);
    expect(out).toMatch(/conv2d/);
    expect(Number(/Test accuracy (\d+\.\d\d)%/.exec(out)![1])).toBeGreaterThan(20); // 10 steps of 64 images, from chance (10%)
    const accuracy = /Test accuracy (\d+\.\d\d)%/.exec(out)![1];
    expect(run('examples/mnist.ts', ['--load', model])).toContain(`Test accuracy ${accuracy}%`);
  }, 120_000);

  it('mnist --export-onnx and example:onnx: the conv preset as ONNX, run by ONNX Runtime with the same digits', () => {
    const file = path.join(dir, 'classic.onnx');
    const out = run('examples/mnist.ts', ['--epochs', '1', '--limit', '500', '--quiet', '--out', path.join(dir, 'onnx'), '--export-onnx', file]);
    expect(out).toMatch(/Exported .*classic\.onnx \(ONNX opset 17, \d+ KB\): input 'x' \[null,784\], output 'output' \[batch, 10\]/);
    expect(readFileSync(file).length).toBeGreaterThan(90_000); // 23,860 float32 weights
    const example = run('examples/onnx-export.ts', ['--limit', '640', '--out', path.join(dir, 'conv.onnx')]);
    expect(example).toMatch(/ONNX Runtime 1\.30\.0: the same digit for 1000 of 1000 test images; largest difference in a probability \d\.\d\de-[5-9]/);
    const [, ours] = /deltagraph: test accuracy (\d+\.\d\d)%/.exec(example)!;
    expect(example).toContain(`Imported back: 8 parameters`);
    expect(example).toMatch(new RegExp(`test accuracy ${ours.replace('.', '\\.')}%$`, 'm'));
  }, 120_000);

  it('mnist: refuses bad flags with the usage', () => {
    expect(() => run('examples/mnist.ts', ['--preset', 'nope'])).toThrow(/unknown preset 'nope'; choose classic, improved or conv/);
    expect(run('examples/mnist.ts', ['--help'])).toMatch(/^Usage: npm run mnist -- \[options\]/);
  }, 60_000); // two tsx start-ups: over 5 s on a loaded machine

  it('bitmaps: trains on a folder of 32x32 text bitmaps, and leaves no temporary folder behind', () => {
    const temporary = mkdtempSync(path.join(tmpdir(), 'deltagraph-bitmaps-tmpdir-'));
    const out = execFileSync(tsx, ['examples/bitmaps.ts', '--epochs', '10'], { cwd: root, encoding: 'utf8', env: { ...process.env, TMPDIR: temporary } });
    expect(readdirSync(temporary).filter((f) => f.startsWith('deltagraph-'))).toEqual([]); // (tsx keeps its cache there)
    expect(out).toMatch(/300 training bitmaps from a synthetic set, 100 test bitmaps from a synthetic set/);
    expect(out).toMatch(/Training accuracy \d+\.\d\d%, test accuracy \d+\.\d\d%/);
  }, 60_000);

  it('attention: checks its gradient and learns to reverse digit strings', () => {
    const out = run('examples/attention.ts', ['--steps', '150', '--length', '4']);
    expect(Number(/max relative error (\S+)/.exec(out)![1])).toBeLessThan(1e-6);
    const [, strings, digits] = /Reversing 4-digit strings, 1000 new ones: (\S+)% exactly right, (\S+)% of digits/.exec(out)!.map(Number);
    expect(digits).toBeGreaterThanOrEqual(95);
    expect(strings).toBeGreaterThanOrEqual(80);
  }, 60_000);

  it('custom architecture: checks its custom op and trains', () => {
    const out = run('examples/custom-architecture.ts', ['--epochs', '1', '--limit', '2000']);
    const error = Number(/max relative error (\S+)/.exec(out)![1]);
    expect(error).toBeLessThan(1e-6);
    expect(out).toMatch(/dense_2 \(dense linear\)\s+\[null,64\]\s+8256\n\s*swish_1 \(swish\)\s+\[null,64\]\s+0\n/);
    expect(Number(/Test accuracy (\d+\.\d\d)%/.exec(out)![1])).toBeGreaterThan(80);
  }, 60_000);

  it('find-the-bug: each bug planted in the network.py port is located and named, the correct port passes', () => {
    const out = run('examples/find-the-bug.ts', []);
    const sections = Object.fromEntries(out.split('\n=== planted bug: ').slice(1).map((s) => [s.slice(0, s.indexOf('\n')), s]));
    expect(sections.none).toMatch(/✓ Your backprop agrees with autodiff: 30 calls \(backprop\(x, y\) sample by sample and updateMiniBatch/);
    const expected: Record<string, [RegExp, RegExp]> = {
      'sigma-prime-of-a': [/First wrong: BP1 at layer 2, on call 1/, /- σ′ taken of the activation a = σ\(z\) instead of z, in BP1 and BP2/],
      'w-not-transposed': [/First wrong: BP2 at layer 1, on call 1 .*backprop\(x, y\) threw: dot: shapes \(3,5\) and \(3,1\) not aligned\.\nThe shapes point at BP2 at layer 1/, /- w not transposed in BP2/],
      'bp4-transposed': [/First wrong: BP4 at layer 2, on call 1 .*it is transposed/, /- BP4 transposed/],
      'bias-not-delta': [/First wrong: BP3 at layer 2, on call 1/, /- a bias gradient that is not δ/],
      'missing-1/m': [/First wrong: the update .*, on call 13 \(updateMiniBatch/, /- missing 1\/m/],
      'no-reset': [/First wrong: the update .*, on call 14 \(updateMiniBatch/, /- accumulators not reset/],
      'stale-pass': [/First wrong: the forward pass that backprop reads \(z and a\), on call 2/, /- stale forward pass: backprop read z and a left from the previous sample/],
    };
    for (const [bug, [where, why]] of Object.entries(expected)) {
      expect(sections[bug], bug).toMatch(where);
      expect(sections[bug], bug).toMatch(why);
      expect(sections[bug].match(/^ {2}- /gm), `${bug}: one explanation`).toHaveLength(1);
    }
    const table = run('examples/find-the-bug.ts', ['--table']);
    expect(table).toMatch(/^\| planted in network.py \| \[3,3,3\] \| \[4,5,3\] \| \[2,4,3,2\] \|/);
    expect(table).toContain('| w-not-transposed | BP2 at layer 1, call 1: w-not-transposed ✓ | BP2 at layer 1, call 1: w-not-transposed ✓ | BP2 at layer 2, call 1: w-not-transposed ✓ |');
    expect(table).toContain('\n45 of 45 cells right');
  }, 60_000);

  it('explain: writes the page and the DOT for each preset', () => {
    const page = path.join(dir, 'explain.html');
    const out = run('examples/explain.ts', ['--preset', 'relu-softmax', '--batch', '5', '--out', page]);
    expect(out).toMatch(/ReLU hidden layer, softmax cross-entropy\) on 5 MNIST images: loss \d+\.\d+, largest difference from the hand reference \d\.\de[-+]\d+/);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('<td class="math">(a2 − y) / m</td>');
    expect(html).toContain('<td class="math">δ2·w2ᵀ ⊙ step(a1)</td>');
    expect(readFileSync(path.join(dir, 'explain.dot'), 'utf8')).toMatch(/^digraph deltagraph \{/);
    // the gradient graph drawn (Graphviz in WebAssembly): forward and backward pass as clusters
    expect(html).toMatch(/<div class="graph"><svg [^>]*>[\s\S]*<title>cluster_forward<\/title>[\s\S]*<title>cluster_backward<\/title>[\s\S]*<\/svg>\s*<\/div>/);
    expect(() => run('examples/explain.ts', ['--preset', 'nope'])).toThrow(/unknown preset 'nope'; choose classic, cross-entropy, relu-softmax/);
  }, 60_000);

  it('gradcheck: every gradient agrees, and every row of its tables lines up with the header', () => {
    const out = run('examples/gradcheck.ts', []);
    expect(out).toContain('All gradients agree.');
    for (const table of out.split('\n\n')) {
      const lines = table.split('\n').filter((l) => / (ok|FAIL) *$/.test(l) || /max error/.test(l));
      const header = lines.find((l) => /max error/.test(l));
      if (!header) continue;
      const column = header.indexOf('max error');
      const misaligned = lines.filter((l) => l !== header && !/^\d\.\d\de[-+]\d+ /.test(l.slice(column)));
      expect(misaligned).toEqual([]);
    }
  }, 60_000);

  it('special-values: prints every op against its NaN/±∞ rule, all as the rule', () => {
    const out = run('examples/special-values.ts', []);
    expect(out).toMatch(/^\| relu +\| NaN +\| ok +\| ok +\| ok +\| ok +\| \+∞/m);
    expect(out).toMatch(/\d+ cases × NaN, \+∞, −∞: every kernel as its rule, in every position/);
  }, 60_000);
});
