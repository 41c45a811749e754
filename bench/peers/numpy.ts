/**
 * numpy peer for bench/training.ts: runs bench/peers/numpy_peer.py (W1 or W2 written by hand in
 * numpy float32: seconds per epoch of 50,000 MNIST images) with Debian's python3-numpy through
 * /usr/bin/python3 (or $PYTHON), once per BLAS thread count: OPENBLAS_NUM_THREADS only takes
 * effect before numpy is imported, so each count is its own process. numpy's speed is its BLAS's,
 * so every result names the BLAS really loaded: on Debian the reference BLAS unless
 * libopenblas0-pthread is installed (scripts/ensure-pytorch.mjs installs it as root).
 *
 * Run: npx tsx bench/peers/numpy.ts [--workload W2] [--threads 1,cores] [--steps N] [--runs 3] [--warmup N]
 */
import { availableParallelism } from 'node:os';
import { peerCli, python, runPeerScript, describeBlas, type BlasInfo, type Seconds } from './pytorch.ts';

export interface NumpyOptions {
  workload: 'W1' | 'W2';
  /** BLAS thread counts: numbers or 'cores' (default ['1', 'cores']). */
  threads?: string[];
  /** Timed steps per run (default: the script's, 2000 for W1, 100 for W2). */
  steps?: number;
  /** Timed runs per thread count (default 3). */
  runs?: number;
  /** Untimed steps first (default: the script's, 100 for W1, 10 for W2). */
  warmup?: number;
}

export interface NumpyMeasurement {
  /** The BLAS's thread count as it reports it (null: a BLAS that has none to ask). */
  threads: number | null;
  /** e.g. 'numpy 1.24 + OpenBLAS 2 threads (all cores)'. */
  label: string;
  /** e.g. 'numpy-openblas-2-threads'. */
  id: string;
  blas: BlasInfo;
  secondsPerEpoch: Seconds;
  runs: number[];
  lastLoss: number;
}

export type NumpyReport =
  | { installed: false; message: string }
  | { installed: true; numpy: string; results: NumpyMeasurement[]; summary: string; notes: string };

export const NUMPY_MISSING = 'numpy not installed (apt-get install python3-numpy)';

interface ScriptOut {
  numpy: string;
  cores: number;
  threads: number;
  blas: BlasInfo;
  dtype: string[];
  steps: number;
  warmup: number;
  batchSize: number;
  secondsPerEpoch: Seconds;
  runs: number[];
  lastLoss: number;
}

export function measureNumpy(options: NumpyOptions): NumpyReport {
  const { workload, threads = ['1', 'cores'], steps, runs = 3, warmup } = options;
  const cores = availableParallelism();
  // Requests that ask for the same count run once ('cores' is 1 on a 1-CPU machine).
  const counts = [...new Set(threads.map((t) => (t === 'cores' ? cores : Number(t))))];
  const outs: ScriptOut[] = [];
  for (const n of counts) {
    const args = ['--workload', workload, '--threads', String(n), '--runs', String(runs)];
    if (steps !== undefined) args.push('--steps', String(steps));
    if (warmup !== undefined) args.push('--warmup', String(warmup));
    const run = runPeerScript<ScriptOut>('numpy_peer.py', args);
    if (!run.ok) return { installed: false, message: run.missing === 'python' ? `${NUMPY_MISSING}: ${python()} not found` : NUMPY_MISSING };
    outs.push(run.out);
    // A BLAS without a thread count to set (the reference BLAS: one thread) gives the same run again.
    if (run.out.blas.threads === null || !run.out.blas.name.startsWith('OpenBLAS')) break;
  }
  const first = outs[0];
  const version = first.numpy.split('.').slice(0, 2).join('.');
  const blasName = (b: BlasInfo): string => b.name.replace(/ [\d.]+$/, ''); // 'OpenBLAS', 'reference BLAS'
  const results = outs.map((o): NumpyMeasurement => {
    const t = o.blas.threads;
    const count = t === null ? 'threads unknown' : `${t} thread${t > 1 ? 's' : ''}${t === o.cores && t > 1 ? ' (all cores)' : ''}`;
    return {
      threads: t,
      label: `numpy ${version} + ${blasName(o.blas)} ${count}`,
      id: `numpy-${blasName(o.blas).toLowerCase().replace(/\s+/g, '-')}-${t ?? 'unknown'}-threads`,
      blas: o.blas,
      secondsPerEpoch: o.secondsPerEpoch,
      runs: o.runs,
      lastLoss: o.lastLoss,
    };
  });
  const summary = `numpy ${first.numpy} (${python()}), ${first.dtype.join('/')}, hand-written forward, backward and SGD; BLAS ${describeBlas(first.blas)}; elementwise work on 1 thread`;
  return {
    installed: true,
    numpy: first.numpy,
    results,
    summary,
    notes: `${summary}; ${first.steps * first.batchSize} images (${first.steps} steps of ${first.batchSize}) per run after ${first.warmup} warm-up steps, scaled to 50000`,
  };
}

// Run directly: one line per thread count.
const cli = peerCli(import.meta.url);
if (cli) {
  const workload = (cli.workload ?? 'W2') as 'W1' | 'W2';
  const report = measureNumpy({ ...cli, workload });
  if (!report.installed) {
    console.log(report.message);
  } else {
    const f = (n: number): string => n.toFixed(2);
    for (const r of report.results) {
      console.log(`${r.label} ${workload}: ${f(r.secondsPerEpoch.median)} s per epoch (min ${f(r.secondsPerEpoch.min)}, max ${f(r.secondsPerEpoch.max)}, ${r.runs.length} runs), last batch loss ${r.lastLoss.toFixed(4)}`);
    }
    console.log(`  ${report.notes}`);
  }
}
