/**
 * npm run bench:conv — the conv net of the conv-net issue (W3): conv 5x5x20 ReLU → max pool 2 →
 * conv 5x5x40 ReLU → max pool 2 → dense 100 ReLU → dense 10, softmax cross-entropy, SGD with
 * momentum, batch 64, on MNIST images [28, 28, 1].
 *
 * 1. GFLOP/s of the float32 conv kernels per form on W3's two layers (the forward pass with its
 *    fused bias and ReLU, the input gradient, the filter gradient), one thread and two, measured
 *    with benny through compiled programs over parameters (no feeds copied).
 * 2. ms per training step (median of `--steps` steps after a warm-up, threads on and off in ABBA
 *    order) and the seconds an epoch of 50,000 images would take at that rate.
 * Results: bench/results/conv.json (kernels).
 */
import b from 'benny';
import { writeDocBlock } from '../scripts/doc-blocks.ts';
import { gflopsTable } from './readme.ts';
import { mkdirSync } from 'node:fs';
import { compile, Device, Graph, wasmFeatures } from '../src/index.ts';
import { loadMnist, Model, momentum, type Dataset } from '../src/nn/node/index.ts';

const at = process.argv.indexOf('--steps');
const steps = at > 0 ? Number(process.argv[at + 1]) : 20;
const batch = 64;

type Form = 'forward' | 'input gradient' | 'filter gradient';
/** W3's layers: image [batch, h, w, in] ⋆ filter [5, 5, in, out] (valid padding). */
const layers: [string, number, number, number][] = [
  ['conv1 28x28x1 → 24x24x20', 28, 1, 20],
  ['conv2 12x12x20 → 8x8x40', 12, 20, 40],
];

/** A program running one form of a layer's convolution on the batch, over random parameters. */
function convProgram(size: number, inC: number, outC: number, form: Form, threads: boolean) {
  const g = new Graph({ seed: 1 });
  const out = size - 4;
  const x = g.parameter('x', [batch, size, size, inC], 'glorotUniform');
  const f = g.parameter('f', [5, 5, inC, outC], 'glorotUniform');
  const dy = g.parameter('dy', [batch, out, out, outC], 'glorotUniform');
  const bias = g.parameter('b', [outC], 'glorotUniform');
  const window = { strides: [1, 1], padding: 'valid', dilations: [1, 1] };
  const y =
    form === 'forward'
      ? g.apply('conv2dBiasActivation', [x, f, bias], { ...window, activation: 'relu' })
      : form === 'input gradient'
        ? g.apply('conv2dBackpropInput', [dy, f], { ...window, inputSize: [size, size] })
        : g.apply('conv2dBackpropFilter', [x, dy], { ...window, filterSize: [5, 5] });
  const program = compile(g, { outputs: [y], device: new Device({ threads }) });
  program.run();
  return { program, flops: 2 * batch * out * out * 25 * inC * outC };
}

function w3(threads: boolean): Model {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 28, 28, 1]);
  let h = g.maxPool2d(g.conv2d(x, 20, { kernelSize: 5, activation: 'relu' }), { poolSize: 2 });
  h = g.maxPool2d(g.conv2d(h, 40, { kernelSize: 5, activation: 'relu' }), { poolSize: 2 });
  h = g.dense(g.flatten(h), 100, { activation: 'relu' });
  return new Model({ inputs: x, outputs: g.dense(h, 10), threads }).compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.05, momentum: 0.9 }) });
}

mkdirSync('bench/results', { recursive: true });
console.log(`WebAssembly SIMD: ${JSON.stringify(wasmFeatures())}`);
const flops = new Map<string, number>();
/** GFLOP/s per entry, as measured. */
const measured = new Map<string, number>();
const entries = [false, true].flatMap((threads) =>
  layers.flatMap(([label, size, inC, outC]) =>
    (['forward', 'input gradient', 'filter gradient'] as const)
      // W3's first layer needs no input gradient (its input is the data).
      .filter((form) => !(inC === 1 && form === 'input gradient'))
      .map((form) => {
        const name = `${label} ${form} ${threads ? '2 threads' : '1 thread'}`;
        const { program, flops: f } = convProgram(size, inC, outC, form, threads);
        flops.set(name, f);
        return b.add(name, () => {
          program.run();
        });
      }),
  ),
);
await b.suite(
  'float32 conv kernels, batch 64',
  ...entries,
  b.cycle((result: { name: string; ops: number; margin: number }) => {
    const gflops = (result.ops * flops.get(result.name)!) / 1e9;
    measured.set(result.name, gflops);
    return `${result.name.padEnd(52)} ${gflops.toFixed(1).padStart(6)} GFLOP/s  (±${result.margin.toFixed(1)}%)`;
  }),
  b.save({ file: 'conv', folder: 'bench/results', format: 'json', details: false }),
);


const { train } = loadMnist({ limit: batch * steps });
const part = (n: number): Dataset => ({ ...train, count: n, x: train.x.subarray(0, n * train.features), y: train.y.subarray(0, n) });
const models = [w3(true), w3(false)];
for (const m of models) m.fit(part(batch * 2), { epochs: 1, batchSize: batch }); // plans, JIT
const ms: number[][] = [[], []];
for (let r = 0; r < 4; r++) {
  for (const i of r % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1]) ms[i].push(models[i].fit(part(batch * steps), { epochs: 1, batchSize: batch }).epochs[0].msPerStep);
}
const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[xs.length >> 1];
const lines = ['threads on ', 'threads off'].map((label, i) => {
  const m = median(ms[i]);
  return `W3 ${label}: ${m.toFixed(1)} ms per step of ${batch} (${ms[i].map((v) => v.toFixed(0)).join(' ')}), ${((m * 50000) / batch / 1000).toFixed(1)} s per epoch of 50,000 images`;
});
console.log(lines.join('\n'));
for (const m of models) m.dispose();
if (process.argv.includes('--readme')) writeDocBlock('docs/performance.md', 'bench-conv', `${gflopsTable('conv kernel', measured)}\n\nand a training step of W3, median of ${4 * 2} fits of ${steps} steps per setting, the settings alternating (a threads-on fit starts after the other model's fits, with its helper asleep, so these run slower than \`npm run bench:w3\`'s longer fits of one model; compare on with off here):\n\n${lines.map((l) => `    ${l}`).join('\n')}`);
