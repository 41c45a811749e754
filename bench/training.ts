/**
 * npm run bench:training — seconds per epoch of 50,000 MNIST images for the two workloads of the
 * speed issue, measured on a few hundred steps and scaled to an epoch:
 *   W1: [784,30,10] sigmoid, quadratic cost, SGD, batch 10, η = 3
 *   W2: [784,800,10] ReLU, softmax cross-entropy, SGD, batch 128
 * Results: bench/results/training.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Graph } from '../src/index.ts';
import { loadMnist, Model, sgd, type Dataset } from '../src/nn/index.ts';

interface Workload {
  name: string;
  hidden: number;
  activation: 'sigmoid' | 'relu';
  loss: 'quadratic' | 'softmaxCrossEntropy';
  batchSize: number;
  lr: number;
  /** Training images per timed run (a slice of the 50,000; the time is scaled to 50,000). */
  images: number;
}

const workloads: Workload[] = [
  { name: 'W1 [784,30,10] sigmoid quadratic SGD batch 10', hidden: 30, activation: 'sigmoid', loss: 'quadratic', batchSize: 10, lr: 3, images: 10000 },
  { name: 'W2 [784,800,10] ReLU softmax-CE SGD batch 128', hidden: 800, activation: 'relu', loss: 'softmaxCrossEntropy', batchSize: 128, lr: 0.1, images: 12800 },
];

function model(w: Workload): Model {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 784]);
  const h = g.dense(x, w.hidden, { activation: w.activation });
  const out = g.dense(h, 10, { activation: w.activation === 'sigmoid' ? 'sigmoid' : 'linear' });
  return new Model({ inputs: x, outputs: out }).compile({ loss: w.loss, optimizer: sgd({ learningRate: w.lr }) });
}

const slice = (ds: Dataset, n: number): Dataset => ({ ...ds, count: n, x: ds.x.subarray(0, n * ds.features), y: ds.y.subarray(0, n) });

const data = loadMnist();
const results: Record<string, unknown>[] = [];
for (const w of workloads) {
  const m = model(w);
  const train = slice(data.train, w.images);
  m.fit(slice(data.train, w.batchSize * 20), { epochs: 1, batchSize: w.batchSize }); // warm up: plans, JIT
  const seconds: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    m.fit(train, { epochs: 1, batchSize: w.batchSize, shuffle: false });
    seconds.push(((performance.now() - started) / 1000) * (50000 / w.images));
  }
  seconds.sort((a, b) => a - b);
  const result = { workload: w.name, secondsPerEpoch: { median: seconds[2], min: seconds[0], max: seconds[4] }, runs: seconds };
  results.push(result);
  console.log(`${w.name}: ${seconds[2].toFixed(2)} s per epoch (min ${seconds[0].toFixed(2)}, max ${seconds[4].toFixed(2)}, 5 runs)`);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/training.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
