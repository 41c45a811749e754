/**
 * The demo page (examples/web) in a real browser: Debian's chromium driven by playwright-core,
 * served by vite's dev server with the demo's config. Any page error or console error fails it.
 * `npm test` installs chromium first when it is missing (scripts/ensure-chromium.mjs).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.ts';
import { Graph } from '../../src/index.ts';
import { Model, sgd } from '../../src/nn/index.ts';
import { loadModel } from '../../src/nn/node/files.ts';
import { loadMnist } from '../../src/nn/node/mnist.ts';

const root = new URL('../../', import.meta.url);
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The README's picture is written only on request (npm run demo:screenshot), so a test run
// leaves the repository as it was; otherwise the screenshot goes to a temporary file.
const screenshot = process.env.DELTAGRAPH_SCREENSHOT === '1' ? fileURLToPath(new URL('docs/demo.png', root)) : join(tmpdir(), `deltagraph-demo-${process.pid}.png`);

let server: ViteDevServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  server = await createServer({
    configFile: fileURLToPath(new URL('examples/web/vite.config.ts', root)),
    server: { port, strictPort: true, host: '127.0.0.1' },
    logLevel: 'error',
  });
  await server.listen();
  // WebGPU over SwiftShader (Vulkan on the CPU), for the GPU switch.
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] });
  page = await browser.newPage({ viewport: { width: 1120, height: 520 } });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => window.demo?.modelName !== '', null, { timeout: 20_000 });
}, 40_000);

// Any page error or console error (the page's or its workers') fails the test it happened in.
afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Clears the pad, paints a 28x28 image (ink 0..1) onto it scaled to `size` at (left, top), and returns the page's scores. */
async function paint(pixels: Float32Array, left: number, top: number, size = 280): Promise<number[] | null> {
  return page.evaluate(
    ({ pixels, left, top, size }) => {
      document.getElementById('clear')!.click();
      const small = document.createElement('canvas');
      [small.width, small.height] = [28, 28];
      const image = new ImageData(28, 28);
      pixels.forEach((v, i) => image.data.set([255 * (1 - v), 255 * (1 - v), 255 * (1 - v), 255], 4 * i));
      small.getContext('2d')!.putImageData(image, 0, 0);
      const pad = (document.getElementById('pad') as HTMLCanvasElement).getContext('2d')!;
      pad.imageSmoothingEnabled = true;
      pad.drawImage(small, left, top, size, size);
      window.demo.recognise();
      return window.demo.scores;
    },
    { pixels: Array.from(pixels), left, top, size },
  );
}

const argmax = (v: readonly number[]) => v.indexOf(Math.max(...v));

describe('the demo page in chromium', () => {
  it('is cross-origin isolated, so the helper thread can start in the page', async () => {
    const { isolated, features } = await page.evaluate(() => ({ isolated: crossOriginIsolated, features: window.demo.features }));
    console.log(`page: crossOriginIsolated ${isolated}, wasmFeatures ${JSON.stringify(features)}`);
    expect(isolated).toBe(true);
    expect(features).toEqual({ simd: true, fma: true, threads: true });
    expect(await page.textContent('#features')).toMatch(/helper thread yes \(cross-origin isolated: yes\)/);
  });

  it('shows the number fields whole: the largest value of each fits its box (50000 images is not cut to 5000)', async () => {
    const cut = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLInputElement>('input[type=number]'), (input) => {
        const before = input.value;
        input.value = input.max || '99999';
        const overflow = input.scrollWidth > input.clientWidth ? `${input.id} (${input.value}: ${input.scrollWidth} > ${input.clientWidth} px)` : '';
        input.value = before;
        return overflow;
      }).filter(Boolean),
    );
    expect(cut).toEqual([]);
  });

  it('recognises real MNIST test digits drawn ten times larger, off-centre, with the shipped model', async () => {
    const { test } = loadMnist({ limit: 0, evalLimit: 10 });
    const predicted: number[] = [];
    for (let k = 0; k < 10; k++) {
      const scores = await paint(test.x.subarray(784 * k, 784 * (k + 1)), 6 * k, 36 - 4 * k);
      expect(scores).toHaveLength(10);
      predicted.push(argmax(scores!));
    }
    const right = predicted.filter((p, k) => p === test.y[k]).length;
    console.log(`shipped model on 10 MNIST test digits drawn 280x280: labels ${Array.from(test.y).join(' ')}, predicted ${predicted.join(' ')} (${right}/10 right)`);
    expect(right).toBeGreaterThanOrEqual(9);
    // The page's preparation of a big drawing gives what the model says of the original 28x28 image.
    const shipped = loadModel(fileURLToPath(new URL('examples/web/public/model.dgm', root)));
    expect(predicted).toEqual(Array.from(shipped.predictClasses(test.x)));
    shipped.dispose();
    expect(await page.textContent('#guess')).toBe(String(predicted[9]));
  }, 20_000);

  it('draws with the mouse, shows the 28x28 digit and the bars, and clears', async () => {
    await page.click('#clear');
    const box = (await page.locator('#pad').boundingBox())!;
    // A "7": a bar across, then down and to the left.
    await page.mouse.move(box.x + 90, box.y + 70);
    await page.mouse.down();
    await page.mouse.move(box.x + 230, box.y + 70, { steps: 8 });
    await page.mouse.move(box.x + 140, box.y + 270, { steps: 12 });
    await page.mouse.up();
    const drawn = await page.evaluate(() => {
      const ink = document.querySelector<HTMLCanvasElement>('#preview')!.getContext('2d')!.getImageData(0, 0, 28, 28).data;
      return { scores: window.demo.scores, lit: ink.filter((v, i) => i % 4 === 0 && v > 0).length };
    });
    console.log(`a mouse-drawn 7: predicted ${argmax(drawn.scores!)}, ${drawn.lit} lit pixels of 784`);
    expect(drawn.lit).toBeGreaterThan(30);
    expect(argmax(drawn.scores!)).toBe(7);
    await page.click('#clear');
    expect(await page.evaluate(() => window.demo.scores)).toBeNull();
    expect(await page.textContent('#guess')).toBe('');
  }, 10_000);

  it('trains a fresh net in a Web Worker with a falling loss, keeps the page drawing, then uses it', async () => {
    const steps = 600; // 3,000 images, batch 10, two epochs
    await page.fill('#hidden', '30');
    await page.fill('#epochs', '2');
    await page.fill('#limit', '3000');
    await page.click('#train');
    await page.waitForFunction(() => window.demo.training?.status !== 'running', null, { timeout: 40_000 });
    const training = (await page.evaluate(() => window.demo.training))!;
    expect(training.error).toBeUndefined();
    expect(training.status).toBe('done');
    const result = training.result!;
    expect(result.steps).toBe(steps);
    const [first, last] = [training.losses[0]!, training.losses.at(-1)!];
    expect(training.losses.length).toBeGreaterThanOrEqual(10);
    expect(last.loss).toBeLessThan(0.6 * first.loss);
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.features.threads).toBe(true); // the worker may start its own helper thread...
    expect(result.helperThread).toBe(true); // ...and its model's device did
    expect(result.threadStats).not.toBeNull();
    expect(result.testAccuracy).toBeGreaterThan(0.5); // chance is 0.1
    expect(training.maxFrameGapMs).toBeLessThan(500); // the page kept drawing frames while the worker trained
    expect(await page.evaluate(() => window.demo.modelName)).toMatch(/trained in the page/);

    // The same net, seed, batch and data in Node: the same model (to float rounding), and the speed beside the page's.
    const { train, test } = loadMnist({ limit: 3000 });
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 784]);
    const init = { kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' } as const;
    const node = new Model({ inputs: x, outputs: g.dense(g.dense(x, 30, { activation: 'sigmoid', ...init }), 10, { activation: 'sigmoid', ...init }) });
    node.compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });
    // Speed of the second epoch in both: the first one also compiles and warms up.
    const nodeMs = node.fit(train, { epochs: 2, batchSize: 10, seed: 1 }).epochs[1]!.msPerStep;
    const pageMs = training.epochs[1]!.msPerStep;
    const nodeAccuracy = node.evaluate(test).accuracy;
    const nodeAsyncMs = (await node.fitAsync(train, { epochs: 2, batchSize: 10, seed: 1 })).epochs[1]!.msPerStep; // as the worker trains
    node.dispose();
    expect(Math.abs(result.testAccuracy - nodeAccuracy)).toBeLessThan(0.005);
    console.log(
      `in-page training ([784,30,10], batch 10, ${steps} steps in a Web Worker): loss ${first.loss.toFixed(4)} (mean of the first ${first.step} steps) → ${last.loss.toFixed(4)} (of the last ones), ` +
        `test accuracy ${(100 * result.testAccuracy).toFixed(2)}% (Node: ${(100 * nodeAccuracy).toFixed(2)}%), helper thread in the worker: ${JSON.stringify(result.threadStats)}, longest frame gap ${training.maxFrameGapMs.toFixed(0)} ms`,
    );
    console.log(`ms per training step: page (worker, fitAsync) ${pageMs.toFixed(4)}, Node fit ${nodeMs.toFixed(4)}, Node fitAsync ${nodeAsyncMs.toFixed(4)}`);
  }, 60_000);

  it('trains on the GPU when the switch says so (WebGPU over SwiftShader), and shows the ms per step of each', async () => {
    await page.fill('#hidden', '30');
    await page.fill('#epochs', '1');
    await page.fill('#limit', '3000');
    await page.selectOption('#backend', 'webgpu');
    await page.click('#train');
    await page.waitForFunction(() => window.demo.training?.status !== 'running', null, { timeout: 120_000 });
    const training = (await page.evaluate(() => window.demo.training))!;
    await page.selectOption('#backend', 'wasm');
    expect(training.error).toBeUndefined();
    expect(training.status).toBe('done');
    const result = training.result!;
    expect(result.backend).toMatch(/^webgpu \(google swiftshader/);
    const [first, last] = [training.losses[0]!, training.losses.at(-1)!];
    expect(last.loss).toBeLessThan(0.8 * first.loss);
    expect(result.testAccuracy).toBeGreaterThan(0.5); // 300 steps; chance is 0.1
    expect(await page.textContent('#epochs-log')).toMatch(/epoch 1: .* ms\/step on the GPU/);
    expect(await page.textContent('#train-status')).toMatch(/trained on webgpu \(google swiftshader.*ms\/step/);
    console.log(`in-page training on WebGPU (SwiftShader): ${result.msPerStep.toFixed(2)} ms/step, test accuracy ${(100 * result.testAccuracy).toFixed(2)}% after 300 steps`);
  }, 150_000);

  it('loads a model file the user picks, and says what is wrong with a broken one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deltagraph-demo-'));
    const bytes = readFileSync(fileURLToPath(new URL('examples/web/public/model.dgm', root)));
    writeFileSync(join(dir, 'mine.safetensors'), bytes);
    writeFileSync(join(dir, 'broken.dgm'), bytes.subarray(0, 1000));
    await page.setInputFiles('#file', join(dir, 'broken.dgm'));
    await page.waitForFunction(() => /could not load/.test(document.getElementById('status')!.textContent!));
    expect(await page.textContent('#status')).toMatch(/^could not load broken\.dgm: .*broken\.dgm/);
    expect(await page.evaluate(() => window.demo.modelName)).toMatch(/trained in the page/); // still the previous model
    await page.setInputFiles('#file', join(dir, 'mine.safetensors'));
    await page.waitForFunction(() => window.demo.modelName === 'mine.safetensors');
    const { test } = loadMnist({ limit: 0, evalLimit: 3 });
    const predicted = [];
    for (let k = 0; k < 3; k++) predicted.push(argmax((await paint(test.x.subarray(784 * k, 784 * (k + 1)), 20, 20))!));
    expect(predicted).toEqual(Array.from(test.y));
    rmSync(dir, { recursive: true, force: true });
  }, 10_000);

  it('without cross-origin isolation: no SharedArrayBuffer, and deltagraph runs on one thread (no helper, no shared memory)', async () => {
    const plain = await browser.newPage({ viewport: { width: 1120, height: 520 } });
    const errors: string[] = [];
    plain.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
    // The same server, with COOP/COEP taken off every response.
    await plain.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = Object.fromEntries(Object.entries(response.headers()).filter(([k]) => !/^cross-origin-(opener|embedder)-policy$/i.test(k)));
      await route.fulfill({ response, headers });
    });
    await plain.goto(page.url());
    await plain.waitForFunction(() => window.demo?.modelName !== '', null, { timeout: 20_000 });
    const seen = await plain.evaluate(() => ({ isolated: crossOriginIsolated, shared: typeof SharedArrayBuffer, features: window.demo.features }));
    expect(seen).toEqual({ isolated: false, shared: 'undefined', features: { simd: true, fma: true, threads: false } });
    await plain.close();
    expect(errors).toEqual([]);
  }, 30_000);

  it('takes a small screenshot of the page (docs/demo.png with DELTAGRAPH_SCREENSHOT=1)', async () => {
    const { test } = loadMnist({ limit: 0, evalLimit: 1 });
    await paint(test.x.subarray(0, 784), 24, 20);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshot });
    const bytes = statSync(screenshot).size;
    console.log(`${screenshot}: ${bytes} bytes`);
    expect(bytes).toBeLessThan(100_000);
  });
});
