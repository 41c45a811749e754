/**
 * npm run bench:profile — where the milliseconds of a training step go, by kernel kind.
 *
 * Builds a workload of bench/workloads.ts (W3 by default: the conv net, batch 64) on a wasm
 * device, warms it up with `fit` over `--warmup` steps (20) of MNIST, then runs `--steps` (50)
 * timed steps, each followed by a plain one (src/runtime/profile.ts), feeding fresh MNIST batches.
 * Prints ms per step for each kernel kind (the op; matMul by transpose form), its calls per
 * step and share of the step, then the sum of the kernels, a timed step whole and a plain
 * step: timed − plain is what the timer itself costs. Numbers vary ±25% on a shared machine;
 * compare runs made side by side, and say the load average.
 *
 *   npm run bench:profile -- --workload W2 --threads false --steps 100
 *   npm run bench:profile -- --nodes      (also every kernel call, with its input shapes)
 *   (--only W2 is the same as --workload W2)
 */
import { loadavg } from 'node:os';
import { loadMnist } from '../src/nn/node/index.ts';
import { profileProgram } from '../src/runtime/profile.ts';
import { buildW1, buildW2, buildW3 } from './workloads.ts';

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const workloads = {
  W1: { build: buildW1, batchSize: 10 },
  W2: { build: buildW2, batchSize: 128 },
  W3: { build: buildW3, batchSize: 64 },
};
const id = (arg('workload') ?? arg('only') ?? 'W3') as keyof typeof workloads;
if (!(id in workloads)) {
  console.error(`--workload ${id}: no such workload (there are ${Object.keys(workloads).join(', ')})`);
  process.exit(1);
}
const threads = arg('threads') !== 'false';
const warmup = Number(arg('warmup') ?? 20);
const steps = Number(arg('steps') ?? 50);
const { build, batchSize } = workloads[id];

const { train } = loadMnist({ limit: batchSize * Math.max(warmup, 2 * steps), evalLimit: 0 });
const model = build({ threads });
// Warm-up through fit: the training program, its plan for a full batch, the JIT.
model.fit({ ...train, count: warmup * batchSize, x: train.x.subarray(0, warmup * batchSize * train.features), y: train.y.subarray(0, warmup * batchSize) }, { epochs: 1, batchSize });

const step = model.trainingStep(train.count);
const [x, labels, rate] = [model.input.name!, model.labels.name!, model.learningRate.name!];
const run = step.prepare({ [x]: [batchSize, model.features], [labels]: [batchSize], [rate]: [] });
const feed = (s: number) => {
  const start = (s * batchSize) % (train.count - batchSize + 1);
  run.input(x).set(train.x.subarray(start * train.features, (start + batchSize) * train.features));
  run.input(labels).set(train.y.subarray(start, start + batchSize));
  run.input(rate)[0] = 0.01;
};
feed(0);
run.run(); // makes the prepared plan the one profileProgram runs
const profile = profileProgram(step, { steps, beforeStep: feed });

/** The kind of a kernel call: its op, and for matMul its transpose form. */
const kindOf = (k: (typeof profile.kernels)[number]) => {
  const attrs = step.ir.nodes[k.id].attrs as { transposeA?: boolean; transposeB?: boolean };
  const form = attrs.transposeA !== undefined ? ` ${attrs.transposeA ? 'Aᵀ' : 'A'}·${attrs.transposeB ? 'Bᵀ' : 'B'}` : '';
  return `${k.op}${form}${k.backend === 'wasm' ? '' : ` (${k.backend})`}`;
};
const kinds = new Map<string, { ms: number; calls: number }>();
for (const k of profile.kernels) {
  const kind = kinds.get(kindOf(k)) ?? { ms: 0, calls: 0 };
  kind.ms += k.ms;
  kind.calls++;
  kinds.set(kindOf(k), kind);
}
const sum = profile.kernels.reduce((s, k) => s + k.ms, 0);
const row = (name: string, ms: number | string, calls: string, share: string) => `${name.padEnd(56)} ${(typeof ms === 'number' ? ms.toFixed(3) : ms).padStart(8)} ${calls.padStart(6)} ${share.padStart(7)}`;
console.log(`${id} batch ${batchSize}, threads ${threads ? 'on' : 'off'}, ${steps} timed steps after ${warmup} warm-up, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(row('kernel kind', 'ms/step', 'calls', 'share'));
for (const [name, k] of [...kinds].sort((a, b) => b[1].ms - a[1].ms)) console.log(row(name, k.ms, String(k.calls), `${((100 * k.ms) / sum).toFixed(1)}%`));
if (process.argv.includes('--nodes')) {
  console.log(row('kernel call (input shapes)', 'ms/step', 'node', 'share'));
  for (const k of profile.kernels) {
    if (k.ms < 0.02) continue;
    const shapes = k.inputShapes.map((s) => `[${s.join(',')}]`).join(' ');
    console.log(row(`${kindOf(k)} ${shapes}`, k.ms, `%${k.id}`, `${((100 * k.ms) / sum).toFixed(1)}%`));
  }
}
console.log(row('sum of kernels', sum, String(profile.kernels.length), '100.0%'));
console.log(row('timed step (whole)', profile.timedMs, '', ''));
console.log(row('plain step (untimed)', profile.plainMs, '', ''));
console.log(`the timer's cost: timed − plain = ${(profile.timedMs - profile.plainMs).toFixed(3)} ms per step (${((100 * (profile.timedMs - profile.plainMs)) / profile.plainMs).toFixed(1)}%)`);
model.dispose();
