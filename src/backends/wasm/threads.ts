/**
 * A helper thread for large matrix multiplies that never costs more than it gives. The helper
 * instantiates the same compiled module over the same shared WebAssembly.Memory; for each product
 * large enough to split, the caller queues the calls of the other half (exports and arguments),
 * posts them, runs its own half, and then `finish()`es: the half goes to whichever thread claims
 * it first, with one compare-and-swap on a shared counter. A helper that has not claimed it by
 * then (asleep, descheduled by other processes, or just late) loses it: the caller runs the same
 * calls itself on its own instance (caller-runs, as in work-stealing pools). The caller never
 * waits on work the helper has not started, and the result is bit for bit the same whichever
 * thread ran which half (the same module, memory and arguments).
 *
 * When to split is decided per product, from the time its half takes here, and by the helper,
 * from what it sees of the cores:
 * - a half of at least BIG_MS is always offered, and a sleeping helper woken for it (the wake-up
 *   costs less than the half); if its hand-offs fail (taken back, or the helper's half ended later
 *   than this thread could have run it too), the product keeps its next 1, 2, 4, … (up to
 *   MAX_BACKOFF) runs to itself;
 * - a smaller one only while the helper is awake: waking a thread takes longer than such a half,
 *   and a wake-up from this thread tends to put the helper on this thread's core. Keeping it only
 *   bumps a counter, which tells a napping helper that there is work.
 * - the helper spins for the next post only SPIN_MS, then naps (Atomics.wait with a timeout of
 *   NAP_MS, twice as long each time no work came, until after DEEP_MS it sleeps until notified);
 *   it wakes by itself, and spins again if halves were kept meanwhile.
 * - the helper stands aside while other processes take the cores (a build, a browser tab): a
 *   thread that spins there takes the caller's share of them, and a half it has claimed may wait
 *   for the scheduler. Every SAMPLE_MS it compares the machine's CPU time with this process's;
 *   while others leave fewer than FREE_CORES cores, it tells the caller (SLEEPING 3), which then
 *   runs every product as one thread, and it looks again each SAMPLE_MS. After a sleep of
 *   DEEP_MS or more it starts a fresh window: what others did while it had no work says nothing of the cores now
 *   (a benchmark's peers, run between its epochs). Where no load can be read
 *   (no node:os), only the caller's backoff guards it.
 * On an idle machine the helper stays awake through a training loop's products; beside busy
 * processes it stands aside. The caller reads the clock only for large products and one small
 * run in 16.
 */

/** Int32 view: [posted, claimed, done, sleeping, busy, kept]; from byte 32 a Float64 view: [calls, (export, args × ARGS)…]. */
const POSTED = 0;
const CLAIMED = 1;
const DONE = 2;
/** 0 while the helper is awake, 1 while it naps briefly, 2 longer, 3 while it stands aside (cores busy). */
const SLEEPING = 3;
/** Counts the times the helper found the cores busy (and stood aside). */
const BUSY = 4;
/** Counts the small halves the caller kept while the helper napped (so it knows there is work). */
const KEPT = 5;
const INTS = 8;
/** Arguments per call (the widest kernel takes 11: pointers and sizes are exact as doubles, alpha too). */
const ARGS = 11;
const MAX_CALLS = 4;
/**
 * Wall-clock time the helper spins for the next post before it naps (W1's products are ~25 µs
 * apart, W2's large ones a few ms; the helper before this one spun 200,000 times, ~1.7 ms).
 */
const SPIN_MS = 2;
/** Naps while no work comes: the first, and how long before the helper sleeps until notified. */
const NAP_MS = 1;
const DEEP_MS = 1000;
/**
 * How often the helper reads the machine's load (os.cpus() takes ~60 µs; its times tick every
 * 10 ms, so a shorter window would be mostly rounding), and how many cores other processes must
 * leave free for the helper to work: one for each thread, less a half for the rounding and the
 * system's own threads.
 */
const SAMPLE_MS = 100;
const FREE_CORES = 1.5;
/**
 * How long the caller spins for a claimed half to be done before it sleeps on it: as long as its
 * own half took (the helper's is as long), at least WAIT_SPIN_MS, at most MAX_WAIT_SPIN_MS.
 */
const WAIT_SPIN_MS = 0.05;
const MAX_WAIT_SPIN_MS = 2;
/** A half at least this long is worth waking the helper for (a wake-up takes 40–70 µs, now and then over 1 ms). */
const BIG_MS = 0.25;
/** The longest run of a product's calls kept on the caller's thread after failed hand-offs. */
const MAX_BACKOFF = 128;

// The helper's code, as a string so it runs the same under node, tsx, test runners and bundlers;
// it expects module, memory, control, claims and watchLoad in scope (see startWorker).
const helperBody = `
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => k[e.name]);
const c = new Int32Array(control, 0, ${INTS});
const f = new Float64Array(control, ${INTS * 4});
let seen = 0;
let os = null;
try { os = require('node:os'); } catch {}
const cores = os ? os.cpus().length : 0;
const machineMs = () => os.cpus().reduce((sum, { times: t }) => sum + t.user + t.nice + t.sys + t.irq, 0);
const processMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let sampledAt = performance.now();
let machineBefore = os ? machineMs() : 0;
let processBefore = os ? processMs() : 0;
let crowded = false;
/** Whether, over the last SAMPLE_MS or more, other processes left fewer than FREE_CORES cores. */
function crowdedAt(t) {
  if (!os || !watchLoad || t - sampledAt < ${SAMPLE_MS}) return crowded;
  const [machine, own] = [machineMs(), processMs()];
  const others = (machine - machineBefore - (own - processBefore)) / (t - sampledAt);
  [sampledAt, machineBefore, processBefore] = [t, machine, own];
  crowded = cores - others < ${FREE_CORES};
  return crowded;
}
/** Stands aside while the cores are crowded: the caller keeps every product (SLEEPING 3). */
function standAside() {
  Atomics.add(c, ${BUSY}, 1);
  Atomics.store(c, ${SLEEPING}, 3);
  do Atomics.wait(c, ${POSTED}, Atomics.load(c, ${POSTED}), ${SAMPLE_MS});
  while (crowdedAt(performance.now()));
  // Halves posted before the caller saw SLEEPING 3 it has taken back (or will): skip them.
  seen = Atomics.load(c, ${POSTED});
  Atomics.store(c, ${SLEEPING}, 0);
}
/**
 * Naps until there is work: a post, or halves kept meanwhile; a nap that has grown long
 * (SLEEPING 2) is cut short by the caller when work starts again.
 */
function nap() {
  const kept = Atomics.load(c, ${KEPT});
  const from = performance.now();
  for (let slept = 0, length = ${NAP_MS}; ; slept += length, length = Math.min(2 * length, ${DEEP_MS})) {
    Atomics.store(c, ${SLEEPING}, length <= ${NAP_MS} ? 1 : 2);
    const woke = Atomics.wait(c, ${POSTED}, seen, slept >= ${DEEP_MS} ? Infinity : length);
    Atomics.store(c, ${SLEEPING}, 0);
    if (woke !== 'timed-out' || Atomics.load(c, ${KEPT}) !== kept) break;
  }
  // What other processes did while this one had no work says nothing of the cores now: after a
  // sleep of a second or more the next look at the load starts afresh. (Not after shorter naps:
  // where others crowd the cores, a short nap can end late, and the look must go on.)
  if (os && performance.now() - from >= ${DEEP_MS}) [sampledAt, machineBefore, processBefore, crowded] = [performance.now(), machineMs(), processMs(), false];
}
for (;;) {
  // The next post: spin for ${SPIN_MS} ms of wall-clock time (so a spin cut short by the scheduler
  // ends at once), then nap; stand aside whenever the cores are crowded.
  let until = performance.now() + ${SPIN_MS};
  for (let spins = 1; ; spins++) {
    const waiting = Atomics.load(c, ${POSTED}) === seen;
    if (waiting && (spins & 255) !== 0) continue;
    const t = performance.now();
    if (crowdedAt(t)) standAside();
    else if (!waiting) break;
    else if (t > until) nap();
    else continue;
    until = performance.now() + ${SPIN_MS};
  }
  const p = Atomics.load(c, ${POSTED});
  seen = p;
  // Claim it, unless the caller has taken it back (then CLAIMED is already p).
  if (!claims || Atomics.compareExchange(c, ${CLAIMED}, p - 1, p) !== p - 1) continue;
  for (let call = 0, at = 1; call < f[0]; call++, at += ${ARGS + 1}) {
    fns[f[at]](f[at + 1], f[at + 2], f[at + 3], f[at + 4], f[at + 5], f[at + 6], f[at + 7], f[at + 8], f[at + 9], f[at + 10], f[at + 11]);
  }
  Atomics.store(c, ${DONE}, p);
  Atomics.notify(c, ${DONE});
}
`;

interface WorkerLike {
  unref?(): void;
  terminate(): unknown;
}

interface WorkerThreads {
  Worker: new (code: string, options: { eval: boolean; workerData: unknown }) => WorkerLike;
}

type Environment = typeof globalThis & {
  process?: { getBuiltinModule?: (name: string) => unknown; env?: Record<string, string | undefined> };
  crossOriginIsolated?: boolean;
};
const environment = globalThis as Environment;

/**
 * How a helper starts here: Node's worker_threads, or a Web Worker in a cross-origin isolated page
 * (or a worker of one); null where none can (then the memory is never moved to a shared one).
 */
function workerKind(): 'node' | 'web' | null {
  if (typeof SharedArrayBuffer === 'undefined' || environment.process?.env?.DELTAGRAPH_THREADS === '1') return null;
  if (environment.process?.getBuiltinModule?.('node:worker_threads')) return 'node';
  return typeof Worker === 'function' && environment.crossOriginIsolated === true ? 'web' : null;
}

/** Whether a helper thread can start here (SharedArrayBuffer, a kind of worker, DELTAGRAPH_THREADS is not 1). */
export const helperAvailable = (): boolean => workerKind() !== null;

function startWorker(data: { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; claims: boolean; watchLoad: boolean }): WorkerLike {
  if (workerKind() === 'node') {
    const threads = environment.process!.getBuiltinModule!('node:worker_threads') as WorkerThreads;
    const source = `const { module, memory, control, claims, watchLoad } = require('node:worker_threads').workerData;\n${helperBody}`;
    const worker = new threads.Worker(source, { eval: true, workerData: data });
    worker.unref!(); // an idle helper never keeps the process alive
    return worker;
  }
  const source = `onmessage = ({ data: { module, memory, control, claims, watchLoad } }) => {\n${helperBody}\n};`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { name: 'deltagraph helper' });
  URL.revokeObjectURL(url);
  worker.postMessage(data);
  return worker;
}

/** Whether this thread may block in Atomics.wait (not a page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

type Kernel = (...args: number[]) => unknown;
/** Up to ARGS numeric arguments (pointers and sizes are exact as doubles, alpha too); the rest are 0. */
type Args = [number?, number?, number?, number?, number?, number?, number?, number?, number?, number?, number?];

/**
 * One product's hand-off point: for each run, `queue` the calls of the helper's half, `post()`,
 * run the caller's half, `finish()`. The two halves must be independent (write apart, read
 * nothing the other writes): either may run first, on either thread.
 */
export interface Handoff {
  /**
   * Queues a call of the module's export `name` for the helper (at most 4 per post); or, when
   * this run stays on the caller's thread (decided at its first call), runs it right away.
   */
  queue(name: string, ...args: Args): void;
  /** Offers the queued calls to the helper (nothing if this run stays on the caller's thread). */
  post(): void;
  /**
   * Whether this run's calls will go to the helper, decided now rather than at the first
   * `queue` (for work that is cut up differently when it stays on this thread); `finish()` ends
   * the run either way.
   */
  offers(): boolean;
  /**
   * Returns when the queued calls have run: takes them back and runs them on this thread if the
   * helper has not claimed them, else waits for the helper to finish them.
   */
  finish(): void;
}

/** What became of the halves so far (for tests and measurements). */
export interface HelperStats {
  /** Offered to the helper. */
  posted: number;
  /** Run by the helper. */
  helped: number;
  /** Offered but taken back and run by the caller. */
  stolen: number;
  /** Kept on the caller's thread, not offered (small while the helper slept, or backing off). */
  kept: number;
  /** Times the helper found the cores busy. */
  busy: number;
}

export interface Helper {
  /** A hand-off point for one product (each keeps its own record of whether splitting pays). */
  handoff(): Handoff;
  stats(): HelperStats;
  /** Ends the thread (its device is disposed). */
  terminate(): void;
}

export interface HelperOptions {
  /**
   * For tests: 'steal' starts a helper that never claims, as if always descheduled (every half is
   * offered, unless its product backs off, and the caller takes it back and runs it); 'helper'
   * makes the caller offer every half and wait until the helper has claimed it (it never takes
   * one back, and never backs off); 'keep' never offers one (the caller runs each call as it is
   * queued). Default 'auto'.
   */
  force?: 'auto' | 'steal' | 'helper' | 'keep';
}

const now: () => number = () => performance.now();

/**
 * A helper thread over `memory`, or null where threads are not available (or turned off).
 * `exports` are the caller's own instance of `module` over `memory`: it runs the halves it takes back.
 */
export function startHelper(module: WebAssembly.Module, memory: WebAssembly.Memory, exports: Record<string, unknown>, options: HelperOptions = {}): Helper | null {
  if (!helperAvailable()) return null;
  const blocks = canBlock();
  const force = options.force ?? 'auto';
  const control = new SharedArrayBuffer(INTS * 4 + 8 * (1 + MAX_CALLS * (ARGS + 1)));
  const c = new Int32Array(control, 0, INTS);
  const f = new Float64Array(control, INTS * 4);
  const names = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
  const index = new Map(names.map((name, i) => [name, i]));
  const fns = names.map((name) => exports[name] as Kernel);
  // Forced helpers (tests) never stand aside: a caller that waits for a claim would wait forever.
  const worker = startWorker({ module, memory, control, claims: force !== 'steal', watchLoad: force === 'auto' });
  const stats = { posted: 0, helped: 0, stolen: 0, kept: 0 };
  /** Posts so far (the last post's number), and small halves kept while the helper napped. */
  let posted = 0;
  let keptWhileNapping = 0;

  /** Calls queued by the current hand-off. */
  let calls = 0;
  /** Runs the queued calls on the caller's thread, exactly as the helper would (the same arguments). */
  const runLocal = () => {
    for (let call = 0, at = 1; call < calls; call++, at += ARGS + 1) {
      fns[f[at]](f[at + 1], f[at + 2], f[at + 3], f[at + 4], f[at + 5], f[at + 6], f[at + 7], f[at + 8], f[at + 9], f[at + 10], f[at + 11]);
    }
    calls = 0;
  };
  /**
   * Waits for the helper to finish post `p` (a half about `own` ms long, −1 if not timed): spins,
   * a few hundred times without the clock, then up to `own` (at least WAIT_SPIN_MS, at most
   * MAX_WAIT_SPIN_MS), then sleeps. Returns how long it waited (0 if briefly).
   */
  const awaitDone = (p: number, own: number) => {
    for (let spins = 0; spins < 512; spins++) if (Atomics.load(c, DONE) === p) return 0;
    const from = now();
    const until = from + Math.min(MAX_WAIT_SPIN_MS, Math.max(WAIT_SPIN_MS, own));
    for (let spins = 1; Atomics.load(c, DONE) !== p; spins++) {
      if (blocks && (spins & 63) === 0 && now() > until) Atomics.wait(c, DONE, Atomics.load(c, DONE), 1);
    }
    return now() - from;
  };

  const handoff = (): Handoff => {
    let skip = 0; // runs left to keep on this thread
    let backoff = 0; // how many runs the next failed hand-off keeps
    let offered = false; // whether this run's calls go to the helper (else they run as queued)
    let decided = false; // whether this run's first call, or `offers()`, has decided that
    let started = -1; // when this run was offered, if timed
    let runs = 0;
    let awake = false; // whether the helper was awake (spinning or working) at the offer
    let shortest = Infinity; // this thread's fastest half of this product (ms), from timed runs
    // The export each queued call named the last time (names come in the same order each run).
    const lastName: string[] = [];
    const lastFn: number[] = [];
    /**
     * A hand-off of a large product that did not pay doubles its backoff; one that did halves it.
     * (Small ones are offered only to an awake helper, and one that backed off would let it nap.)
     */
    const outcome = (paid: boolean) => {
      if (force === 'helper' || (force === 'auto' && shortest < BIG_MS)) return;
      backoff = paid ? backoff >> 1 : Math.min(MAX_BACKOFF, 2 * backoff || 1);
      skip = backoff;
    };
    /** Whether to offer this run's calls to the helper (decided at its first call). */
    const decide = () => {
      if (skip > 0 || force === 'keep') {
        if (skip > 0) skip--;
        return false;
      }
      const sleeping = Atomics.load(c, SLEEPING);
      // Other processes have the cores: run it all here (force 'helper' and 'steal' are tests).
      if (sleeping === 3 && force === 'auto') return false;
      awake = sleeping === 0;
      const big = shortest >= BIG_MS;
      if (!awake && !big && force === 'auto') {
        // A small half for a sleeping helper: keep it, and tell a napping helper there is work
        // (one that has slept long is woken: work has started again).
        Atomics.store(c, KEPT, ++keptWhileNapping);
        if (sleeping === 2) Atomics.notify(c, POSTED);
        return false;
      }
      // Large products are timed each run, small ones one run in 16.
      started = big || (++runs & 15) === 0 ? now() : -1;
      return true;
    };
    const offers = () => {
      if (!decided) {
        offered = decide();
        decided = true;
        if (offered) stats.posted++;
        else stats.kept++;
      }
      return offered;
    };
    return {
      queue(name, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0) {
        let fn = lastFn[calls];
        if (lastName[calls] !== name) {
          fn = calls < MAX_CALLS ? index.get(name)! : undefined!;
          if (fn === undefined) throw new Error(`helper: cannot queue ${name} as call ${calls + 1} (at most ${MAX_CALLS} calls of the module's exports)`);
          ((lastName[calls] = name), (lastFn[calls] = fn));
        }
        if (calls === 0) offers();
        calls++;
        // Kept: run it now (the halves of a product are independent), with the arguments the
        // helper would get (zeros past the given ones).
        if (!offered) return void fns[fn](a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
        const at = 1 + (calls - 1) * (ARGS + 1);
        f[at] = fn;
        f[at + 1] = a0;
        f[at + 2] = a1;
        f[at + 3] = a2;
        f[at + 4] = a3;
        f[at + 5] = a4;
        f[at + 6] = a5;
        f[at + 7] = a6;
        f[at + 8] = a7;
        f[at + 9] = a8;
        f[at + 10] = a9;
        f[at + 11] = a10;
      },
      post() {
        if (!offered) return;
        f[0] = calls;
        Atomics.store(c, POSTED, ++posted);
        if (Atomics.load(c, SLEEPING) !== 0) Atomics.notify(c, POSTED);
      },
      offers,
      finish() {
        decided = false;
        if (!offered) return void (calls = 0);
        offered = false;
        const p = posted;
        // How long this thread's half took, if this run is timed.
        const own = started < 0 ? -1 : now() - started;
        if (own >= 0 && own < shortest) shortest = own;
        if (force === 'helper') while (Atomics.load(c, CLAIMED) !== p);
        if (Atomics.compareExchange(c, CLAIMED, p - 1, p) === p - 1) {
          // The helper has not started it: run it here. A failure unless the helper was asleep
          // and this half is shorter than a wake-up (the post woke it for the next ones).
          stats.stolen++;
          runLocal();
          if (awake || own >= BIG_MS || force === 'steal') outcome(false);
          return;
        }
        stats.helped++;
        calls = 0;
        const waited = awaitDone(p, own);
        // A split pays while the helper's half ends before this thread could have run it.
        if (own >= 0) outcome(waited < own);
      },
    };
  };

  return {
    handoff,
    stats: () => ({ ...stats, busy: Atomics.load(c, BUSY) }),
    terminate() {
      void worker.terminate();
    },
  };
}
