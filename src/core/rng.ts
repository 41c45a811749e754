/**
 * Seeded randomness. One Rng drives every random choice of a graph (initial values, dropout
 * seeds, shuffles), so the same seed gives the same run, bit for bit.
 */
import { GraphError } from './errors.ts';

/** A small, fast, seedable generator (mulberry32) with normal samples by Box–Muller. */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed = 1) {
    if (!Number.isFinite(seed)) throw new GraphError(`Rng: seed must be a finite number, got ${seed}`);
    this.state = Math.floor(seed) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A number drawn uniformly from [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
