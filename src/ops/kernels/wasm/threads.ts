/**
 * A helper thread for large matrix multiplies. The helper instantiates the same compiled module
 * over the same shared WebAssembly.Memory; a multiply is split by rows of C, the caller doing
 * the first part and the helper the rest, so the result is bit for bit the one a single thread
 * gives. The two sides meet through a small shared control block: the helper spins on it for a
 * while before it sleeps (a sleep–wake round trip costs 60–70 µs here, a spin under 1 µs).
 */

/** Control block (Int32Array): [posted, done, op, args…]; a float argument (alpha) at ALPHA. */
const POSTED = 0;
const DONE = 1;
const OP = 2;
const ARGS = 3;
const GEMM = 1;
const GEMM_ACC = 3;
const ALPHA = 12;

// The helper's code, as a string so it runs the same under node, tsx and test runners.
const helperSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
const cf = new Float32Array(control);
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(c, ${POSTED}) === seen) {
    if (++spins > 200000) { Atomics.wait(c, ${POSTED}, seen); spins = 0; }
  }
  seen = Atomics.load(c, ${POSTED});
  const op = c[${OP}];
  if (op === ${GEMM}) k.gemm(c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]);
  else if (op === ${GEMM_ACC}) k.gemmAcc(c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], cf[${ALPHA}]);
  else k.gemmNT(c[3], c[4], c[5], c[6], c[7], c[8]);
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

interface WorkerLike {
  unref(): void;
  terminate(): unknown;
}

export interface Helper {
  /** Runs gemm (op 1), gemmNT (op 2) or gemmAcc (op 3, with alpha) on the helper; `wait()` returns when it is done. */
  start(op: 1 | 2 | 3, args: readonly number[], alpha?: number): void;
  wait(): void;
}

/** A helper thread over `memory`, or null where threads are not available (or turned off). */
export function startHelper(module: WebAssembly.Module, memory: WebAssembly.Memory): Helper | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown; env?: Record<string, string | undefined> } }).process;
  if (proc?.env?.DELTAGRAPH_THREADS === '1' || typeof SharedArrayBuffer === 'undefined') return null;
  const threads = proc?.getBuiltinModule?.('node:worker_threads') as
    | { Worker: new (code: string, options: { eval: boolean; workerData: unknown }) => WorkerLike }
    | undefined;
  if (!threads) return null;
  const control = new SharedArrayBuffer(16 * 4);
  const c = new Int32Array(control);
  const cf = new Float32Array(control);
  const worker = new threads.Worker(helperSource, { eval: true, workerData: { module, memory, control } });
  worker.unref(); // an idle helper never keeps the process alive
  let posted = 0;
  return {
    start(op, args, alpha = 0) {
      c[OP] = op;
      cf[ALPHA] = alpha;
      for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i];
      Atomics.store(c, POSTED, ++posted);
      Atomics.notify(c, POSTED);
    },
    wait() {
      let spins = 0;
      while (Atomics.load(c, DONE) !== posted) {
        if (++spins > 1000000) {
          Atomics.wait(c, DONE, Atomics.load(c, DONE), 1);
          spins = 0;
        }
      }
    },
  };
}

