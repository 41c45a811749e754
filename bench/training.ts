/**
 * npm run bench:training — seconds per epoch of the 50,000 MNIST training images for the two
 * workloads of the speed issue and the conv net of the conv-net issue:
 *   W1: [784,30,10] sigmoid, quadratic cost, SGD, batch 10, η = 3
 *   W2: [784,800,10] ReLU, softmax cross-entropy, SGD, batch 128
 *   W3: images [28,28,1]: conv 5x5x20 ReLU → max pool 2 → conv 5x5x40 ReLU → max pool 2 → dense 100
 *       ReLU → dense 10, softmax cross-entropy, SGD with momentum (η = 0.05, μ = 0.9), batch 64
 * Each workload runs in rounds, each round a deltagraph epoch and then one run of each native
 * peer, so that the machine's drift falls on both alike; TF.js runs in this process (and would
 * leave its heap behind), after every workload. W1, W2: five rounds, each one `fit` of an epoch
 * (after a warm-up fit); an epoch's time is what `fit` reports in its history: the epoch loop,
 * i.e. gathering every batch, the steps, and the loss and accuracy bookkeeping (not the one-off
 * copy and check of the data at the start of `fit`, about 40 ms for MNIST). W3 (about 40 s an
 * epoch): three rounds, each a `fit` of a slice of `--steps` steps (default 100) scaled to 50,000
 * images. The warm-up fit runs at least as many steps as the TF.js peer's. The
 * same workloads run in TensorFlow.js 4.22 (wasm and cpu backends; W3 on wasm only, the cpu
 * backend takes about 30 s a step) in the same run, with the ratio; its timed loop is its training
 * steps over batches made beforehand. All three also run natively in PyTorch (bench/peers/pytorch.py,
 * Debian's python3-torch: an nn.Module, torch.optim.SGD) at 1 thread, as installed and on all cores,
 * and W1 and W2 in numpy (bench/peers/numpy_peer.py: forward, backward and SGD by hand, float32) on
 * OpenBLAS at 1 thread and on all cores; scripts/ensure-pytorch.mjs installs python3-torch and
 * libopenblas0-pthread as root, and each peer says which BLAS it ran on. The native peers time
 * slices (W1 2000 steps, W2 and W3 100) scaled to 50,000 images, one run a round, each in a
 * process of its own (with its own warm-up). Ratios to native
 * code depend on the CPU, so the header line, the results and the docs name it.
 * `--no-peers` skips the peers; `--only W3` (or `--only W1,W2`) picks workloads.
 * Results: bench/results/training.json (training-W3.json etc. with `--only`); `--readme` also
 * writes this run's table into docs/performance.md (between the bench-training markers).
 *
 * `--threads-ab` (npm run bench:threads) compares the helper thread on and off instead: W1 and W2
 * with `threads: true` and `threads: false`, one epoch each in alternating order (ABBA, `--rounds`
 * rounds, default 4), medians and the ratio on/off. `--busy` (npm run bench:busy) does the same
 * beside two CPU-bound processes that it starts and stops itself (the machine's cores taken by
 * others): threads on must then be no slower than off. `--only W1` runs one workload.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { wasmFeatures } from '../src/index.ts';
import { loadMnist, type Model, type Dataset } from '../src/nn/node/index.ts';
import { buildW1, buildW2, buildW3 } from './workloads.ts';
import { measureNumpy } from './peers/numpy.ts';
import { measurePytorch } from './peers/pytorch.ts';
import { measureTfjs, type Backend } from './peers/tfjs.ts';
import { writeDocBlock } from '../scripts/doc-blocks.ts';
import { command } from './readme.ts';

interface Workload {
  id: 'W1' | 'W2' | 'W3';
  name: string;
  batchSize: number;
  /** Steps of the warm-up fit (plans, JIT, tier-up): at least what the TF.js peer gets. */
  warmupSteps: number;
  /** Timed as fits of this many steps, scaled to an epoch (W3, whose epochs are long); else whole epochs. */
  sliceSteps?: number;
  /** TF.js backends it runs on here. */
  tfjs: Backend[];
  build(threads?: boolean): Model;
}

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};

const allWorkloads: Workload[] = [
  { id: 'W1', name: 'W1 [784,30,10] sigmoid quadratic SGD batch 10', batchSize: 10, warmupSteps: 100, tfjs: ['wasm', 'cpu'], build: (threads = true) => buildW1({ threads }) },
  { id: 'W2', name: 'W2 [784,800,10] ReLU softmax-CE SGD batch 128', batchSize: 128, warmupSteps: 20, tfjs: ['wasm', 'cpu'], build: (threads = true) => buildW2({ threads }) },
  {
    id: 'W3',
    name: 'W3 conv 5x5x20-pool-conv 5x5x40-pool-100-10 ReLU softmax-CE momentum batch 64',
    batchSize: 64,
    warmupSteps: 10,
    sliceSteps: Number(arg('steps') ?? 100),
    tfjs: ['wasm'],
    build: (threads) => buildW3({ threads }),
  },
];
const only = arg('only')?.split(',');
const unknown = only?.filter((id) => !allWorkloads.some((w) => w.id === id));
if (unknown?.length) {
  console.error(`--only ${only!.join(',')}: no workload ${unknown.join(', ')} (there are ${allWorkloads.map((w) => w.id).join(', ')})`);
  process.exit(1);
}
const workloads = allWorkloads.filter((w) => !only || only.includes(w.id));

const slice = (ds: Dataset, n: number): Dataset => ({ ...ds, count: n, x: ds.x.subarray(0, n * ds.features), y: ds.y.subarray(0, n) });

/** One timed epoch, or for a sliced workload one fit of its slice scaled to 50,000 images: seconds. */
function epochSeconds(m: Model, w: Workload): number {
  if (w.sliceSteps === undefined) return m.fit(data.train, { epochs: 1, batchSize: w.batchSize }).epochs[0].seconds;
  const n = w.sliceSteps * w.batchSize;
  return (m.fit(slice(data.train, n), { epochs: 1, batchSize: w.batchSize }).epochs[0].seconds * data.train.count) / n;
}

const peers = !process.argv.includes('--no-peers');
const busy = process.argv.includes('--busy');
const data = loadMnist();
if (busy || process.argv.includes('--threads-ab')) {
  await threadsAb(busy, Number(arg('rounds') ?? 4));
  process.exit(0);
}
// The native peers (PyTorch, numpy on OpenBLAS) from apt when missing, as root; else it says what to run and we go on.
if (peers) spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/ensure-pytorch.mjs', import.meta.url))], { stdio: 'inherit' });
const results: Record<string, unknown>[] = [];
// Ratios to native code (BLAS kernels, vector width) differ between CPUs: say which one this is.
const machine = { cpu: cpuName(), cores: cpus().length, node: process.version };
const machineLine = `${machine.cpu}, ${machine.cores} cores`;
/** Workload-independent notes of each native peer (versions, BLAS, threads), by peer, for the docs. */
const peerSummaries = new Map<string, string>();
console.log(`deltagraph: float32, WebAssembly ${JSON.stringify(wasmFeatures())}, Node ${process.version}, on ${machineLine}`);
type Peer = { name: string; id: string; runs: number[]; notes: string };
/** Seconds per epoch, summarised. */
const summary = (runs: number[]) => {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: median(sorted), min: sorted[0], max: sorted[sorted.length - 1] };
};
/** The peer `id` of `peers`, created with `name` and `notes` on its first run. */
const peerOf = (peers: Peer[], name: string, id: string, notes: string): Peer => {
  let p = peers.find((q) => q.id === id);
  if (!p) peers.push((p = { name, id, runs: [], notes }));
  return p;
};

/**
 * One round of the native peers on workload `w` (one timed run each, in processes of their own),
 * added to `peers`; what is missing is said once.
 */
function nativeRound(w: Workload, peers: Peer[], said: Set<string>): void {
  const missing = (message: string) => said.has(message) || (said.add(message), console.log(`  ${message}`));
  try {
    const r = measurePytorch({ workload: w.id, steps: w.sliceSteps, runs: 1 });
    if (!r.installed) missing(r.message);
    else {
      peerSummaries.set('PyTorch', r.summary);
      // Debian's torch does its dense layers on libblas.so.3: say so when that is the slow reference BLAS.
      const onBlas = r.blas.name.startsWith('OpenBLAS') ? '' : ` on ${r.blas.name}`;
      for (const t of r.results) {
        const also = t.labels.filter((l) => !/^\d+ threads?$/.test(l)).map((l) => l.replace(/ \(\d+\)$/, ''));
        const name = `PyTorch ${r.torch.split('.').slice(0, 2).join('.')}${onBlas} ${t.threads} thread${t.threads > 1 ? 's' : ''}${also.length ? ` (${also.join(', ')})` : ''}`;
        peerOf(peers, name, `pytorch-${t.threads}-threads`, `${r.notes}; ${t.labels.join(' = ')}`).runs.push(...t.runs);
      }
    }
  } catch (e) {
    missing(`PyTorch: failed (${(e as Error).message})`);
  }
  if (w.id === 'W3') return;
  try {
    const r = measureNumpy({ workload: w.id, runs: 1 });
    if (!r.installed) missing(r.message);
    else {
      peerSummaries.set('numpy', r.summary);
      for (const t of r.results) peerOf(peers, t.label, t.id, `${r.notes}; ${t.label}`).runs.push(...t.runs);
    }
  } catch (e) {
    missing(`numpy: failed (${(e as Error).message})`);
  }
}

// Each workload in rounds: a deltagraph epoch (or slice), then one run of each native peer, so
// that the machine's drift (±25% here, for minutes at a time) falls on both alike. TF.js runs
// in this process, and would leave its heap and kernels behind: it comes after every workload.
const measured = workloads.map((w) => {
  const m = w.build();
  m.fit(slice(data.train, w.batchSize * w.warmupSteps), { epochs: 1, batchSize: w.batchSize }); // warm up: plans, JIT
  const before = m.device.threadStats();
  const rounds = w.sliceSteps === undefined ? 5 : 3;
  const seconds: number[] = [];
  const natives: Peer[] = [];
  const said = new Set<string>();
  for (let round = 1; round <= rounds; round++) {
    seconds.push(epochSeconds(m, w));
    if (peers) nativeRound(w, natives, said);
    const others = natives.map((p) => `${p.name} ${p.runs[p.runs.length - 1]?.toFixed(2) ?? '—'}`).join(', ');
    console.log(`${w.id} round ${round}/${rounds}: deltagraph ${seconds[seconds.length - 1].toFixed(2)} s${others ? `, ${others}` : ''}`);
  }
  const after = m.device.threadStats();
  m.dispose();
  const ours = summary(seconds);
  const how = w.sliceSteps === undefined ? '' : `   (${rounds} runs of ${w.sliceSteps} steps, scaled)`;
  // When other processes took the cores, the helper stood aside and deltagraph ran on one: say so.
  const busy = before && after && after.busy > before.busy ? `   (cores found busy ${after.busy - before.busy} times: the helper stood aside)` : '';
  return { w, seconds, ours, natives, line: `  ${'deltagraph'.padEnd(44)} ${fmt(ours)}${how}${busy}` };
});
for (const { w, seconds, ours, natives, line } of measured) {
  const peerResults: Record<string, unknown>[] = [];
  const lines = [w.name, line];
  const peer = (p: Peer, s: { median: number; min: number; max: number }): void => {
    const ratio = s.median / ours.median;
    lines.push(`  ${p.name.padEnd(44)} ${fmt(s)}   ${compare(ratio)}`);
    peerResults.push({ peer: p.id, secondsPerEpoch: s, runs: p.runs, ratio, notes: p.notes });
  };
  if (peers) {
    for (const backend of w.tfjs) {
      try {
        // A sliced workload: TF.js's slice is as long as ours up to 30 steps (its W3 step is ~5x ours).
        const r = await measureTfjs({ backend, workload: w.id, images: w.sliceSteps && Math.min(w.sliceSteps, 30) * w.batchSize });
        peer({ name: `TF.js 4.22 ${backend}`, id: `tfjs-${backend}`, runs: [], notes: r.notes }, r.secondsPerEpoch);
      } catch (e) {
        lines.push(`  TF.js 4.22 ${backend}: failed (${(e as Error).message})`);
      }
    }
    for (const p of natives) peer(p, summary(p.runs));
  }
  console.log(lines.join('\n'));
  results.push({ workload: w.name, secondsPerEpoch: ours, runs: seconds, peers: peerResults });
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/training${only ? `-${workloads.map((w) => w.id).join('-')}` : ''}.json`;
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, machine, wasm: wasmFeatures(), results }, null, 2) + '\n');
if (process.argv.includes('--readme')) {
  // The performance guide's speed table is this run's: one row per workload and peer.
  const rows = results.flatMap((r) => {
    const ours = (r.secondsPerEpoch as { median: number }).median;
    const peerRows = r.peers as { peer: string; secondsPerEpoch: { median: number }; ratio: number }[];
    const name = (r.workload as string).split(' ')[0];
    if (peerRows.length === 0) return [`| ${name} | ${ours.toFixed(2)} s | — | — | — |`];
    return peerRows.map((p) => `| ${name} | ${ours.toFixed(2)} s | ${p.peer} | ${p.secondsPerEpoch.median.toFixed(2)} s | ${compare(p.ratio)} |`);
  });
  writeDocBlock(
    'docs/performance.md',
    'bench-training',
    [
      `Measured by \`${command()}\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, load ${loadavg()[0].toFixed(1)} at the end) on ${machineLine}, medians of seconds per epoch of 50,000 images:`,
      '',
      '| workload | deltagraph | peer | peer | |',
      '|---|---|---|---|---|',
      ...rows,
      ...(peerSummaries.size ? ['', `The native peers, on this CPU (${machineLine}; ratios to native code differ on other CPUs):`, '', ...[...peerSummaries.values()].map((summary) => `- ${summary}.`)] : []),
    ].join('\n'),
  );
}

function fmt(s: { median: number; min: number; max: number }): string {
  return `${s.median.toFixed(2).padStart(7)} s/epoch (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`;
}

/** ratio = peer seconds / deltagraph seconds. */
function compare(ratio: number): string {
  const digits = (r: number) => r.toFixed(r < 10 ? 2 : 1);
  return ratio >= 1 ? `deltagraph is ${digits(ratio)}x faster` : `deltagraph takes ${digits(1 / ratio)}x its time`;
}

/**
 * W1 and W2 with the helper thread on and off, one epoch each in ABBA order, beside two busy
 * processes if `busy` (started here, and killed however this process ends).
 */
async function threadsAb(busy: boolean, rounds: number): Promise<void> {
  const hogs: ChildProcess[] = [];
  const stop = () => hogs.forEach((p) => p.kill('SIGKILL'));
  process.on('exit', stop);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  try {
    if (busy) for (let i = 0; i < 2; i++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    console.log(`deltagraph: float32, WebAssembly ${JSON.stringify(wasmFeatures())}, Node ${process.version}`);
    console.log(`threads on/off, ${busy ? `beside ${hogs.length} busy processes (pids ${hogs.map((p) => p.pid).join(', ')})` : 'idle'}, ${rounds} rounds of ABBA epochs`);
    const out: Record<string, unknown>[] = [];
    // W3's epochs are long: it runs here only when asked (--only W3), on its slices.
    for (const w of only ? workloads : workloads.filter((w) => w.sliceSteps === undefined)) {
      const models = [w.build(true), w.build(false)];
      for (const m of models) m.fit(slice(data.train, w.batchSize * w.warmupSteps), { epochs: 1, batchSize: w.batchSize }); // plans, JIT
      const seconds: number[][] = [[], []];
      for (let r = 0; r < rounds; r++) {
        for (const i of r % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1]) seconds[i].push(epochSeconds(models[i], w));
      }
      const [on, off] = seconds.map(median);
      const t = models[0].device.threadStats();
      if (t) console.log(`  helper: ${t.posted} halves offered, ${t.helped} run by it, ${t.stolen} taken back, ${t.kept} kept unoffered; found the cores busy ${t.busy} times`);
      console.log(`${w.name}\n  threads on  ${on.toFixed(3)} s/epoch  (${seconds[0].map((s) => s.toFixed(3)).join(' ')})`);
      console.log(`  threads off ${off.toFixed(3)} s/epoch  (${seconds[1].map((s) => s.toFixed(3)).join(' ')})\n  on/off ${(on / off).toFixed(3)}`);
      out.push({ workload: w.name, on, off, ratio: on / off, runs: { on: seconds[0], off: seconds[1] } });
      for (const m of models) m.dispose();
    }
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/threads-${busy ? 'busy' : 'idle'}.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, wasm: wasmFeatures(), busy: hogs.length, rounds, results: out }, null, 2) + '\n');
  } finally {
    stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The CPU as os.cpus() names it, and on Linux its family/model and widest vector extension from
 * /proc/cpuinfo (a VM may name only the vendor: "AMD EPYC"), which is what native peers' speed hangs on.
 */
function cpuName(): string {
  const model = cpus()[0]?.model.trim() || 'unknown CPU';
  if (!existsSync('/proc/cpuinfo')) return model;
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const vector = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : flags.has('avx') ? 'AVX' : flags.has('asimd') ? 'NEON' : undefined;
  const family = field('cpu family');
  const details = [family && `family ${family} model ${field('model')}`, vector].filter(Boolean).join(', ');
  return details ? `${model} (${details})` : model;
}
