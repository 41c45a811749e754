/**
 * npm run bench:conv — the conv net of the conv-net issue (W3): conv 5x5x20 ReLU → max pool 2 →
 * conv 5x5x40 ReLU → max pool 2 → dense 100 ReLU → dense 10, softmax cross-entropy, SGD with
 * momentum, batch 64, on MNIST images [28, 28, 1]. Prints ms per training step (median of
 * `--steps` steps after a warm-up, threads on and off in ABBA order) and the seconds an epoch of
 * 50,000 images would take at that rate.
 */
import { Graph } from '../src/index.ts';
import { loadMnist, Model, momentum, type Dataset } from '../src/nn/node/index.ts';

const at = process.argv.indexOf('--steps');
const steps = at > 0 ? Number(process.argv[at + 1]) : 20;
const batch = 64;

function w3(threads: boolean): Model {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 28, 28, 1]);
  let h = g.maxPool2d(g.conv2d(x, 20, { kernelSize: 5, activation: 'relu' }), { poolSize: 2 });
  h = g.maxPool2d(g.conv2d(h, 40, { kernelSize: 5, activation: 'relu' }), { poolSize: 2 });
  h = g.dense(g.flatten(h), 100, { activation: 'relu' });
  return new Model({ inputs: x, outputs: g.dense(h, 10), threads }).compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.05, momentum: 0.9 }) });
}

const { train } = loadMnist({ limit: batch * steps });
const part = (n: number): Dataset => ({ ...train, count: n, x: train.x.subarray(0, n * train.features), y: train.y.subarray(0, n) });
const models = [w3(true), w3(false)];
for (const m of models) m.fit(part(batch * 2), { epochs: 1, batchSize: batch }); // plans, JIT
const ms: number[][] = [[], []];
for (let r = 0; r < 4; r++) {
  for (const i of r % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1]) ms[i].push(models[i].fit(part(batch * steps), { epochs: 1, batchSize: batch }).epochs[0].msPerStep);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [i, label] of ['threads on ', 'threads off'].entries()) {
  const m = median(ms[i]);
  console.log(`W3 ${label}: ${m.toFixed(1)} ms per step of ${batch} (${ms[i].map((v) => v.toFixed(0)).join(' ')}), ${((m * 50000) / batch / 1000).toFixed(1)} s per epoch of 50,000 images`);
}
for (const m of models) m.dispose();
