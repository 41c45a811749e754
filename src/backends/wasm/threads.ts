/**
 * A helper thread for large matrix multiplies. The helper instantiates the same compiled module
 * over the same shared WebAssembly.Memory and runs a queue of calls of its exports that the
 * caller posts (the caller does the other part of the work meanwhile), so the result is bit for
 * bit the one a single thread gives. The two sides meet through a small shared control block:
 * the helper spins on it for a while before it sleeps (a sleep–wake round trip costs 60–70 µs
 * here, a spin under 1 µs).
 */

/** Int32 view: [posted, done]; from byte 8 a Float64 view: [calls, (export, args × ARGS)…]. */
const POSTED = 0;
const DONE = 1;
/** Arguments per call (the widest kernel takes 11: pointers and sizes are exact as doubles, alpha too). */
const ARGS = 11;
const MAX_CALLS = 4;

// The helper's code, as a string so it runs the same under node, tsx and test runners.
const helperSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => k[e.name]);
const c = new Int32Array(control, 0, 2);
const f = new Float64Array(control, 8);
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(c, ${POSTED}) === seen) {
    if (++spins > 200000) { Atomics.wait(c, ${POSTED}, seen); spins = 0; }
  }
  seen = Atomics.load(c, ${POSTED});
  for (let call = 0, at = 1; call < f[0]; call++, at += ${ARGS + 1}) {
    fns[f[at]](f[at + 1], f[at + 2], f[at + 3], f[at + 4], f[at + 5], f[at + 6], f[at + 7], f[at + 8], f[at + 9], f[at + 10], f[at + 11]);
  }
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

interface WorkerLike {
  unref(): void;
  terminate(): unknown;
}

export interface Helper {
  /** Queues a call of the module's export `name` (at most 4 per post, 11 numeric arguments). */
  queue(name: string, ...args: number[]): void;
  /** Starts the queued calls on the helper; `wait()` returns when they are done. */
  post(): void;
  wait(): void;
  /** Ends the thread (its device is disposed). */
  terminate(): void;
}

/** A helper thread over `memory`, or null where threads are not available (or turned off). */
export function startHelper(module: WebAssembly.Module, memory: WebAssembly.Memory): Helper | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown; env?: Record<string, string | undefined> } }).process;
  if (proc?.env?.DELTAGRAPH_THREADS === '1' || typeof SharedArrayBuffer === 'undefined') return null;
  const threads = proc?.getBuiltinModule?.('node:worker_threads') as
    | { Worker: new (code: string, options: { eval: boolean; workerData: unknown }) => WorkerLike }
    | undefined;
  if (!threads) return null;
  const control = new SharedArrayBuffer(8 + 8 * (1 + MAX_CALLS * (ARGS + 1)));
  const c = new Int32Array(control, 0, 2);
  const f = new Float64Array(control, 8);
  const index = new Map(
    WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e, i) => [e.name, i]),
  );
  const worker = new threads.Worker(helperSource, { eval: true, workerData: { module, memory, control } });
  worker.unref(); // an idle helper never keeps the process alive
  let posted = 0;
  let calls = 0;
  return {
    queue(name, ...args) {
      const at = 1 + calls * (ARGS + 1);
      f[at] = index.get(name)!;
      for (let i = 0; i < ARGS; i++) f[at + 1 + i] = i < args.length ? args[i] : 0;
      calls++;
    },
    post() {
      f[0] = calls;
      calls = 0;
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
    terminate() {
      void worker.terminate();
    },
  };
}
