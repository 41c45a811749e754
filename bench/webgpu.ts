/**
 * npm run bench:webgpu — milliseconds per training step on WebGPU, in ONE Chromium page over
 * SwiftShader (Debian's /usr/bin/chromium driven by playwright-core), for
 *   W2: [784,800,10] ReLU, softmax cross-entropy, SGD η = 0.1, batch 128;
 *   W3: conv 5x5x20 ReLU → max pool 2 → conv 5x5x40 ReLU → max pool 2 → dense 100 ReLU → dense 10,
 *       softmax cross-entropy, SGD with momentum (η = 0.05, μ = 0.9), batch 64
 * (the Models of bench/workloads.ts), in deltagraph webgpu (Model.fitAsync: one submit per step,
 * losses read every 16 steps and at each timed epoch's end), deltagraph wasm (the same Model, fit),
 * TF.js 4.22 webgpu and jax-js 0.1.25 webgpu (bench/webgpu/page.ts says how each is written).
 * Each side: warm-up steps, then `rounds` timed runs of `steps` steps (each ending in a read of
 * the loss); the figure is the median run's ms per step. It also prints what a deltagraph GPU
 * step did (program.stats.gpu), an "on paper" count of FLOPs and bytes per step with what they
 * predict for a real GPU, and (unless --no-profile) each deltagraph kernel timed alone.
 *
 * SwiftShader emulates a GPU on the CPU: these figures compare code on one emulator, not GPUs.
 *
 *   npm run bench:webgpu                      # W2 and W3, all four sides; writes bench/results/webgpu.json
 *                                             # and the bench-webgpu block of docs/performance.md
 *   npx tsx bench/webgpu.ts --only W2 --no-peers --no-profile --no-docs
 *   npx tsx bench/webgpu.ts --tiny            # 1 step each, W2 only (the test's mode; writes nothing)
 *   npx tsx bench/webgpu.ts --only W2 --sides deltagraph-webgpu --profile-only   # kernels timed alone
 *   npx tsx bench/webgpu.ts --only W3 --sides deltagraph-webgpu --shaders        # each pipeline compiled alone, timed
 *
 * Per workload the peers run first and deltagraph webgpu last, then its profile: if the GPU
 * process dies (on W3, compiling the first conv's pipeline grew it past 12 GB in 140 s and it was
 * lost), the other sides' figures are already taken. A side that fails is reported, never dropped.
 *
 * The page is served from http://127.0.0.1:<port> (a secure context: about:blank has no navigator.gpu)
 * by a small node:http server, from one esbuild bundle of bench/webgpu/page.ts.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Framework, PageApi, RunConfig, RunResult, WorkloadId } from './webgpu/page.ts';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Chromium on SwiftShader; the background-networking flags keep it off this machine's closed network. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-gpu-sandbox',
  // A dispatch of many seconds (SwiftShader runs W3's conv gradients on the CPU) trips the GPU
  // process's watchdog, which kills it: every device in the page is lost.
  '--disable-gpu-watchdog',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const FRAMEWORKS: readonly Framework[] = ['deltagraph-webgpu', 'deltagraph-wasm', 'tfjs-webgpu', 'jax-webgpu'];
const TITLES: Record<Framework, string> = {
  'deltagraph-webgpu': 'deltagraph webgpu',
  'deltagraph-wasm': 'deltagraph wasm',
  'tfjs-webgpu': 'TF.js 4.22 webgpu',
  'jax-webgpu': 'jax-js 0.1.25 webgpu',
};

/** Warm-up steps, steps per timed run, timed runs. */
const PLAN: Record<WorkloadId, { warmup: number; steps: number; rounds: number }> = {
  W2: { warmup: 3, steps: 4, rounds: 3 },
  W3: { warmup: 2, steps: 2, rounds: 3 },
};
const TINY = { warmup: 0, steps: 1, rounds: 1 };

export interface BenchOptions {
  workloads?: WorkloadId[];
  frameworks?: readonly Framework[];
  /** 1 step each, no warm-up. */
  tiny?: boolean;
  /** Time each deltagraph GPU kernel alone (a diagnostic run after the timed ones). */
  profile?: boolean;
  /** Diagnostic: compile each shader of the step alone, timed (no timed runs). */
  shadersOnly?: boolean;
  /** Only the profile (no timed runs). */
  profileOnly?: boolean;
  log?: (line: string) => void;
}

export interface Measured {
  framework: Framework;
  median?: number;
  runs?: number[];
  loss?: number;
  note?: string;
  stats?: RunResult['stats'];
  error?: string;
}

export interface Profile {
  workload: WorkloadId;
  stepMs: number;
  total: number;
  kernels: { label: string; op: string; dispatches: number; ms: number; workgroups: string }[];
}

export interface BenchResult {
  date: string;
  machine: string;
  load: number[];
  adapter: unknown;
  chromium: string;
  results: { workload: WorkloadId; plan: { warmup: number; steps: number; rounds: number }; sides: Measured[] }[];
  profiles: Profile[];
}

/** The page bundled: one IIFE that sets globalThis.bench. */
async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(root, 'bench/webgpu/page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

function serve(script: string): Promise<{ server: Server; url: string }> {
  const html = '<!doctype html><meta charset="utf-8"><title>deltagraph bench:webgpu</title><script src="/page.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs the bench in one page; resolves to every side's figures (a side that failed says why). */
export async function runWebgpuBench(options: BenchOptions = {}): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const workloads = options.workloads ?? ['W2', 'W3'];
  const frameworks = options.frameworks ?? FRAMEWORKS;
  const script = await bundle();
  const { server, url } = await serve(script);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_FLAGS });
    const page: Page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.text().startsWith('[page]')) log(`  ${m.text()}`);
      else if (m.type() === 'error' || m.type() === 'warning') log(`  [page ${m.type()}] ${m.text().slice(0, 300)}`);
    });
    await page.goto(url);
    await page.waitForFunction(() => 'bench' in globalThis, null, { timeout: 30_000 });
    if (problems.length) throw new Error(`the page failed to load: ${problems.join('; ')}`);
    const ready = await page.evaluate(() => (globalThis as unknown as { bench: PageApi }).bench.ready());
    if (!ready.jax.includes('webgpu') || !ready.tfjs) log(`  not every peer has WebGPU: jax-js devices ${ready.jax.join(', ')}; TF.js webgpu ${ready.tfjs}`);
    const adapter = await page.evaluate(() => (globalThis as unknown as { bench: PageApi }).bench.adapterInfo());
    if (!adapter) throw new Error('the page has no WebGPU adapter (navigator.gpu.requestAdapter() gave null)');
    const result: BenchResult = {
      date: new Date().toISOString(),
      machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`,
      load: [],
      adapter,
      chromium: browser.version(),
      results: [],
      profiles: [],
    };
    if (options.shadersOnly) {
      for (const workload of workloads) {
        const compiled = await page.evaluate((w) => (globalThis as unknown as { bench: PageApi }).bench.shaders(w), workload).catch((e: Error) => e.message);
        log(`${workload} shaders: ${typeof compiled === 'string' ? compiled : JSON.stringify(compiled.sort((a, b) => b.ms - a.ms).slice(0, 10))}`);
      }
      return result;
    }
    // Per workload: the peers first, deltagraph webgpu last, then its kernel profile: a GPU process
    // that dies (a lost device) then takes no other side's figures with it.
    const order = [...frameworks.filter((f) => f !== 'deltagraph-webgpu'), ...frameworks.filter((f) => f === 'deltagraph-webgpu')];
    for (const workload of workloads) {
      const plan = options.tiny ? TINY : PLAN[workload];
      const sides: Measured[] = [];
      for (const framework of options.profileOnly ? [] : order) {
        const cfg: RunConfig = { workload, framework, ...plan };
        try {
          const r = await page.evaluate((c) => (globalThis as unknown as { bench: PageApi }).bench.run(c), cfg);
          sides.push({ framework, median: median(r.msPerStep), runs: r.msPerStep, loss: r.loss, note: r.note, stats: r.stats });
          log(`${workload} ${TITLES[framework].padEnd(22)} ${median(r.msPerStep).toFixed(1).padStart(8)} ms/step  (runs ${r.msPerStep.map((m) => m.toFixed(1)).join(', ')}; loss ${r.loss.toFixed(3)})`);
        } catch (e) {
          const message = (e as Error).message.split('\n')[0];
          sides.push({ framework, error: message });
          log(`${workload} ${TITLES[framework]}: failed (${message})`);
        }
      }
      sides.sort((a, b) => frameworks.indexOf(a.framework) - frameworks.indexOf(b.framework));
      result.results.push({ workload, plan, sides });
      const lost = sides.find((m) => m.framework === 'deltagraph-webgpu')?.error;
      if (lost) log(`profile ${workload}: skipped (deltagraph webgpu failed: the device is gone)`);
      else if ((options.profile || options.profileOnly) && frameworks.includes('deltagraph-webgpu')) {
        try {
          const p = await page.evaluate(([w, n]) => (globalThis as unknown as { bench: PageApi }).bench.profile(w, n), [workload, options.tiny ? 1 : 3] as const);
          result.profiles.push({ workload, ...p });
        } catch (e) {
          log(`profile ${workload}: failed (${(e as Error).message.split('\n')[0]})`);
        }
      }
    }
    result.load = loadavg();
    return result;
  } finally {
    await browser?.close();
    server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// On paper: FLOPs and bytes per training step from the shapes.

interface Layer {
  name: string;
  /** Multiply-adds per example of the forward product. */
  macs: number;
  /** Whether the backward pass needs the gradient of its input (not for the first layer). */
  inputGradient: boolean;
  params: number;
  /** Elements per example of what the layer writes (pre-activation and, after ReLU/pool, what it passes on). */
  outputs: number;
}

const LAYERS: Record<WorkloadId, { batch: number; input: number; momentum: boolean; layers: Layer[] }> = {
  W2: {
    batch: 128,
    input: 784,
    momentum: false,
    layers: [
      { name: 'dense 784→800 + ReLU', macs: 784 * 800, inputGradient: false, params: 784 * 800 + 800, outputs: 800 },
      { name: 'dense 800→10 + softmax CE', macs: 800 * 10, inputGradient: true, params: 800 * 10 + 10, outputs: 10 },
    ],
  },
  W3: {
    batch: 64,
    input: 784,
    momentum: true,
    layers: [
      { name: 'conv 5x5 1→20 (24x24) + ReLU', macs: 24 * 24 * 20 * 25, inputGradient: false, params: 500 + 20, outputs: 24 * 24 * 20 },
      { name: 'max pool 2', macs: 0, inputGradient: true, params: 0, outputs: 12 * 12 * 20 },
      { name: 'conv 5x5 20→40 (8x8) + ReLU', macs: 8 * 8 * 40 * 500, inputGradient: true, params: 20000 + 40, outputs: 8 * 8 * 40 },
      { name: 'max pool 2', macs: 0, inputGradient: true, params: 0, outputs: 4 * 4 * 40 },
      { name: 'dense 640→100 + ReLU', macs: 640 * 100, inputGradient: true, params: 64000 + 100, outputs: 100 },
      { name: 'dense 100→10 + softmax CE', macs: 100 * 10, inputGradient: true, params: 1000 + 10, outputs: 10 },
    ],
  },
};

export interface Paper {
  workload: WorkloadId;
  flops: number;
  bytes: number;
  params: number;
  activations: number;
  /** ms at 5 TFLOP/s, at 100 GB/s, and the larger of the two (a roofline bound). */
  computeMs: number;
  memoryMs: number;
  boundMs: number;
}

/**
 * FLOPs: 2 per multiply-add of each product, forward, weight gradient, and input gradient where the
 * layer's input needs one (every layer but the first), plus 2 per parameter for the update (4 with
 * momentum); elementwise ops (bias, ReLU, pooling, softmax) are left out (< 1%).
 * Bytes (float32, every tensor through memory once per use, no cache): per parameter 6 accesses
 * (read forward, read for the input gradient, write its gradient, read the gradient and the
 * parameter in the update, write the parameter; momentum adds a read and a write of the velocity);
 * per activation element (the input batch and each layer's output) 5 (written forward, read by
 * the next layer, read again backward, its gradient written and read).
 */
export function onPaper(workload: WorkloadId): Paper {
  const { batch, input, momentum, layers } = LAYERS[workload];
  let flops = 0;
  let params = 0;
  let activations = batch * input;
  for (const l of layers) {
    flops += 2 * batch * l.macs * (l.inputGradient ? 3 : 2);
    params += l.params;
    activations += batch * l.outputs;
  }
  flops += params * (momentum ? 4 : 2);
  const bytes = 4 * (params * (momentum ? 8 : 6) + activations * 5);
  const computeMs = (flops / 5e12) * 1e3;
  const memoryMs = (bytes / 100e9) * 1e3;
  return { workload, flops, bytes, params, activations, computeMs, memoryMs, boundMs: Math.max(computeMs, memoryMs) };
}

// ---------------------------------------------------------------------------------------------
// Report

const cell = (m: Measured | undefined) => (!m ? '—' : m.median !== undefined ? `${m.median.toFixed(1)} ms` : /device was lost|Instance reference/.test(m.error ?? '') ? 'failed (GPU device lost)' : 'failed');
const fmtBytes = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`);

/** ours ÷ theirs, said in words. */
function ratio(ours: Measured | undefined, theirs: Measured | undefined): string {
  if (ours?.median === undefined || theirs?.median === undefined) return '—';
  const r = ours.median / theirs.median;
  return `${r.toFixed(2)} (${r <= 1 ? `${(1 / r).toFixed(1)}x faster` : `${r.toFixed(1)}x slower`})`;
}

export function tableLines(result: BenchResult): string[] {
  const lines = [
    '| workload | deltagraph webgpu | deltagraph wasm | TF.js webgpu | jax-js webgpu | ÷ deltagraph wasm | ÷ TF.js webgpu | ÷ jax-js webgpu |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of result.results) {
    const by = (f: Framework) => r.sides.find((s) => s.framework === f);
    const ours = by('deltagraph-webgpu');
    lines.push(`| ${r.workload} | ${cell(ours)} | ${cell(by('deltagraph-wasm'))} | ${cell(by('tfjs-webgpu'))} | ${cell(by('jax-webgpu'))} | ${ratio(ours, by('deltagraph-wasm'))} | ${ratio(ours, by('tfjs-webgpu'))} | ${ratio(ours, by('jax-webgpu'))} |`);
  }
  return lines;
}

function failureLines(result: BenchResult): string[] {
  return result.results.flatMap((r) => r.sides.filter((m) => m.error).map((m) => `- ${r.workload} ${TITLES[m.framework]} failed: ${m.error!.replace(/^page\.evaluate: /, '')}`));
}

function statsLines(result: BenchResult): string[] {
  return result.results.flatMap((r) => {
    const s = r.sides.find((m) => m.framework === 'deltagraph-webgpu')?.stats;
    const g = s?.gpu as { dispatches: number; submits: number; bytesUploaded: number; bytesRead: number; allocations: number } | undefined;
    if (!s || !g) return [];
    return [`- ${r.workload}: ${s.steps} kernels (${s.fused} ops fused into them), ${g.dispatches} dispatches, ${g.submits} submit, ${fmtBytes(g.bytesUploaded)} uploaded (labels and rate), ${fmtBytes(g.bytesRead)} read (losses are kept on the GPU and read every 16 steps), ${g.allocations} GPU buffers made`];
  });
}

function paperLines(result: BenchResult): string[] {
  return result.results.map((r) => {
    const p = onPaper(r.workload);
    const ours = r.sides.find((s) => s.framework === 'deltagraph-webgpu')?.median;
    return `- ${r.workload}: ${(p.flops / 1e6).toFixed(0)} MFLOP and ~${(p.bytes / 1e6).toFixed(1)} MB moved per step (${(p.params / 1e3).toFixed(0)}k parameters, ${(p.activations / 1e3).toFixed(0)}k activation values): ${p.computeMs.toFixed(3)} ms at 5 TFLOP/s, ${p.memoryMs.toFixed(3)} ms at 100 GB/s, so ≥ ${p.boundMs.toFixed(2)} ms a step on such a GPU${ours ? `; SwiftShader here: ${ours.toFixed(0)} ms (${((p.flops / (ours / 1e3)) / 1e9).toFixed(2)} GFLOP/s)` : ''}`;
  });
}

function profileLines(result: BenchResult, top = 8): string[] {
  return result.profiles.flatMap((p) => {
    const byOp = new Map<string, number>();
    for (const k of p.kernels) byOp.set(k.op, (byOp.get(k.op) ?? 0) + k.ms);
    return [
      `- ${p.workload}: one submit of the whole step ${p.stepMs.toFixed(0)} ms; the ${p.kernels.reduce((s, k) => s + k.dispatches, 0)} dispatches timed alone sum to ${p.total.toFixed(0)} ms. By op: ${[...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => `${op} ${ms.toFixed(0)} ms (${((100 * ms) / p.total).toFixed(0)}%)`).join(', ')}`,
      ...p.kernels.slice(0, top).map((k) => `    ${k.ms.toFixed(1).padStart(8)} ms  ${k.dispatches > 1 ? `${k.dispatches} dispatches ` : ''}[${k.workgroups} groups]  ${k.label.replace(/, built at .*\)$/, ')')}`),
    ];
  });
}

export function report(result: BenchResult): string {
  return [
    `Chromium ${result.chromium} on SwiftShader (${JSON.stringify(result.adapter)}), ${result.machine}, load ${result.load.map((l) => l.toFixed(2)).join(' ')} at the end`,
    `median ms per training step; ratios = deltagraph webgpu ÷ the column's side (< 1: deltagraph webgpu is faster)`,
    '',
    ...tableLines(result),
    ...failureLines(result),
    '',
    'deltagraph webgpu, one step (program.stats):',
    ...statsLines(result),
    '',
    'On paper (float32; FLOPs of the products, forward + backward + update; bytes: every tensor through memory once per use):',
    ...paperLines(result),
    ...(result.profiles.length ? ['', 'deltagraph webgpu kernels, each dispatch alone (own submit + onSubmittedWorkDone, median of 3):', ...profileLines(result)] : []),
  ].join('\n');
}

function docBlock(result: BenchResult, command: string): string {
  const plans = result.results.map((r) => `${r.workload} ${r.plan.warmup} warm-up + ${r.plan.rounds} runs of ${r.plan.steps} steps`).join(', ');
  return [
    `Measured by \`${command}\` (${result.date.slice(0, 10)}, ${result.machine}, load ${result.load[0].toFixed(1)} at the end; Chromium ${result.chromium}, headless, \`--use-webgpu-adapter=swiftshader\`).`,
    `**SwiftShader emulates a GPU on the CPU**: these figures compare the code of four libraries on one emulator, not GPUs, and say nothing of how fast any of them runs on a real GPU.`,
    `Median ms per training step on synthetic rows (${plans}); ratios are deltagraph webgpu ÷ the other side (below 1: deltagraph webgpu is faster):`,
    '',
    ...tableLines(result),
    '',
    ...failureLines(result),
    ...statsLines(result),
    ...paperLines(result),
  ].join('\n');
}

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const tiny = process.argv.includes('--tiny');
  const only = (arg('only')?.split(',') as WorkloadId[] | undefined) ?? (tiny ? ['W2'] : undefined);
  const sides = arg('sides')?.split(',') as Framework[] | undefined;
  const frameworks = sides ?? (process.argv.includes('--no-peers') ? FRAMEWORKS.filter((f) => f.startsWith('deltagraph')) : FRAMEWORKS);
  const started = performance.now();
  const result = await runWebgpuBench({ workloads: only, frameworks, tiny, profileOnly: process.argv.includes('--profile-only'), shadersOnly: process.argv.includes('--shaders'), profile: process.argv.includes('--profile') || (!tiny && !process.argv.includes('--no-profile')) });
  console.log(`\n${report(result)}\n\n(${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
  if (!tiny) {
    mkdirSync(path.join(root, 'bench/results'), { recursive: true });
    const file = `bench/results/webgpu${only ? `-${only.join('-')}` : ''}.json`;
    writeFileSync(path.join(root, file), JSON.stringify({ ...result, onPaper: result.results.map((r) => onPaper(r.workload)) }, null, 2) + '\n');
    console.log(`wrote ${file}`);
    if (!only && !process.argv.includes('--no-docs') && frameworks.length === FRAMEWORKS.length) {
      const { writeDocBlock } = await import('../scripts/doc-blocks.ts');
      const { command } = await import('./readme.ts');
      writeDocBlock('docs/performance.md', 'bench-webgpu', docBlock(result, command()));
      console.log('wrote the bench-webgpu block of docs/performance.md');
    }
  }
}
