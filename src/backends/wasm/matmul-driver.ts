/**
 * Prepares a matrix multiply for one shape: picks the kernel, its register tile and the thread
 * split once, when a plan is bound, and returns a call that only passes pointers (and alpha).
 *
 * - Large products (M ≥ 32 rows, N ≥ 16 columns, K ≥ 64) pack B into 8-column panels and an Aᵀ
 *   into 4-row slivers (gemm-packed.ts: packB, gemmPacked; a row-major A is read in place): every
 *   form then reads both operands contiguously, and a transpose costs only the packing. Two
 *   threads split the panels, each packing and multiplying its own columns; or, for a product
 *   taller than wide (a conv layer over a group of images), the rows, each packing all of B.
 *   Either way no barrier, and the same sums as one thread.
 * - Smaller ones (and short K, where packing costs more than it saves) use `gemm` straight from A
 *   and B, with the register tile that wastes least on the shape (`gemmTile`), or for A·Bᵀ
 *   `gemmNT` when K is long enough for its dot products (K ≥ 64), else the packed path. Two
 *   threads split them by rows of C; but an A·B with few rows (a small batch times the weights)
 *   is summed in two ranges of K instead, the second into scratch and then added: each thread
 *   then reads half of B, the same rows of the weights whose update it computes (the update's
 *   row split and this K split meet at the same index, `half`), so each half of the weights
 *   stays in one core's cache. The K split is made with one thread too, so a result never
 *   depends on whether the helper ran.
 * These thresholds come from measurements of each kernel on the shapes of the MNIST networks.
 */
import { GEMM_TILES, gemmName, type GemmTile } from './gemm.ts';
import { PANEL } from './gemm-packed.ts';
import { JOB } from './gemm-sparse.ts';
import { KB, MB } from './matmul-shared.ts';
import { matMulBiasActivation, subScaledMatMul } from '../../ops/fused.ts';
import { matMul, type MatMulAttrs } from '../../ops/matmul.ts';
import { registerKernel, type ShapeContext } from '../registry.ts';
import type { Handoff, Helper } from './threads.ts';

type Kernel = (...args: number[]) => number | undefined;
/** The module's exports: matmul.ts's kernels, and elementwise.ts's add_11 (the K split's sum). */
export type MatMulExports = Record<string, Kernel>;

/** One product: byte pointers into the memory, sizes, forms; `scratch` holds matMulScratch(…) floats. */
export interface MatMulSpec {
  a: number;
  b: number;
  c: number;
  scratch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  /** C ← C + alpha·op(A)·op(B) instead of C = op(A)·op(B); alpha is given at each call. */
  accumulate: boolean;
  /**
   * Whether to skip an operand's zeros: where they pay (default), never, or always where it can
   * (for measurements; the scratch must then hold the largest skippableSides(…, () => 1) floats).
   */
  skipZeros?: 'auto' | 'always' | 'never';
}

/** Runs the prepared product; `alpha` only when it accumulates. */
export type MatMulCall = (alpha?: number) => void;

/** Whether a product goes through the packed kernel (gemm cannot read Bᵀ, gemmNT cannot accumulate). */
const packed = (m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, accumulate: boolean) =>
  (m >= 32 && n >= 16 && k >= 64) || (transposeB && (transposeA || accumulate || k < 64));

/**
 * Products with fewer multiply-adds stay on one thread: half of a 2¹⁷ product takes about 4 µs,
 * against 0.2 µs for a hand-off and 1–2 µs that the helper's half loses reading what this thread
 * wrote; from there up, the split pays.
 */
export const SPLIT_MACS = 1 << 17;

/**
 * Chunks of rows a zero-skipping product is cut into with a helper: each thread normally sums
 * four, and one that falls behind leaves its last ones to the other. Finer chunks cost more (each
 * chunk of x·W1's rows reads all of W1: 3% more time at 8 chunks, 9% at 16, on one thread).
 */
const SPARSE_CHUNKS = 8;

/** Whether an A·B with few rows is summed in two K ranges (see the top of this file). */
const splitsK = (m: number, n: number, k: number, transposeB: boolean, accumulate: boolean) =>
  m < 32 && !transposeB && !accumulate && k >= 8 && m * n * k >= SPLIT_MACS;

/** Where work is cut in two: about half of `size`, a multiple of 4 (rows of an update, or K). */
const half = (size: number) => Math.max(4, Math.round(size / 8) * 4);

/**
 * Whether the packed kernel copies blocks of A into 4-row slivers first: only Aᵀ, whose rows are
 * columns in memory; rows of a row-major A are read in place (copying them costs more than it saves).
 */
const slivers = (transposeA: boolean, m: number) => transposeA && m >= 32;

/**
 * Whether two threads split a packed product by rows (each packing all of B) rather than by
 * panels of columns: for products taller than wide, where a few panels would split unevenly and
 * packing B twice costs little beside half the rows.
 */
const splitsRows = (m: number, n: number) => m >= 64 && m > n;

/**
 * Floats of scratch a product needs: packed B (twice when split by rows) and one sliver block of
 * A per thread; or alpha·B per thread for gemmAcc; or the second K range's sum.
 */
export function matMulScratch(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, accumulate: boolean): number {
  const skipping = Math.max(0, ...skippableSides(m, n, k, transposeA, transposeB, accumulate).map((side) => side.floats));
  if (packed(m, n, k, transposeA, transposeB, accumulate)) {
    const packedB = Math.ceil(n / PANEL) * PANEL * k;
    return Math.max(skipping, (splitsRows(m, n) && m * n * k >= SPLIT_MACS ? 2 * packedB : packedB) + 2 * MB * KB);
  }
  if (splitsK(m, n, k, transposeB, accumulate)) return m * n;
  return Math.max(skipping, accumulate && !transposeB ? 2 * scaledB(k, n) : 0);
}

/**
 * The operands whose zeros a product may skip (matMulDriver's zeroSkipping), with what that
 * takes: `rows` × k of the operand listed by rows, each row a sum over B' = k × `width` floats.
 *   A: C = op(A)·op(B), op(A)'s rows listed; B' = op(B) (a Bᵀ copied into the scratch first).
 *   B: Cᵀ = op(B)ᵀ·op(A)ᵀ, op(B)'s columns listed; B' = op(A)ᵀ (an A copied transposed first),
 *      and C goes through a transposed copy in the scratch.
 * Only where the dense kernel sums each K block in order from zero (gemmPacked, gemm), so that
 * skipping the zeros gives its bits: not gemmNT's dot products, not the two K ranges.
 */
export function skippableSides(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, accumulate: boolean, density: (width: number) => number = densityLimit) {
  if (!packed(m, n, k, transposeA, transposeB, accumulate) && (transposeB || splitsK(m, n, k, transposeB, accumulate))) return [];
  const round4 = (x: number) => Math.ceil(x / 4) * 4;
  const sides = [
    { side: 'A' as const, rows: m, width: n, copy: transposeB ? k * n : 0, transposedC: 0 },
    { side: 'B' as const, rows: n, width: m, copy: transposeA ? 0 : k * m, transposedC: m * n },
  ];
  // Two lists, one per thread, each with room for all of the nonzeros; then the job (JOB).
  return sides
    .filter((s) => density(s.width) > 0)
    .map((s) => ({ ...s, layout: sparseLayout(s.rows, k, density(s.width)) }))
    .map((s) => {
      const [copyAt, transposedAt] = [2 * s.layout.floats, 2 * s.layout.floats + round4(s.copy)];
      const jobAt = transposedAt + round4(s.transposedC);
      return { ...s, copyAt, transposedAt, jobAt, floats: jobAt + round4(JOB.INTS) };
    });
}

/**
 * The largest share of nonzeros in the operand whose zeros a product skips, when each of its rows
 * is a sum over `n` columns (of B for A's zeros, of op(A)ᵀ for B's).
 * gemmSparse spends about 2–3x a dense product's time per multiply-add (a chain of them per
 * nonzero, where the dense tiles reuse each load four times) and lists the nonzeros first.
 * `npm run bench:sparse` (zeros at random) finds the two paths level at about 45% nonzeros for
 * W2's products (N = 800), and the skipping path slower at any density for the convolutions'
 * products (N = 20, 40: a row's few nonzeros cannot pay for listing them); in W3's training
 * step (`npm run bench:profile`) it gains nothing at N = 100 either. Hence 30% from N = 128,
 * with room for the ±25% noise: MNIST's pixels (19% nonzero) under W2's first layer and W3's
 * pooled gradients (7% nonzero, over conv2's 500 taps) pass it; a ReLU layer's activations
 * (about half nonzero) do not.
 */
export function densityLimit(n: number): number {
  return n >= 128 ? 0.3 : 0;
}

/**
 * Where the zero-skipping path keeps an m×k operand's nonzeros in the scratch (byte offsets from
 * its start): row starts (m + 1 i32); the listing's cursors (m i32), where the product then
 * keeps each row's K block starts (m·⌈k/KB⌉ i32); and room for its entries up to `density`.
 */
export function sparseLayout(m: number, k: number, density: number) {
  const round4 = (x: number) => Math.ceil(x / 4) * 4;
  const capacity = Math.floor(density * m * k) + 4; // an entry past the last is written
  const [rows, cursor] = [0, 4 * round4(m + 1)];
  const entries = cursor + 4 * round4(m * Math.ceil(k / KB));
  return { rows, cursor, entries, capacity, floats: entries / 4 + 2 * capacity };
}

/** Floats of gemmAcc's copy of alpha·B. */
const scaledB = (k: number, n: number) => Math.ceil((k * n) / 4) * 4;

/**
 * The gemm tile with the fewest estimated cycles per step along K for an M×N product: each tile
 * of R rows × V vectors costs max(R·V multiply-adds, R + V loads) plus 3 for the loop, summed
 * over the full tiles and the edge tiles (fewer rows, fewer vectors) the shape leaves.
 */
export function gemmTile(m: number, n: number): GemmTile {
  const cost = ({ rows, vectors }: GemmTile) => {
    const rowTiles: [number, number][] = [];
    for (let r = rows, left = m; r >= 1; left %= r, r--) rowTiles.push([r, Math.floor(left / r)]);
    const rest = n % (4 * vectors);
    const strips: [number, number][] = [[vectors, Math.floor(n / (4 * vectors))], [Math.ceil(rest / 4), rest > 0 ? 1 : 0]];
    let total = 0;
    for (const [r, count] of rowTiles) for (const [v, times] of strips) total += count * times * (Math.max(r * v, r + v) + 3);
    return total;
  };
  return GEMM_TILES.reduce((best, tile) => (cost(tile) < cost(best) ? tile : best));
}

/** Strides in elements: A(r, p) at r·sar + p·sap and B(p, j) at p·sbr + j·sbc. */
const strides = (m: number, n: number, k: number, transposeA: boolean, transposeB: boolean) =>
  [transposeA ? 1 : k, transposeA ? m : 1, transposeB ? 1 : n, transposeB ? k : 1] as const;

export function matMulDriver(kernels: MatMulExports, threadHelper: Helper | null): (spec: MatMulSpec) => MatMulCall {
  const { gemmNT, packB, gemmPacked, gemmPackedAcc, add_11: add, countNonZero, sparseJob, transpose } = kernels;
  /** The dense packed product (packB, gemmPacked), split by panels or rows with a helper. */
  const packedProduct = ({ a, b, c, scratch, m, n, k, transposeA, transposeB, accumulate }: MatMulSpec, helper: Handoff | null): MatMulCall => {
    const [sar, sap, sbr, sbc] = strides(m, n, k, transposeA, transposeB);
    const packedB = 4 * Math.ceil(n / PANEL) * PANEL * k;
    const sliverBytes = 4 * MB * KB;
    if (helper && splitsRows(m, n)) {
      // This thread takes the first rows, the helper the rest; each packs all of B for itself.
      const h = half(m);
      const [bp2, ap1] = [scratch + packedB, scratch + 2 * packedB];
      const ap2 = ap1 + sliverBytes;
      const [a2, c2] = [a + 4 * h * sar, c + 4 * h * n];
      const [ownA, theirA] = slivers(transposeA, h) ? [ap1, ap2] : [0, 0];
      return (alpha = 1) => {
        helper.queue('packB', b, bp2, k, n, sbr, sbc);
        if (accumulate) helper.queue('gemmPackedAcc', a2, bp2, c2, m - h, n, k, sar, sap, n, theirA, alpha);
        else helper.queue('gemmPacked', a2, bp2, c2, m - h, n, k, sar, sap, n, theirA);
        helper.post();
        packB(b, scratch, k, n, sbr, sbc);
        if (accumulate) gemmPackedAcc(a, scratch, c, h, n, k, sar, sap, n, ownA, alpha);
        else gemmPacked(a, scratch, c, h, n, k, sar, sap, n, ownA);
        helper.finish();
      };
    }
    const ap1 = slivers(transposeA, m) ? scratch + packedB : 0;
    // This thread takes the first half of the panels, the helper the rest.
    const panels = Math.ceil(n / PANEL);
    const split = helper && panels >= 2 ? Math.ceil(panels / 2) * PANEL : n;
    const [bp, cp, ap2] = [scratch + 4 * split * k, c + 4 * split, ap1 && ap1 + sliverBytes];
    return (alpha = 1) => {
      if (split < n) {
        helper!.queue('packB', b + 4 * split * sbc, bp, k, n - split, sbr, sbc);
        if (accumulate) helper!.queue('gemmPackedAcc', a, bp, cp, m, n - split, k, sar, sap, n, ap2, alpha);
        else helper!.queue('gemmPacked', a, bp, cp, m, n - split, k, sar, sap, n, ap2);
        helper!.post();
      }
      packB(b, scratch, k, split, sbr, sbc);
      if (accumulate) gemmPackedAcc(a, scratch, c, m, split, k, sar, sap, n, ap1, alpha);
      else gemmPacked(a, scratch, c, m, split, k, sar, sap, n, ap1);
      if (split < n) helper!.finish();
    };
  };

  /**
   * Skips the zeros of op(A), or of op(B) by computing Cᵀ = op(B)ᵀ·op(A)ᵀ, when they pay: counts
   * them at each call (a pass over each operand, ~1% of a dense product, cut short once an
   * operand is past its limit or denser than the other) and, for the sparser
   * one below its density limit (skippableSides), lists its nonzeros by row and runs gemmSparse
   * over them, in chunks of rows that the two threads claim as they go (sparseProduct); else runs
   * `dense`. Either way the same bits.
   */
  const zeroSkipping = (spec: MatMulSpec, helper: Handoff | null, dense: MatMulCall): MatMulCall => {
    const { a, b, c, scratch, m, n, k, transposeA, transposeB, accumulate, skipZeros } = spec;
    const isPacked = packed(m, n, k, transposeA, transposeB, accumulate);
    const sides = skippableSides(m, n, k, transposeA, transposeB, accumulate, skipZeros === 'always' ? () => 1 : densityLimit);
    if (sides.length === 0) return dense;
    const [sar, sap, sbr, sbc] = strides(m, n, k, transposeA, transposeB);
    const name = accumulate ? 'sparseProductAcc' : 'sparseProduct';
    const product = kernels[name];
    const runs = sides.map((s) => {
      // the listed operand (its storage, and op's element (r, p) at r·rs + p·ps), and B' row-major
      const [listed, rs, ps] = s.side === 'A' ? [a, sar, sap] : [b, sbc, sbr];
      const [copy, transposed, job] = [scratch + 4 * s.copyAt, scratch + 4 * s.transposedAt, scratch + 4 * s.jobAt];
      const other = s.copy ? copy : s.side === 'A' ? b : a;
      const target = s.side === 'A' ? c : transposed;
      // With the helper, both threads claim chunks of rows until none is left, each listing a
      // chunk into lists of its own and summing it: a helper that starts late, or runs slower,
      // takes fewer. Without it, one chunk.
      const chunkRows = Math.ceil(s.rows / SPARSE_CHUNKS);
      const lists = [0, 1].flatMap((thread) => [s.layout.rows, s.layout.cursor, s.layout.entries].map((at) => scratch + 4 * thread * s.layout.floats + at));
      return {
        limit: s.layout.capacity - 4,
        size: s.rows * k,
        listed,
        run: (alpha: number) => {
          if (s.copy) (s.side === 'A' ? transpose(b, copy, n, k) : transpose(a, copy, m, k)); // Bᵀ stored n×k, A stored m×k
          if (s.transposedC && accumulate) transpose(c, transposed, m, n);
          const shared = helper !== null && helper.offers();
          sparseJob(job, shared ? chunkRows : s.rows, s.rows, listed, rs, ps, k, other, target, s.width, alpha, ...lists);
          if (shared) (helper.queue(name, job, 1), helper.post());
          product(job, 0);
          if (helper) helper.finish();
          if (s.transposedC) transpose(transposed, c, n, m);
        },
      };
    });
    // gemmAcc adds products of A and alpha·B: the same sums as C + alpha·(A·B) only for alpha = 1.
    const sameRounding = (alpha: number) => isPacked || !accumulate || alpha === 1;
    return (alpha = 1) => {
      let best: (typeof runs)[number] | undefined;
      let bestDensity = Infinity;
      if (sameRounding(alpha)) {
        for (const r of runs) {
          // counted only as far as it could still win: up to its limit and the best density so far
          const nonZero = countNonZero(r.listed, r.size, Math.min(r.limit, Math.ceil(bestDensity * r.size)))!;
          if (nonZero <= r.limit && nonZero / r.size < bestDensity) [best, bestDensity] = [r, nonZero / r.size];
        }
      }
      if (best) best.run(alpha);
      else dense(alpha);
    };
  };

  /** The dense product, by the kernel the shape takes. */
  const denseProduct = (spec: MatMulSpec, helper: Handoff | null): MatMulCall => {
    const { a, b, c, scratch, m, n, k, transposeA, transposeB, accumulate } = spec;
    const [sar, sap] = strides(m, n, k, transposeA, transposeB);
    if (packed(m, n, k, transposeA, transposeB, accumulate)) return packedProduct(spec, helper);
    if (splitsK(m, n, k, transposeB, accumulate)) {
      // C = A[:, :k0]·B[:k0, :] + (A[:, k0:]·B[k0:, :], the helper's or computed first)
      const k0 = half(k);
      const name = gemmName(gemmTile(m, n), false);
      const gemm = kernels[name];
      const [a2, b2] = [a + 4 * k0 * sap, b + 4 * k0 * n];
      return () => {
        if (helper) (helper.queue(name, a2, b2, scratch, m, n, k - k0, sar, sap), helper.post());
        else gemm(a2, b2, scratch, m, n, k - k0, sar, sap);
        gemm(a, b, c, m, n, k0, sar, sap);
        if (helper) helper.finish();
        add(c, scratch, c, 1, m * n, 0, 0);
      };
    }
    // Unpacked: split by rows of C, this thread the first ~half.
    const h = helper && m >= 5 ? half(m) : m;
    const [a2, c2] = [a + 4 * h * sar, c + 4 * h * n];
    if (transposeB) {
      return () => {
        if (h < m) (helper!.queue('gemmNT', a2, b, c2, m - h, n, k), helper!.post());
        gemmNT(a, b, c, h, n, k);
        if (h < m) helper!.finish();
      };
    }
    const [mine, theirs] = [gemmName(gemmTile(h, n), accumulate), gemmName(gemmTile(m - h, n), accumulate)];
    const gemm = kernels[mine];
    const scratch2 = scratch + 4 * scaledB(k, n); // the helper's copy of alpha·B
    return (alpha = 1) => {
      if (h < m) (helper!.queue(theirs, a2, b, c2, m - h, n, k, sar, sap, alpha, scratch2), helper!.post());
      gemm(a, b, c, h, n, k, sar, sap, alpha, scratch);
      if (h < m) helper!.finish();
    };
  };

  return (spec) => {
    const { m, n, k, transposeA, transposeB, accumulate, skipZeros = 'auto' } = spec;
    // Each split product has its own hand-off point: the helper runs the second half unless it is
    // late (then this thread does), and the product keeps it to itself while splits do not pay.
    const helper: Handoff | null = m * n * k >= SPLIT_MACS && threadHelper ? threadHelper.handoff() : null;
    const dense = denseProduct(spec, helper);
    return skipZeros === 'never' ? dense : zeroSkipping(spec, helper, dense);
  };
}

/** m, n, k of a node's product: op(a) is m×k (k is the other dimension of a). */
function dims({ inputShapes, outputShape: [m, n], attrs }: ShapeContext<MatMulAttrs>, a = 0): [number, number, number] {
  const sa = inputShapes[a];
  return [m, n, attrs.transposeA ? sa[0] : sa[1]];
}
const splits = (ctx: ShapeContext<MatMulAttrs>, a = 0) => dims(ctx, a).reduce((x, y) => x * y, 1) >= SPLIT_MACS;

registerKernel(matMul, 'wasm', {
  scratch: (ctx) => matMulScratch(...dims(ctx), ctx.attrs.transposeA, ctx.attrs.transposeB, false),
  parallel: (ctx) => splits(ctx),
  run: (ctx) => {
    const { inputs: [a, b], output, attrs: { transposeA, transposeB }, wasm, scratch } = ctx;
    const [m, n, k] = dims(ctx);
    return wasm.matMul({ a: a.byteOffset, b: b.byteOffset, c: output.byteOffset, scratch: scratch.byteOffset, m, n, k, transposeA, transposeB, accumulate: false });
  },
});

registerKernel(subScaledMatMul, 'wasm', {
  scratch: (ctx) => matMulScratch(...dims(ctx, 1), ctx.attrs.transposeA, ctx.attrs.transposeB, true),
  parallel: (ctx) => splits(ctx, 1),
  run: (ctx) => {
    const { inputs: [c, a, b, s], output, attrs: { transposeA, transposeB }, wasm, scratch } = ctx;
    const [m, n, k] = dims(ctx, 1);
    const inPlace = output.byteOffset === c.byteOffset && output.buffer === c.buffer;
    const update = wasm.matMul({ a: a.byteOffset, b: b.byteOffset, c: output.byteOffset, scratch: scratch.byteOffset, m, n, k, transposeA, transposeB, accumulate: true });
    return () => {
      if (!inPlace) output.set(c);
      update(-s[0]);
    };
  },
});

const plain = { transposeA: false, transposeB: false };

registerKernel(matMulBiasActivation, 'wasm', {
  scratch: (ctx) => matMulScratch(...dims({ ...ctx, attrs: plain }), false, false, false),
  parallel: (ctx) => splits({ ...ctx, attrs: plain }),
  run: (ctx) => {
    const { inputs: [x, w, b], output, attrs: { activation }, wasm, scratch } = ctx;
    const [m, n, k] = dims({ ...ctx, attrs: plain });
    const biasActivation = wasm.fused[`biasActivation_${activation}`];
    const [pb, po] = [b.byteOffset, output.byteOffset];
    const product = wasm.matMul({ a: x.byteOffset, b: w.byteOffset, c: po, scratch: scratch.byteOffset, m, n, k, transposeA: false, transposeB: false, accumulate: false });
    return () => {
      product();
      biasActivation(po, pb, m, n);
    };
  },
});