/**
 * Every guide in docs/ runs: its ```ts blocks, in order, as one script (the package's entry points
 * resolved to the sources as the repository's tsconfig paths say), and it must print what the guide
 * says. A guide added to docs/ is run here without editing this file; `expected` holds, per guide,
 * lines its output must contain or match. Blocks in other languages (```sh, ```text, ```js for a
 * page) are not run. docs/backprop.md has its own, longer test (test/docs.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
const docs = new URL('docs/', root);
const ownTest = new Set(['backprop.md']);

/** Per guide: strings its output contains, or patterns it matches. */
const expected: Record<string, (string | RegExp)[]> = {
  'getting-started.md': ['[ null, 2 ]', /dense_1 \(dense tanh\) +\[null,16\] +48\n/, /epoch 40: loss 0\.\d+, accuracy (9\d|100)\.\d%/, 'classes 1 0'],
  'graphs-and-autodiff.md': ['[ null, 2 ] float', "%0 'x': [null,3] = input()", 'ShapeError: matMul: inner dimensions must agree: a has 3 columns, b has 4 rows; input shapes [null,3], [4,2]', '[ 3, 2 ] [ 2 ]', /loss \d\.\d{4} Hv( -?\d\.\d{4}){3}/, /z( -?\d\.\d{4}){2}/, 'w 6 values'],
  'training.md': ['Total trainable parameters: 203530', /\{ loss: \d\.\d+, accuracy: 0\.9\d+ \}/],
  'conv-nets.md': [/conv2d_2 \(conv2d 5x5 relu\) +\[null,8,8,16\] +3216\n/, /conv net \{ loss: \d\.\d+, accuracy: 0\.[89]\d+ \}/, /\nbatchNorm_1 \(batchNorm relu\) +\[null,24,24,8\] +32\n/, /\nNon-trainable parameters: 16\n/, 'Float64Array(8)'],
  'model-files.md': ['same predictions: true', /bytes: \d+ layers: 2/, /true small\.dgm: byte \d+: tensor 'dense_2\/bias' is corrupt: the CRC-32 of its bytes is [0-9a-f]{8} but the file recorded [0-9a-f]{8}/, 'true checkNumerics: log (%3 log) produced -Infinity at index 1 of its [2,1] output'],
  'custom-ops.md': ['cube 1 8 27 gradient 3 12 27', /second order through tanh: ok \d\.\de-\d+/, 'cube: ok', 'stopGradient 3 4'],
  'reliability.md': [
    "ModelFileError: notes.txt: not a deltagraph model file: a model file (safetensors) is 8 bytes giving the header length",
    /DataError: .*1_0\.txt: file is a FIFO \(named pipe\), not a regular file\n/,
    'count, features, classes are missing (it has x, y)\n',
    /built a \[784, 1000000\] layer in \d+ ms\n/,
    /GraphError: compile: the parameters of this program need 6\.3 GB as float32 .*'dense_1\/kernel' \[784,1000000\] 3\.1 GB/,
    /fit: the loss became NaN at epoch 1, step 2: .*fit again with \{ checkNumerics: true \}/,
  ],
  'webgpu.md': [
    /device: webgpu webgpu \(/,
    /ops with a WGSL kernel: \d\d/,
    'y [ 7, 6, 1, 5 ] dw [ 2, 0, 4, 4, 6, 8 ]',
    /kernels \d+, ops fused into them [1-9]\d*, dispatches \d+, submits 1/,
    'w [ 0.5, -1, 2, 0.25, -0.5, 1 ]',
    /epoch 5: loss 0\.\d+, accuracy (9\d|100)\.\d%/,
    'the CPU copy predicts the same: true',
  ],
  'op-semantics.md': ['grad: cannot differentiate with respect to int tensor', 'int float float', 'max tie 0.5 0 0.5 0', 'dw 7 2 7/2 2/2 3.5 1', 'sign(log v) 1 0 1 NaN', 'sign: −1, 0 or 1; NaN → NaN'],
};

const paths = JSON.parse(readFileSync(new URL('tsconfig.json', root), 'utf8')).compilerOptions.paths as Record<string, string[]>;
const tsx = new URL('node_modules/.bin/tsx', root).pathname;
const guides = readdirSync(docs).filter((f) => f.endsWith('.md') && !ownTest.has(f)).sort();

describe.concurrent('the guides in docs/ run as written', () => {
  it('finds the guides', () => {
    expect(guides).toContain('getting-started.md');
    for (const name of Object.keys(expected)) expect(guides).toContain(name);
  });

  for (const guide of guides) {
    it(guide, async () => {
      const text = readFileSync(new URL(guide, docs), 'utf8');
      const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
      if (blocks.length === 0) return; // a guide of prose and shell commands only
      const script = blocks.join('\n').replace(/from '(deltagraph(?:\/[a-z]+)*)'/g, (_, name: string) => {
        if (!paths[name]) throw new Error(`${guide} imports '${name}', which tsconfig.json's paths do not map`);
        return `from '${new URL(paths[name][0], root).pathname}'`;
      });
      // Inside the project, so that packages a guide imports (webgpu in Node) resolve from its node_modules.
      const cache = new URL('node_modules/.cache/', root).pathname;
      mkdirSync(cache, { recursive: true });
      const file = path.join(mkdtempSync(path.join(cache, 'deltagraph-guide-')), guide.replace(/\.md$/, '.mts'));
      writeFileSync(file, script);
      // Killed before the test's own limit: a guide that hangs (a loader opening a FIFO) must not outlive it.
      const { stdout } = await promisify(execFile)(tsx, [file], { cwd: root.pathname, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 110_000 });
      for (const want of expected[guide] ?? []) {
        if (typeof want === 'string') expect(stdout).toContain(want);
        else expect(stdout).toMatch(want);
      }
    }, 120_000);
  }
});
