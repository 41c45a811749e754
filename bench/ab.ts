/**
 * npm run bench:ab -- --baseline <dir>: W1 and W2 seconds per epoch of this tree against another
 * checkout of deltagraph (e.g. `git worktree add /tmp/base <commit>` with node_modules linked),
 * both loaded in this one process and trained in alternating epochs (ABBA order), so the
 * machine's drift falls on both alike. For changes that must not cost speed.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadMnist, type Dataset } from '../src/nn/node/index.ts';

const { values: args } = parseArgs({ options: { baseline: { type: 'string' }, rounds: { type: 'string', default: '4' } } });
if (!args.baseline) throw new Error('usage: npm run bench:ab -- --baseline <checkout of deltagraph> [--rounds 4]');
const rounds = Number(args.rounds);

interface Build {
  label: string;
  Graph: new (options: { seed: number }) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
  Model: new (options: { inputs: unknown; outputs: unknown }) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
  sgd: (options: { learningRate: number }) => unknown;
}

async function load(label: string, root: string): Promise<Build> {
  const src = (file: string) => pathToFileURL(path.resolve(root, 'src', file)).href;
  const core = await import(src('index.ts'));
  const nn = await import(src('nn/index.ts'));
  return { label, Graph: core.Graph, Model: nn.Model, sgd: nn.sgd };
}

const workloads = [
  { id: 'W1', hidden: 30, activation: 'sigmoid', loss: 'quadratic', batchSize: 10, lr: 3, warmupSteps: 100 },
  { id: 'W2', hidden: 800, activation: 'relu', loss: 'softmaxCrossEntropy', batchSize: 128, lr: 0.1, warmupSteps: 20 },
] as const;

const builds = [await load('baseline', args.baseline), await load('this tree', '.')];
const data = loadMnist();
const slice = (ds: Dataset, n: number): Dataset => ({ ...ds, count: n, x: ds.x.subarray(0, n * ds.features), y: ds.y.subarray(0, n) });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const w of workloads) {
  const models = builds.map((b) => {
    const g = new b.Graph({ seed: 1 });
    const x = g.input('x', [null, 784]);
    const h = g.dense(x, w.hidden, { activation: w.activation });
    const out = g.dense(h, 10, { activation: w.activation === 'sigmoid' ? 'sigmoid' : 'linear' });
    const model = new b.Model({ inputs: x, outputs: out }).compile({ loss: w.loss, optimizer: b.sgd({ learningRate: w.lr }) });
    model.fit(slice(data.train, w.batchSize * w.warmupSteps), { epochs: 1, batchSize: w.batchSize }); // plans, JIT
    return model;
  });
  const seconds: number[][] = builds.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1];
    for (const i of order) seconds[i].push(models[i].fit(data.train, { epochs: 1, batchSize: w.batchSize }).epochs[0].seconds);
  }
  const [base, ours] = seconds.map(median);
  console.log(`${w.id}: baseline ${base.toFixed(3)} s/epoch, this tree ${ours.toFixed(3)} s/epoch (medians of ${2 * rounds}), ratio ${(ours / base).toFixed(3)}`);
  builds.forEach((b, i) => console.log(`  ${b.label.padEnd(9)} ${seconds[i].map((s) => s.toFixed(3)).join(' ')}`));
}
process.exit(0); // helper threads of the baseline build may keep running
