/**
 * npm run bench:training — seconds per epoch of the 50,000 MNIST training images for the two
 * workloads of the speed issue:
 *   W1: [784,30,10] sigmoid, quadratic cost, SGD, batch 10, η = 3
 *   W2: [784,800,10] ReLU, softmax cross-entropy, SGD, batch 128
 * Five epochs in one `fit` (after a warm-up fit); each epoch's time is what `fit` reports in its
 * history: the epoch loop, i.e. gathering every batch, the steps, and the loss and accuracy
 * bookkeeping (not the one-off copy and check of the data at the start of `fit`, about 40 ms for
 * MNIST). The warm-up fit runs at least as many steps as the TF.js peer's. The same workloads run
 * in TensorFlow.js 4.22 (wasm and cpu backends) in the same run, with the ratio; its timed loop
 * is its training steps over batches made beforehand. `--no-peers` skips TF.js.
 * Results: bench/results/training.json.
 *
 * `--threads-ab` (npm run bench:threads) compares the helper thread on and off instead: W1 and W2
 * with `threads: true` and `threads: false`, one epoch each in alternating order (ABBA, `--rounds`
 * rounds, default 4), medians and the ratio on/off. `--busy` (npm run bench:busy) does the same
 * beside two CPU-bound processes that it starts and stops itself (the machine's cores taken by
 * others): threads on must then be no slower than off. `--only W1` runs one workload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Graph, wasmFeatures } from '../src/index.ts';
import { loadMnist, Model, sgd, type Dataset } from '../src/nn/node/index.ts';
import { measureTfjs, type Backend } from './peers/tfjs.ts';

interface Workload {
  id: 'W1' | 'W2';
  name: string;
  hidden: number;
  activation: 'sigmoid' | 'relu';
  loss: 'quadratic' | 'softmaxCrossEntropy';
  batchSize: number;
  lr: number;
  /** Steps of the warm-up fit (plans, JIT, tier-up): at least what the TF.js peer gets. */
  warmupSteps: number;
}

const workloads: Workload[] = [
  { id: 'W1', name: 'W1 [784,30,10] sigmoid quadratic SGD batch 10', hidden: 30, activation: 'sigmoid', loss: 'quadratic', batchSize: 10, lr: 3, warmupSteps: 100 },
  { id: 'W2', name: 'W2 [784,800,10] ReLU softmax-CE SGD batch 128', hidden: 800, activation: 'relu', loss: 'softmaxCrossEntropy', batchSize: 128, lr: 0.1, warmupSteps: 20 },
];

function model(w: Workload, threads = true): Model {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 784]);
  const h = g.dense(x, w.hidden, { activation: w.activation });
  const out = g.dense(h, 10, { activation: w.activation === 'sigmoid' ? 'sigmoid' : 'linear' });
  return new Model({ inputs: x, outputs: out, threads }).compile({ loss: w.loss, optimizer: sgd({ learningRate: w.lr }) });
}

const slice = (ds: Dataset, n: number): Dataset => ({ ...ds, count: n, x: ds.x.subarray(0, n * ds.features), y: ds.y.subarray(0, n) });

const peers = !process.argv.includes('--no-peers');
const busy = process.argv.includes('--busy');
const data = loadMnist();
if (busy || process.argv.includes('--threads-ab')) {
  const at = process.argv.indexOf('--rounds');
  await threadsAb(busy, at > 0 ? Number(process.argv[at + 1]) : 4);
  process.exit(0);
}
const results: Record<string, unknown>[] = [];
console.log(`deltagraph: float32, WebAssembly ${JSON.stringify(wasmFeatures())}, Node ${process.version}`);
for (const w of workloads) {
  const m = model(w);
  m.fit(slice(data.train, w.batchSize * w.warmupSteps), { epochs: 1, batchSize: w.batchSize }); // warm up: plans, JIT
  const history = m.fit(data.train, { epochs: 5, batchSize: w.batchSize });
  const seconds = history.epochs.map((e) => e.seconds).sort((a, b) => a - b);
  const ours = { median: seconds[2], min: seconds[0], max: seconds[4] };
  console.log(`${w.name}\n  deltagraph      ${fmt(ours)}`);
  const peerResults: Record<string, unknown>[] = [];
  if (peers) {
    for (const backend of ['wasm', 'cpu'] as Backend[]) {
      try {
        const peer = await measureTfjs({ backend, workload: w.id });
        const ratio = peer.secondsPerEpoch.median / ours.median;
        console.log(`  TF.js 4.22 ${backend.padEnd(4)} ${fmt(peer.secondsPerEpoch)}   deltagraph is ${ratio.toFixed(1)}x faster`);
        peerResults.push({ peer: `tfjs-${backend}`, secondsPerEpoch: peer.secondsPerEpoch, ratio, notes: peer.notes });
      } catch (e) {
        console.log(`  TF.js 4.22 ${backend}: failed (${(e as Error).message})`);
      }
    }
  }
  results.push({ workload: w.name, secondsPerEpoch: ours, runs: seconds, peers: peerResults });
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/training.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, wasm: wasmFeatures(), results }, null, 2) + '\n');

function fmt(s: { median: number; min: number; max: number }): string {
  return `${s.median.toFixed(2).padStart(7)} s/epoch (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`;
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
    const only = process.argv.indexOf('--only');
    for (const w of workloads.filter((w) => only < 0 || process.argv[only + 1].split(',').includes(w.id))) {
      const models = [model(w, true), model(w, false)];
      for (const m of models) m.fit(slice(data.train, w.batchSize * w.warmupSteps), { epochs: 1, batchSize: w.batchSize }); // plans, JIT
      const seconds: number[][] = [[], []];
      for (let r = 0; r < rounds; r++) {
        for (const i of r % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1]) seconds[i].push(models[i].fit(data.train, { epochs: 1, batchSize: w.batchSize }).epochs[0].seconds);
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
