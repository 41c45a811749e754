/**
 * A small seeded fuzzing kit (fast-check is not installed): byte mutations of a file, the outcome
 * of each trial sorted into clean error / identical / crash / hang / silent difference, and the
 * number of trials from DELTAGRAPH_FUZZ_RUNS (a longer run: DELTAGRAPH_FUZZ_RUNS=20000 npx vitest run test/**\/*.fuzz.test.ts).
 */
import { Rng } from '../src/core/rng.ts';

export function fuzzRuns(normal: number): number {
  const asked = Number(process.env.DELTAGRAPH_FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : normal;
}

/** One random mutation of `bytes`: what corruption, truncation and hand edits do to files. */
export function mutate(bytes: Uint8Array, rng: Rng, hotspots: readonly [number, number][] = []): Uint8Array {
  const at = (length: number) => {
    // Half of the time inside a hotspot (a header is small but holds most of the structure).
    if (hotspots.length > 0 && rng.next() < 0.5) {
      const [from, to] = hotspots[rng.int(hotspots.length)];
      return Math.min(length - 1, from + rng.int(Math.max(1, to - from)));
    }
    return rng.int(Math.max(1, length));
  };
  const out = bytes.slice();
  switch (rng.int(7)) {
    case 0: {
      const i = at(out.length);
      out[i] ^= 1 << rng.int(8); // one bit flipped
      return out;
    }
    case 1: {
      const n = 1 + rng.int(4);
      for (let k = 0; k < n; k++) out[at(out.length)] = rng.int(256); // a few bytes overwritten
      return out;
    }
    case 2:
      return out.subarray(0, at(out.length)); // truncated
    case 3: {
      const i = at(out.length);
      const extra = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      return concat(out.subarray(0, i), extra, out.subarray(i)); // bytes inserted
    }
    case 4: {
      const i = at(out.length);
      return concat(out.subarray(0, i), out.subarray(Math.min(out.length, i + 1 + rng.int(16)))); // bytes deleted
    }
    case 5: {
      const i = at(out.length);
      const j = at(out.length);
      const n = Math.min(1 + rng.int(32), out.length - Math.max(i, j));
      out.copyWithin(i, j, j + n); // a block copied over another
      return out;
    }
    default: {
      const digits = '0123456789';
      const text = new TextDecoder('latin1').decode(out);
      const positions = [...text.matchAll(/\d/g)].map((m) => m.index!);
      if (positions.length === 0) return out;
      out[positions[rng.int(positions.length)]] = digits.charCodeAt(rng.int(10)); // a digit changed (offsets, shapes, numbers)
      return out;
    }
  }
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

export type Outcome = 'clean error' | 'identical' | 'crash' | 'hang' | 'silent difference';

export class Tally {
  readonly counts: Record<Outcome, number> = { 'clean error': 0, identical: 0, crash: 0, hang: 0, 'silent difference': 0 };
  readonly failures: string[] = [];
  slowest = 0;

  constructor(private readonly hangMs = 5000) {}

  /** Runs one trial: `trial` returns 'identical' or 'silent difference', or throws (an error `isClean` accepts, or a crash). */
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
    const parts = Object.entries(this.counts).map(([k, v]) => `${v} ${k}`);
    return `${what}: ${total} trials: ${parts.join(', ')} (slowest ${this.slowest.toFixed(0)} ms)`;
  }
}
