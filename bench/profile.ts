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
 * `--baseline <dir>` profiles another checkout of deltagraph beside this one, in one process
 * (e.g. `git worktree add /tmp/base <commit>` with node_modules linked): the two alternate in
 * rounds of steps (`--rounds`, 5), so the machine's drift falls on both, and the table has a
 * column for each, kernel kind by kernel kind: the before and after of a change.
 *
 *   npm run bench:profile -- --workload W2 --threads false --steps 100
 *   npm run bench:profile -- --nodes      (also every kernel call, with its input shapes)
 *   npm run bench:profile -- --baseline /tmp/base
 *   (--only W2 is the same as --workload W2)
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMnist } from '../src/nn/node/index.ts';
import type { KernelTime, profileProgram as ProfileProgram } from '../src/runtime/profile.ts';
import type { buildW3 } from './workloads.ts';

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const workloads = { W1: 10, W2: 128, W3: 64 };
const id = (arg('workload') ?? arg('only') ?? 'W3') as keyof typeof workloads;
if (!(id in workloads)) {
  console.error(`--workload ${id}: no such workload (there are ${Object.keys(workloads).join(', ')})`);
  process.exit(1);
}
const threads = arg('threads') !== 'false';
const warmup = Number(arg('warmup') ?? 20);
const steps = Number(arg('steps') ?? 50);
const baseline = arg('baseline');
const rounds = baseline ? Number(arg('rounds') ?? 5) : 1;
const batchSize = workloads[id];
const { train } = loadMnist({ limit: batchSize * Math.max(warmup, 2 * steps), evalLimit: 0 });

/** A checkout's workload, warmed up and prepared: `profile(steps)` profiles that many more steps. */
async function prepare(root: string) {
  const load = (file: string) => import(pathToFileURL(path.resolve(root, file)).href);
  const { profileProgram } = (await load('src/runtime/profile.ts')) as { profileProgram: typeof ProfileProgram };
  const build = (await load('bench/workloads.ts'))[`build${id}`] as typeof buildW3;
  const model = build({ threads });
  // Warm-up through fit: the training program, its plan for a full batch, the JIT.
  model.fit({ ...train, count: warmup * batchSize, x: train.x.subarray(0, warmup * batchSize * train.features), y: train.y.subarray(0, warmup * batchSize) }, { epochs: 1, batchSize });
  const step = model.trainingStep(train.count);
  const [x, labels, rate] = [model.input.name!, model.labels.name!, model.learningRate.name!];
  const run = step.prepare({ [x]: [batchSize, model.features], [labels]: [batchSize], [rate]: [] });
  let fed = 0;
  const feed = () => {
    const start = (fed++ * batchSize) % (train.count - batchSize + 1);
    run.input(x).set(train.x.subarray(start * train.features, (start + batchSize) * train.features));
    run.input(labels).set(train.y.subarray(start, start + batchSize));
    run.input(rate)[0] = 0.01;
  };
  feed();
  run.run(); // makes the prepared plan the one profileProgram runs
  /** The kind of a kernel call: its op, and for matMul its transpose form. */
  const kindOf = (k: KernelTime) => {
    const attrs = step.ir.nodes[k.id].attrs as { transposeA?: boolean; transposeB?: boolean };
    const form = attrs.transposeA !== undefined ? ` ${attrs.transposeA ? 'Aᵀ' : 'A'}·${attrs.transposeB ? 'Bᵀ' : 'B'}` : '';
    return `${k.op}${form}${k.backend === 'wasm' ? '' : ` (${k.backend})`}`;
  };
  return { profile: (n: number) => profileProgram(step, { steps: n, beforeStep: feed }), kindOf, dispose: () => model.dispose() };
}

const trees = [...(baseline ? [{ label: 'baseline', root: baseline }] : []), { label: baseline ? 'this tree' : 'ms/step', root: '.' }];
const prepared = [];
for (const t of trees) prepared.push(await prepare(t.root));
/** Per tree: ms per step by kind, calls by kind, the kernels of its last round, the timed and plain ms. */
const totals = trees.map(() => ({ kinds: new Map<string, { ms: number; calls: number }>(), kernels: [] as KernelTime[], timed: 0, plain: 0 }));
const perRound = Math.max(1, Math.round(steps / rounds));
for (let r = 0; r < rounds; r++) {
  prepared.forEach((p, t) => {
    const profile = p.profile(perRound);
    const total = totals[t];
    const counted = new Map<string, number>();
    for (const k of profile.kernels) {
      const kind = total.kinds.get(p.kindOf(k)) ?? { ms: 0, calls: 0 };
      kind.ms += k.ms / rounds;
      counted.set(p.kindOf(k), (counted.get(p.kindOf(k)) ?? 0) + 1);
      total.kinds.set(p.kindOf(k), kind);
    }
    for (const [name, calls] of counted) total.kinds.get(name)!.calls = calls;
    total.kernels = [...profile.kernels];
    total.timed += profile.timedMs / rounds;
    total.plain += profile.plainMs / rounds;
  });
}

const sums = totals.map((t) => [...t.kinds.values()].reduce((s, k) => s + k.ms, 0));
const last = totals.length - 1;
const cell = (ms: number | undefined, width = 10) => (ms === undefined ? '—' : ms.toFixed(3)).padStart(width);
const row = (name: string, ...cells: string[]) => `${name.padEnd(56)} ${cells.join(' ')}`;
console.log(`${id} batch ${batchSize}, threads ${threads ? 'on' : 'off'}, ${perRound * rounds} timed steps${baseline ? ` in ${rounds} alternating rounds` : ''} after ${warmup} warm-up, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(row('kernel kind', ...trees.map((t) => t.label.padStart(10)), 'calls'.padStart(6), 'share'.padStart(7)));
const names = [...new Set(totals.flatMap((t) => [...t.kinds.keys()]))].sort((a, b) => (totals[last].kinds.get(b)?.ms ?? 0) - (totals[last].kinds.get(a)?.ms ?? 0));
for (const name of names) {
  const mine = totals[last].kinds.get(name);
  console.log(row(name, ...totals.map((t) => cell(t.kinds.get(name)?.ms)), String(mine?.calls ?? 0).padStart(6), `${((100 * (mine?.ms ?? 0)) / sums[last]).toFixed(1)}%`.padStart(7)));
}
if (process.argv.includes('--nodes')) {
  const { kernels } = totals[last];
  const { kindOf } = prepared[last];
  console.log(row(`kernel call of ${trees[last].label} (input shapes)`, 'ms/step'.padStart(10), 'node'.padStart(6), 'share'.padStart(7)));
  for (const k of kernels) {
    if (k.ms < 0.02) continue;
    const shapes = (k.inputShapes ?? []).map((s) => `[${s.join(',')}]`).join(' ');
    console.log(row(`${kindOf(k)} ${shapes}`, cell(k.ms), `%${k.id}`.padStart(6), `${((100 * k.ms) / sums[last]).toFixed(1)}%`.padStart(7)));
  }
}
console.log(row('sum of kernels', ...sums.map((s) => cell(s))));
console.log(row('timed step (whole)', ...totals.map((t) => cell(t.timed))));
console.log(row('plain step (untimed)', ...totals.map((t) => cell(t.plain))));
console.log(`the timer's cost: timed − plain = ${totals.map((t) => `${(t.timed - t.plain).toFixed(3)} ms`).join(', ')} per step`);
prepared.forEach((p) => p.dispose());
