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

  /** out[i] ← uniform(low, high) for every i, in order: the same values, with `next` inlined (a large layer's fill is this loop). */
  fillUniform(out: Float32Array | Float64Array, low: number, high: number): void {
    let state = this.state;
    for (let i = 0; i < out.length; i++) {
      let t = (state = (state + 0x6d2b79f5) >>> 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = low + (high - low) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
    }
    this.state = state;
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

  /** Where the generator is: a generator made `Rng.at(state)` draws what this one draws next. */
  get position(): RngPosition {
    return { state: this.state, spare: this.spare };
  }

  /** A generator at `position` (from `rng.position`). */
  static at(position: RngPosition): Rng {
    const rng = new Rng(0);
    rng.state = position.state;
    rng.spare = position.spare;
    return rng;
  }

  /** Moves on as `count` calls of `next()` (or `uniform`) would, in O(1): the state only steps by a constant. */
  skipUniform(count: number): void {
    this.state = (this.state + Math.imul(count >>> 0, 0x6d2b79f5)) >>> 0;
  }

  /**
   * Moves on as `count` calls of `normal()` would, without the logarithms and sines: only the
   * first draw of each pair is mixed, to see whether it is the rare 0 that `normal` draws again.
   */
  skipNormal(count: number): void {
    if (count > 0 && this.spare !== null) {
      this.spare = null;
      count--;
    }
    // Pairs whose values are not needed; the last pair is drawn for real, as its spare is kept.
    let state = this.state;
    for (let pairs = Math.floor((count - 1) / 2); pairs > 0; pairs--) {
      // next() inlined: u is 0 exactly when the mixed word is 0; then u is drawn again. v is not needed.
      let t: number;
      do {
        t = state = (state + 0x6d2b79f5) >>> 0;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      } while ((t ^ (t >>> 14)) === 0);
      state = (state + 0x6d2b79f5) >>> 0;
    }
    this.state = state;
    for (let left = count > 0 ? 2 - (count % 2) : 0; left > 0; left--) this.normal();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** The whole state of an Rng (see `Rng.position`). */
export interface RngPosition {
  /** mulberry32's 32-bit state. */
  readonly state: number;
  /** The second normal of the last Box–Muller pair, not yet returned (or null). */
  readonly spare: number | null;
}
