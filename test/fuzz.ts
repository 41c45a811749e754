/**
 * The fuzzing kit, on fast-check (property tests that shrink a failure to the smallest input that
 * still fails): edits of a file as an arbitrary (bit flips, overwrites, truncation, insertion,
 * deletion, copies, changed digits), applied to a good file; the trials from DELTAGRAPH_FUZZ_RUNS
 * (a longer run: DELTAGRAPH_FUZZ_RUNS=20000 npx vitest run test/**\/*.fuzz.test.ts) and a failure
 * replayed with the seed and path fast-check prints (DELTAGRAPH_FUZZ_SEED, DELTAGRAPH_FUZZ_PATH).
 */
import fc from 'fast-check';
import { Rng } from '../src/core/rng.ts';

export function fuzzRuns(normal: number): number {
  const asked = Number(process.env.DELTAGRAPH_FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : normal;
}

/** fast-check's parameters: `normal` runs unless DELTAGRAPH_FUZZ_RUNS asks for more; a fixed seed unless one is given to replay. */
export function fuzzParameters(normal: number, seed: number): fc.Parameters<unknown> {
  const replay = Number(process.env.DELTAGRAPH_FUZZ_SEED);
  const path = process.env.DELTAGRAPH_FUZZ_PATH;
  return { numRuns: fuzzRuns(normal), seed: Number.isInteger(replay) ? replay : seed, ...(path ? { path } : {}) };
}

/** One edit of a file; positions are taken modulo the length, so any number is a place in the file. */
export type Edit =
  | { readonly flip: number; readonly bit: number }
  | { readonly set: number; readonly byte: number }
  | { readonly truncate: number }
  | { readonly insert: number; readonly bytes: readonly number[] }
  | { readonly delete: number; readonly count: number }
  | { readonly copy: number; readonly to: number; readonly count: number }
  | { readonly digit: number; readonly to: number };

/**
 * Edits of a file: what corruption, truncation and hand edits do. Half of the positions fall in
 * the first `hot` bytes (a header is small but holds most of the structure).
 */
export function edits(hot: number): fc.Arbitrary<Edit[]> {
  const at = fc.oneof(fc.nat({ max: hot - 1 }), fc.nat({ max: 1 << 20 }));
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ flip: at, bit: fc.nat({ max: 7 }) }),
    fc.record({ set: at, byte: fc.nat({ max: 255 }) }),
    fc.record({ truncate: at }),
    fc.record({ insert: at, bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 16 }) }),
    fc.record({ delete: at, count: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ copy: at, to: at, count: fc.integer({ min: 1, max: 32 }) }),
    fc.record({ digit: fc.nat({ max: 1 << 20 }), to: fc.nat({ max: 9 }) }), // a digit changed: offsets, shapes, numbers in a header
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 });
}

/** `bytes` with `edits` applied in order (a fresh array). */
export function applyEdits(bytes: Uint8Array, list: readonly Edit[]): Uint8Array {
  let out: Uint8Array = bytes.slice();
  for (const e of list) {
    const at = (p: number) => (out.length === 0 ? 0 : p % out.length);
    if ('flip' in e) out.length > 0 && (out[at(e.flip)] ^= 1 << e.bit);
    else if ('set' in e) out.length > 0 && (out[at(e.set)] = e.byte);
    else if ('truncate' in e) out = out.slice(0, at(e.truncate));
    else if ('insert' in e) out = concat(out.subarray(0, at(e.insert)), Uint8Array.from(e.bytes), out.subarray(at(e.insert)));
    else if ('delete' in e) out = concat(out.subarray(0, at(e.delete)), out.subarray(Math.min(out.length, at(e.delete) + e.count)));
    else if ('copy' in e) {
      const [from, to] = [at(e.copy), at(e.to)];
      out.copyWithin(to, from, Math.min(out.length, from + Math.min(e.count, out.length - Math.max(from, to))));
    } else {
      const positions = [...new TextDecoder('latin1').decode(out).matchAll(/\d/g)].map((m) => m.index!);
      if (positions.length > 0) out[positions[e.digit % positions.length]] = 0x30 + e.to;
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs `trial`, and fails it (a hang, as far as a synchronous call can tell) when it took longer than `ms`. */
export function timed<T>(ms: number, trial: () => T): T {
  const started = performance.now();
  const result = trial();
  const took = performance.now() - started;
  if (took > ms) throw new Error(`took ${took.toFixed(0)} ms (more than ${ms} ms: a hang?)`);
  return result;
}

/** How the trials of a property ended, printed after it, so a run shows what it exercised. */
export class Outcomes {
  readonly counts = new Map<string, number>();
  add(outcome: string): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }
  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }
  summary(what: string): string {
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    return `${what}: ${total} trials: ${[...this.counts].map(([k, v]) => `${v} ${k}`).join(', ')}`;
  }
}

// The seeded mutation kit the fuzzers used before fast-check, kept while a fuzzer of another branch
// (the ONNX importer's) may still import it; new fuzzers use `edits` and `applyEdits`.

/** One random mutation of `bytes` (see `edits` for the fast-check arbitrary that replaces it). */
export function mutate(bytes: Uint8Array, rng: Rng, hotspots: readonly [number, number][] = []): Uint8Array {
  const at = () => {
    if (hotspots.length > 0 && rng.next() < 0.5) {
      const [from, to] = hotspots[rng.int(hotspots.length)];
      return from + rng.int(Math.max(1, to - from));
    }
    return rng.int(1 << 20);
  };
  const kinds: (() => Edit)[] = [
    () => ({ flip: at(), bit: rng.int(8) }),
    () => ({ set: at(), byte: rng.int(256) }),
    () => ({ truncate: at() }),
    () => ({ insert: at(), bytes: Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)) }),
    () => ({ delete: at(), count: 1 + rng.int(16) }),
    () => ({ copy: at(), to: at(), count: 1 + rng.int(32) }),
    () => ({ digit: rng.int(1 << 20), to: rng.int(10) }),
  ];
  return applyEdits(bytes, [kinds[rng.int(kinds.length)]()]);
}

export type Outcome = 'clean error' | 'identical' | 'crash' | 'hang' | 'silent difference';

/** Outcomes of trials run with `mutate` (see `Outcomes` and fast-check's `fc.assert` for new fuzzers). */
export class Tally {
  readonly counts: Record<Outcome, number> = { 'clean error': 0, identical: 0, crash: 0, hang: 0, 'silent difference': 0 };
  readonly failures: string[] = [];
  slowest = 0;

  constructor(private readonly hangMs = 5000) {}

  record(label: string, trial: () => 'identical' | 'silent difference', isClean: (e: unknown) => boolean): void {
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = trial();
    } catch (e) {
      outcome = isClean(e) ? 'clean error' : 'crash';
      if (outcome === 'crash') this.failures.push(`${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    const ms = performance.now() - started;
    this.slowest = Math.max(this.slowest, ms);
    if (ms > this.hangMs) {
      outcome = 'hang';
      this.failures.push(`${label}: took ${ms.toFixed(0)} ms`);
    }
    if (outcome === 'silent difference') this.failures.push(`${label}: loaded without an error but differs`);
    this.counts[outcome]++;
  }

  summary(what: string): string {
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    return `${what}: ${total} trials: ${Object.entries(this.counts).map(([k, v]) => `${v} ${k}`).join(', ')} (slowest ${this.slowest.toFixed(0)} ms)`;
  }
}
