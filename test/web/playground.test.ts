/**
 * The backprop playground (examples/playground) in a real browser: Debian's chromium driven by
 * playwright-core, served by vite with the playground's config. Any page or console error fails it.
 * The numbers the page shows are held against the network.py port run here in Node on the page's
 * own weights.
 */
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.ts';
import { Network, type Column } from '../../examples/network-py.ts';

const root = new URL('../../', import.meta.url);
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
// docs/playground.png only on request (npm run playground:screenshot); otherwise a temporary file.
const screenshot = process.env.DELTAGRAPH_SCREENSHOT === '1' ? fileURLToPath(new URL('docs/playground.png', root)) : join(tmpdir(), `deltagraph-playground-${process.pid}.png`);

let server: ViteDevServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

interface PageState {
  ready: boolean;
  dataset: string;
  weights: number[][][];
  biases: number[][][];
  sample: { x: number[]; y: number[]; deltas: number[][]; mine: { biasesOk: boolean[]; weightsOk: boolean[] } };
  verdict: string;
  losses: number[];
}
const read = () => page.evaluate(() => JSON.parse(JSON.stringify(window.playground)) as unknown) as Promise<PageState>;

beforeAll(async () => {
  const port = await freePort();
  server = await createServer({
    configFile: fileURLToPath(new URL('examples/playground/vite.config.ts', root)),
    server: { port, strictPort: true, host: '127.0.0.1' },
    logLevel: 'error',
  });
  await server.listen();
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => window.playground?.ready && window.playground.verdict !== '', null, { timeout: 30_000 });
}, 60_000);

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** δ of each layer by the network.py port, in Node, on the page's weights and sample. */
function portDeltas(s: PageState): number[][] {
  const net = new Network(s.weights.map((w) => w[0].length).slice(0, 1).concat(s.weights.map((w) => w.length)));
  net.weights = s.weights;
  net.biases = s.biases;
  const [nablaB] = net.backprop(
    s.sample.x.map((v) => [v]),
    s.sample.y.map((v) => [v]),
  );
  return nablaB.map((b: Column) => b.map((r) => r[0]));
}

const fmt = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(3) : v.toExponential(1));

async function plant(bug: string): Promise<PageState> {
  await page.selectOption('#bug', bug);
  await page.waitForFunction((b) => window.playground.bug === b && window.playground.verdict !== '', bug);
  return read();
}

describe('the backprop playground', () => {
  it('[2,3,2]: one sample forward, then BP1–BP4 per layer with the numbers filled in, equal to the port run in Node', async () => {
    const s = await read();
    expect(s.dataset).toBe('toy [2,3,2]');
    expect(await page.isVisible('#boundary')).toBe(true);
    expect(await page.isVisible('#digit')).toBe(false);
    const forward = await page.textContent('#forward');
    expect(forward).toMatch(/^sample 0: x = a0 = \[0\.\d{3} 0\.\d{3}\] {3}y = \[[01]\.000 [01]\.000\]/);
    expect(forward).toMatch(/z1 = w1 a0 \+ b1 = \[\S+ \S+ \S+\]\na1 = σ\(z1\) {6}= \[/);
    const backward = (await page.textContent('#backward'))!;
    const deltas = portDeltas(s);
    deltas.forEach((d, l) => d.forEach((v, j) => expect(s.sample.deltas[l][j]).toBeCloseTo(v, 12)));
    expect(backward).toContain(`BP1  δ2 = (a2 − y) ⊙ σ′(z2) = (`);
    expect(backward).toContain(`= [${deltas[1].map(fmt).join(' ')}]`); // δ2 as printed
    expect(backward).toMatch(/BP2  δ1 = \(w2ᵀ δ2\) ⊙ σ′\(z1\) = \[/);
    expect(backward).toContain(`BP3  ∂C/∂b1 = δ1 = [${deltas[0].map(fmt).join(' ')}]`);
    expect(backward).toMatch(/BP4  ∂C\/∂w1 = δ1 a0ᵀ = /);
    // No bug planted: the port's own gradients are right, and the verdict says so.
    expect(s.sample.mine).toEqual({ biasesOk: [true, true], weightsOk: [true, true] });
    expect(await page.locator('#backward .wrong').count()).toBe(0);
    expect(s.verdict).toMatch(/^✓ Your backprop agrees with autodiff/);
  });

  it('plants a bug: the checker names it, and the quantities that went wrong are marked', async () => {
    let s = await plant('w-not-transposed');
    expect(s.verdict).toMatch(/First wrong: BP2 at layer 1, on call 1 .*threw: dot: shapes \(3,5\) and \(3,1\) not aligned/);
    expect(s.verdict).toMatch(/\n {2}- w not transposed in BP2/);
    // On [2,3,2] the shapes do not fit either: the page shows the throw where the port's values would be.
    expect(await page.textContent('#backward')).toContain('yours threw: dot: shapes (2,3) and (2,1) not aligned');
    s = await plant('bias-not-delta');
    expect(s.verdict).toMatch(/First wrong: BP3 at layer 2/);
    expect(s.sample.mine).toEqual({ biasesOk: [true, false], weightsOk: [true, true] });
    expect(await page.locator('#backward .wrong').count()).toBe(1);
    s = await plant('sigma-prime-of-a');
    expect(s.sample.mine).toEqual({ biasesOk: [false, false], weightsOk: [false, false] });
    expect(s.verdict).toMatch(/- σ′ taken of the activation a = σ\(z\) instead of z, in BP1 and BP2/);
    s = await plant('none');
    expect(s.verdict).toMatch(/^✓/);
  });

  it('trains the port: the cost falls; with the update sign flipped it rises', async () => {
    await page.click('#train');
    await page.waitForFunction(() => window.playground.losses.length >= 11, null, { timeout: 30_000 });
    let s = await read();
    expect(s.losses[10]).toBeLessThan(s.losses[0]);
    expect(await page.textContent('#train-status')).toMatch(/^epoch 10: cost 0\.\d{3}, accuracy \d+\.\d% on 40 held-out samples$/);
    s = await plant('update-sign');
    await page.click('#train');
    await page.waitForFunction(() => window.playground.losses.length >= 11, null, { timeout: 30_000 });
    s = await read();
    expect(s.losses[10]).toBeGreaterThan(s.losses[0]);
    expect(s.verdict).toMatch(/First wrong: the update .*\n[\s\S]*- wrong sign/);
  }, 60_000);

  it('takes a small screenshot (docs/playground.png with DELTAGRAPH_SCREENSHOT=1)', async () => {
    await plant('sigma-prime-of-a');
    await page.click('#train');
    await page.waitForFunction(() => window.playground.losses.length >= 11, null, { timeout: 30_000 });
    await page.screenshot({ path: screenshot, fullPage: true });
    const bytes = statSync(screenshot).size;
    console.log(`${screenshot}: ${bytes} bytes`);
    expect(bytes).toBeLessThan(300_000);
  }, 60_000);

  it("Nielsen's [784,30,10] on MNIST: the digit, 30 hidden values shown six at a time, the same numbers as the port in Node", async () => {
    await plant('none');
    await page.selectOption('#net', 'mnist');
    await page.waitForFunction(() => window.playground.ready && window.playground.dataset === 'mnist [784,30,10]', null, { timeout: 60_000 });
    const s = await read();
    expect(await page.isVisible('#digit')).toBe(true);
    expect(await page.isVisible('#boundary')).toBe(false);
    expect(await page.textContent('#forward')).toMatch(/z1 = w1 a0 \+ b1 = \[(\S+ ){6}… \(30\)\]/);
    const deltas = portDeltas(s);
    deltas.forEach((d, l) => d.forEach((v, j) => expect(s.sample.deltas[l][j]).toBeCloseTo(v, 12)));
    expect(s.sample.mine).toEqual({ biasesOk: [true, true], weightsOk: [true, true] });
    await page.click('#next');
    expect(await page.textContent('#forward')).toMatch(/^sample 1: /);
  }, 90_000);
});
