/**
 * The WebGPU backend in a page: Debian's chromium with WebGPU over SwiftShader (its Vulkan on the
 * CPU), the page served from http://127.0.0.1 (WebGPU needs a secure context). W1, W2 and W3 (at
 * batches 10, 32 and 8: SwiftShader is slow) and the attention example train 50 steps on a WebGPU device and on
 * a wasm device in the page, from the same weights and batches; the losses agree within float32
 * tolerance, step by step.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const root = new URL('../../', import.meta.url).pathname;
let browser: Browser;
let server: Server;
let page: Page;

beforeAll(async () => {
  const bundled = await build({
    entryPoints: [new URL('webgpu-workloads.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
    alias: { 'deltagraph/webgpu': `${root}src/webgpu.ts`, 'deltagraph/nn': `${root}src/nn/index.ts`, deltagraph: `${root}src/index.ts` },
  });
  const script = bundled.outputFiles[0].text;
  server = createServer((req, res) => {
    if (req.url === '/workloads.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/workloads.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  expect(problems).toEqual([]);
  expect(await page.evaluate(() => 'gpu' in navigator)).toBe(true);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

interface Result {
  adapter: string;
  gpu: number[];
  wasm: number[];
  gpuMs: number;
  wasmMs: number;
}

describe('WebGPU in chromium (SwiftShader): 50 training steps against the wasm backend', () => {
  it.each([
    ['W1', 1e-3],
    ['W2', 2e-3],
    ['W3', 5e-3],
    ['attention', 5e-3],
  ] as const)('%s', async (name, tolerance) => {
    const result = await page.evaluate((n) => (globalThis as unknown as { webgpuWorkloads: (n: string) => Promise<Result> }).webgpuWorkloads(n), name);
    expect(result.adapter).toMatch(/^webgpu \(google swiftshader/);
    expect(result.gpu).toHaveLength(50);
    expect(result.wasm).toHaveLength(50);
    const worst = Math.max(...result.gpu.map((l, i) => Math.abs(l - result.wasm[i]) / Math.max(Math.abs(result.wasm[i]), 1e-3)));
    console.log(`${name}: 50 steps in the page, largest relative loss difference ${worst.toExponential(2)}; ${result.gpuMs.toFixed(1)} ms/step on SwiftShader, ${result.wasmMs.toFixed(1)} ms/step on wasm`);
    expect(worst).toBeLessThan(tolerance);
    // W3's 50 steps of synthetic images at batch 8 are too few to lower the epoch's running mean.
    if (name !== 'W3') expect(result.gpu[49]).toBeLessThan(result.gpu[0]);
  }, 300_000);
});
