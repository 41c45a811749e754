/**
 * deltagraph/onnx in a page: the entry bundled for the browser (esbuild, platform browser, so any
 * Node module would fail the build) and run in Debian's chromium through playwright-core. In the
 * page: a conv model is exported and imported back, and PyTorch's LeNet file is imported and run;
 * the bytes and the predictions are those Node gives.
 */
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/index.ts';
import { decodeModel, exportOnnx, importOnnx } from '../../src/onnx/index.ts';
import { mnistPreset, relativeDifference } from '../onnx/models.ts';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const fixtures = new URL('../onnx/fixtures/', import.meta.url);
let browser: Browser;

// What the page runs: written against the package's entries, bundled into one IIFE.
const pageScript = `
import { Graph } from 'deltagraph';
import { Model } from 'deltagraph/nn';
import { exportOnnx, importOnnx, OnnxError } from 'deltagraph/onnx';
globalThis.onnxInPage = (lenetBytes, lenetInput) => {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 28, 28, 1]);
  let h = x;
  for (const filters of [20, 40]) h = g.maxPool2d(g.conv2d(h, filters, { kernelSize: 5, activation: 'relu', kernelInitializer: 'heNormal' }));
  h = g.dropout(g.dense(g.flatten(h), 100, { activation: 'relu', kernelInitializer: 'heNormal' }), 0.5);
  const model = new Model({ inputs: x, outputs: g.dense(h, 10, { activation: 'softmax', kernelInitializer: 'heNormal' }) });
  const bytes = exportOnnx(model);
  const back = importOnnx(bytes);
  const again = new Model({ inputs: back.inputs[0], outputs: back.outputs[0] });
  const probe = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 17) / 17);
  const lenet = importOnnx(Uint8Array.from(lenetBytes));
  const lenetModel = new Model({ inputs: lenet.inputs[0], outputs: lenet.outputs[0] });
  let refused = '';
  try { importOnnx(Uint8Array.from(lenetBytes).subarray(0, 500)); } catch (e) { refused = e instanceof OnnxError ? e.message : 'not an OnnxError: ' + e; }
  return { bytes: Array.from(bytes), before: Array.from(model.predict(probe)), after: Array.from(again.predict(probe)), lenet: Array.from(lenetModel.predict(Float32Array.from(lenetInput))), refused };
};
`;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

describe('deltagraph/onnx in chromium', () => {
  it('exports and imports in a page, with the bytes and predictions Node gives', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    const bundled = await build({
      stdin: { contents: pageScript, resolveDir: root, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
      alias: { 'deltagraph/onnx': `${root}src/onnx/index.ts`, 'deltagraph/nn': `${root}src/nn/index.ts`, deltagraph: `${root}src/index.ts` },
    });
    expect(bundled.errors).toEqual([]);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto('about:blank');
    await page.addScriptTag({ content: bundled.outputFiles[0].text });
    const lenetBytes = Array.from(readFileSync(new URL('lenet.onnx', fixtures)));
    const fixture = JSON.parse(readFileSync(new URL('lenet.json', fixtures), 'utf8')) as { inputValues: number[]; outputValues: number[] };
    const result = await page.evaluate(({ lenetBytes, input }) => (globalThis as unknown as { onnxInPage: (b: number[], i: number[]) => { bytes: number[]; before: number[]; after: number[]; lenet: number[]; refused: string } }).onnxInPage(lenetBytes, input), { lenetBytes, input: fixture.inputValues });
    expect(problems).toEqual([]);

    // The page wrote the file Node writes for the same model (but for the doc strings, which hold the lines that built each node).
    const model = mnistPreset('conv');
    const strip = (bytes: Uint8Array) => {
      const g = decodeModel(bytes).graph!;
      const nodes = g.nodes.map((n) => JSON.stringify([n.opType, n.inputs, n.outputs, n.attributes.map((a) => [a.name, a.i, a.f, a.ints, a.floats, a.s && Array.from(a.s), a.t && Array.from(a.t.raw ?? [])])]));
      return { nodes, initializers: g.initializers.map((t) => [t.name, t.dims, Array.from(t.raw!)]), inputs: g.inputs.map((v) => [v.name, v.shape]) };
    };
    expect(strip(Uint8Array.from(result.bytes))).toEqual(strip(exportOnnx(model)));
    model.dispose();
    expect(result.after).toEqual(result.before);
    const lenetDifference = relativeDifference(result.lenet, fixture.outputValues);
    console.log(`in chromium: exported ${result.bytes.length} bytes (the nodes and initializers Node writes), round trip exact, PyTorch's LeNet within ${lenetDifference.toExponential(2)} of torch`);
    expect(lenetDifference).toBeLessThanOrEqual(1e-5);
    const node = importOnnx(new Uint8Array(lenetBytes));
    const [ours] = compile(node.graph, { outputs: node.outputs, training: false }).run({ x: fixture.inputValues });
    expect(relativeDifference(result.lenet, ours)).toBeLessThan(1e-6);
    expect(result.refused).toMatch(/^not a valid ONNX file: /);
    await page.close();
  }, 60_000);
});
