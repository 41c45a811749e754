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
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Graph, wasmFeatures } from '../src/index.ts';
import { loadMnist, Model, sgd, type Dataset } from '../src/nn/index.ts';
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

function model(w: Workload): Model {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 784]);
  const h = g.dense(x, w.hidden, { activation: w.activation });
  const out = g.dense(h, 10, { activation: w.activation === 'sigmoid' ? 'sigmoid' : 'linear' });
  return new Model({ inputs: x, outputs: out }).compile({ loss: w.loss, optimizer: sgd({ learningRate: w.lr }) });
}

const slice = (ds: Dataset, n: number): Dataset => ({ ...ds, count: n, x: ds.x.subarray(0, n * ds.features), y: ds.y.subarray(0, n) });

const peers = !process.argv.includes('--no-peers');
const data = loadMnist();
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
