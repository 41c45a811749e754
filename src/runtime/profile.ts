/**
 * A per-kernel profile of a program's step (what `npm run bench:profile` prints): where the
 * milliseconds of a step go, by kernel. Exists because speed work needs "ms per kernel kind
 * before and after", and no wall clock around `fit` says that. Internal (not exported by the
 * package); the timed run is a method apart from `Plan.execute`, so a plain run pays nothing.
 */
import type { Program } from './program.ts';

/** One kernel call of the step, with its mean time. */
export interface KernelTime {
  /** The node it computes, its op and name (if any), and the backend it ran on. */
  readonly id: number;
  readonly op: string;
  readonly name?: string;
  /** The shapes of its inputs in this plan. */
  readonly inputShapes: readonly (readonly number[])[];
  readonly backend: 'js' | 'wasm' | 'webgpu';
  /** Mean ms per step. */
  readonly ms: number;
}

export interface KernelProfile {
  /** Timed steps (and as many plain ones). */
  readonly steps: number;
  /** Every kernel call of a step, in run order. */
  readonly kernels: readonly KernelTime[];
  /** Mean ms of a timed step, whole (kernels, the timer's own cost, copies and updates). */
  readonly timedMs: number;
  /** Mean ms of a plain step (run as usual), run in turn with the timed ones. */
  readonly plainMs: number;
}

/**
 * Profiles the plan of a program's most recent run (run it once first): `steps` timed steps, each
 * followed by a plain one, so the timer's overhead shows as timedMs − plainMs (after three pairs
 * not counted). Every step is a real run (updates applied); `beforeStep(i)` may fill the next
 * batch (its time is not counted).
 */
export function profileProgram(program: Program, options: { steps?: number; beforeStep?: (step: number) => void } = {}): KernelProfile {
  const steps = options.steps ?? 50;
  const times = new Float64Array(program.stats.steps); // one slot per kernel call (stats throws before a first run)
  let timed = 0;
  let plain = 0;
  let calls: ReturnType<Program['runAgain']> = [];
  // Three pairs first, not counted: the timed loop's own first runs are slow (the JIT).
  for (let s = 0; s < 3; s++) {
    program.runAgain(times);
    program.runAgain();
  }
  times.fill(0);
  for (let s = 0; s < steps; s++) {
    options.beforeStep?.(2 * s);
    let start = performance.now();
    calls = program.runAgain(times);
    timed += performance.now() - start;
    options.beforeStep?.(2 * s + 1);
    start = performance.now();
    program.runAgain();
    plain += performance.now() - start;
  }
  return {
    steps,
    kernels: calls.map((c, i) => ({ ...c, ms: times[i] / steps })),
    timedMs: timed / steps,
    plainMs: plain / steps,
  };
}
