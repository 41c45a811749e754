import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The package as users get it: `npm pack` (which builds dist/ on prepack), installed into a fresh
// project, then used from plain node (no tsx), type-checked by a strict TypeScript consumer, and
// bundled for a browser page.

const root = new URL('..', import.meta.url).pathname;
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'deltagraph-package-'));
const app = join(work, 'app');
let tarball = '';
let files: string[] = [];

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });

beforeAll(() => {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0].filename);
  files = packed[0].files.map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships built JavaScript, types and maps, and no tests, benches or examples', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/nn/index.js', 'dist/nn/node/index.js', 'dist/nn/reference/index.d.ts', 'dist/onnx/index.js', 'dist/onnx/index.d.ts', 'package.json', 'README.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(test|bench|examples)\//.test(f))).toEqual([]);
  });

  it('runs under plain node: imports deltagraph and deltagraph/nn, trains a tiny net, round-trips the model', () => {
    writeFileSync(
      join(app, 'app.mjs'),
      `
import { Graph, grad, compile } from 'deltagraph';
import { Model, sgd, modelToBytes, modelFromBytes, saveModel, loadModel } from 'deltagraph/nn';
const g = new Graph({ seed: 3 });
const x = g.input('x', [null, 2]);
const out = g.dense(g.dense(x, 8, { activation: 'sigmoid' }), 2, { activation: 'sigmoid' });
const model = new Model({ inputs: x, outputs: out }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });
const data = { x: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), y: new Int32Array([0, 1, 1, 0]), count: 4, features: 2, classes: 2 };
const history = model.fit(data, { epochs: 400, batchSize: 4 });
const probe = new Float32Array([0, 1, 1, 1]);
const before = Array.from(model.predict(probe, 2));
const again = Array.from(modelFromBytes(modelToBytes(model)).predict(probe, 2));
saveModel(model, 'xor.dgm');
const loaded = Array.from(loadModel('xor.dgm').predict(probe, 2));
console.log(JSON.stringify({ first: history.epochs[0].loss, last: history.epochs.at(-1).loss, before, again, loaded, grad: typeof grad, compile: typeof compile }));
model.dispose();
`,
    );
    const result = JSON.parse(run(process.execPath, ['app.mjs'], app).trim());
    expect(result.last).toBeLessThan(result.first / 2);
    expect(result.again).toEqual(result.before);
    expect(result.loaded).toEqual(result.before);
    expect([result.grad, result.compile]).toEqual(['function', 'function']);
  });

  it('loads with require() from CommonJS too (Node 20.19 and later load ES modules from require)', () => {
    writeFileSync(
      join(app, 'app.cjs'),
      `
const { Graph } = require('deltagraph');
const { Model, saveModel } = require('deltagraph/nn');
const node = require('deltagraph/nn/node');
const g = new Graph({ seed: 1 });
const x = g.input('x', [null, 2]);
const model = new Model({ inputs: x, outputs: g.dense(x, 2) });
console.log(JSON.stringify({ summary: model.summary().split('\\n').length, saveModel: typeof saveModel, same: node.saveModel === saveModel }));
model.dispose();
`,
    );
    const result = JSON.parse(run(process.execPath, ['app.cjs'], app).trim());
    expect(result).toEqual({ summary: 6, saveModel: 'function', same: true });
  });

  it.each(['nodenext', 'bundler'])('type-checks a strict TypeScript consumer (moduleResolution %s) against the shipped types', (resolution) => {
    const dir = join(app, `ts-${resolution}`);
    mkdirSync(dir, { recursive: true });
    const nodeOnly = resolution === 'nodenext'; // bundlers resolve deltagraph/nn to the browser-safe entry
    writeFileSync(
      join(dir, 'consumer.ts'),
      `
import { Graph, grad, type Tensor } from 'deltagraph';
import { Model, sgd, modelToBytes, type History } from 'deltagraph/nn';
import { exportOnnx, importOnnx, type ImportedModel } from 'deltagraph/onnx';
${nodeOnly ? "import { loadMnist } from 'deltagraph/nn';\nexport const mnist: typeof loadMnist = loadMnist;" : ''}
// The Node-only helpers under any resolution: bundler resolution takes deltagraph/nn's browser-safe entry.
import { saveModel, loadModel, readIdx } from 'deltagraph/nn/node';
export const files: [typeof saveModel, typeof loadModel, typeof readIdx] = [saveModel, loadModel, readIdx];
const g = new Graph({ seed: 1 });
const x: Tensor = g.input('x', [null, 4]);
const loss = g.dense(x, 3).square().mean();
export const grads: Tensor[] = grad(loss, g.parameters);
const model = new Model({ inputs: x, outputs: g.dense(x, 2) }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.1 }) });
export const bytes: Uint8Array = modelToBytes(model);
export const history = (h: History): number => h.epochs.length;
export const onnx: Uint8Array = exportOnnx(model);
export const imported: ImportedModel = importOnnx(onnx, { trainable: (name: string) => name.endsWith('bias') });
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], module: resolution === 'bundler' ? 'ESNext' : 'NodeNext', moduleResolution: resolution, types: [], skipLibCheck: false },
        files: ['consumer.ts'],
      }),
    );
    // A fail here prints tsc's errors.
    expect(() => run(process.execPath, [tsc, '-p', dir], app)).not.toThrow();
  }, 60_000); // tsc takes 2–7 s here on a busy 2-core machine; the default 5 s made it flaky

  it('bundles for the browser with esbuild, with no Node module, small enough', async () => {
    const result = await build({
      stdin: { contents: "export * from 'deltagraph';\nexport * from 'deltagraph/nn';", resolveDir: app, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;
    expect(code).not.toMatch(/node:(fs|path|zlib|module)/);
    const gzipped = gzipSync(code).length;
    console.log(`browser bundle of deltagraph + deltagraph/nn: ${(code.length / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThan(85 * 1024); // docs/package.md states the budget
  });

  it('runs deltagraph/onnx under plain node: exports a model and imports it back with the same predictions', () => {
    writeFileSync(
      join(app, 'onnx.mjs'),
      `
import { Graph } from 'deltagraph';
import { Model } from 'deltagraph/nn';
import { exportOnnx, importOnnx } from 'deltagraph/onnx';
const g = new Graph({ seed: 2 });
const x = g.input('x', [null, 6, 6, 1]);
const out = g.dense(g.flatten(g.maxPool2d(g.conv2d(x, 2, { kernelSize: 3, activation: 'relu' }))), 3, { activation: 'softmax' });
const model = new Model({ inputs: x, outputs: out });
const bytes = exportOnnx(model);
const back = importOnnx(bytes);
const again = new Model({ inputs: back.inputs[0], outputs: back.outputs[0] });
const probe = Float32Array.from({ length: 72 }, (_, i) => Math.sin(i));
console.log(JSON.stringify({ size: bytes.length, before: Array.from(model.predict(probe)), after: Array.from(again.predict(probe)) }));
`,
    );
    const result = JSON.parse(run(process.execPath, ['onnx.mjs'], app).trim());
    expect(result.size).toBeGreaterThan(100);
    expect(result.after).toEqual(result.before);
  });

  it('bundles deltagraph/onnx for the browser on its own entry, with no Node module', async () => {
    const bundle = async (contents: string) => {
      const result = await build({ stdin: { contents, resolveDir: app, loader: 'js' }, bundle: true, platform: 'browser', format: 'esm', minify: true, write: false, logLevel: 'silent' });
      expect(result.errors).toEqual([]);
      return result.outputFiles[0].text;
    };
    const core = await bundle("export * from 'deltagraph';");
    const withOnnx = await bundle("export * from 'deltagraph';\nexport * from 'deltagraph/onnx';");
    expect(withOnnx).not.toMatch(/node:(fs|path|zlib|module)/);
    const [coreGzip, withGzip] = [gzipSync(core).length, gzipSync(withOnnx).length];
    console.log(`browser bundle of deltagraph: ${(coreGzip / 1024).toFixed(1)} KB gzipped; with deltagraph/onnx: ${(withGzip / 1024).toFixed(1)} KB gzipped (the entry adds ${((withGzip - coreGzip) / 1024).toFixed(1)} KB)`);
    expect(withGzip - coreGzip).toBeLessThan(16 * 1024);
  });

  it('bundles as an IIFE too (no import.meta trouble at load)', async () => {
    const result = await build({
      stdin: { contents: "import { Graph } from 'deltagraph'; globalThis.made = new Graph({ seed: 1 }).input('x', [null, 2]).shape;", resolveDir: app, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    const scope: { made?: unknown } = {};
    new Function('globalThis', result.outputFiles[0].text)(scope);
    expect(scope.made).toEqual([null, 2]);
  });
});
