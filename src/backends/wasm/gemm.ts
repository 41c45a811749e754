/**
 * The unpacked float32 matmul kernels, read straight from A and B in memory (see matmul.ts for
 * the whole set):
 *
 * - `gemm3x3`, `gemm2x4` (a, b, c, M, N, K, sar, sap): C[M×N] = Σ_p A(r,p)·B[p,:] where A(r,p) is
 *   at element r·sar + p·sap, straight from memory, in register tiles of 3×12 or 2×16. A·B is
 *   sar = K, sap = 1; Aᵀ·B (A stored K×M) is sar = 1, sap = M.
 * - `gemmNT(a, b, c, M, N, K)`: C = A·Bᵀ with A M×K and B N×K, as dot products vectorised
 *   along K in 4×2 tiles, summed across lanes at the end.
 * Pointers and sizes are byte addresses and element counts in the shared memory.
 */
import { f32, FunctionBuilder, i32, v128, type Local, type ValueType } from './emit.ts';
import { cWriter, KB, madd, MB, type MatMulOptions } from './matmul-shared.ts';

/** gemm's register tiles (rows × vectors of 4 columns): the driver picks one per shape. */
export const GEMM_TILES = [
  { rows: 3, vectors: 3 },
  { rows: 2, vectors: 4 },
] as const;
export type GemmTile = (typeof GEMM_TILES)[number];

/** The export name of gemm (or gemmAcc) with a tile: `gemm3x3`. */
export const gemmName = (tile: GemmTile, accumulate: boolean) => `${accumulate ? 'gemmAcc' : 'gemm'}${tile.rows}x${tile.vectors}`;

/**
 * `gemm3x3(a, b, c, M, N, K, sar, sap)` (and the other tiles): C = op(A)·B straight from A and
 * row-major B, no packing. Register tiles of R rows × 4V columns (R·V accumulators, A broadcast,
 * B's row segment loaded as V vectors), in strips of 4V columns over row tiles; the last 1–(4V−1)
 * columns take a tile of just enough vectors, whose last vector stores only its columns (lane
 * stores; its loads may read up to 3 floats past B, inside Memory's slack). The last rows take
 * tiles of fewer rows. Two tiles, because each fits some shapes best (the rows and columns it
 * leaves to smaller tiles): matmul-driver.ts's cost model (`gemmTile`) picks one per shape.
 * Wider tiles spill registers.
 *
 * `accumulate`: the function is `gemmAcc3x3(…, alpha, scaled)` and adds alpha·(the product) to C
 * instead of storing it: a parameter update W ← W − η·Xᵀ·Δ in one pass; `scaled` is scratch for
 * alpha·B (⌈K·N/4⌉·4 floats).
 */
export function gemmFunction({ fma, accumulate = false, tile: shape }: MatMulOptions & { accumulate?: boolean; tile: GemmTile }): FunctionBuilder {
  const params: ValueType[] = [i32, i32, i32, i32, i32, i32, i32, i32];
  if (accumulate) params.push(f32, i32);
  const f = new FunctionBuilder(gemmName(shape, accumulate), params);
  const { rows: tileRows, vectors: tileVectors } = shape;
  const [a, b, c, M, N, K, sar, sap] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => f.param(k));
  const [i, j, p, pa, pb, rowA, stepA, rowB, NW, kb, kLen, aK, bK, add, ib, mEnd, cRow, last] = Array.from({ length: 18 }, () => f.local(i32));
  const x = f.local(v128);
  const bv = Array.from({ length: tileVectors }, () => f.local(v128));
  const acc = Array.from({ length: tileRows }, () => bv.map(() => f.local(v128)));
  // C ← C + acc in every K block of gemmAcc, and in K blocks after the first of gemm
  const { store, storeFirst } = cWriter(f, fma, accumulate, null, add);
  const width = 4 * tileVectors;

  if (accumulate) {
    // gemmAcc(…, alpha, scaled): B·alpha first goes to `scaled` (⌈K·N/4⌉·4 floats), so the tiles
    // add their sums into C as they are: K·N multiplies instead of M·N in the stores.
    const [alpha, scaled] = [f.param(8), f.param(9)];
    const alphaV = f.local(v128);
    f.get(alpha).f32x4Splat().set(alphaV);
    f.forLoop(p, () => f.i32(0), () => f.get(K).get(N).i32Mul().i32(2).i32Shl(), 16, () => {
      f.get(scaled).get(p).i32Add();
      f.get(b).get(p).i32Add().v128Load().get(alphaV).f32x4Mul();
      f.v128Store();
    });
    f.get(scaled).set(b);
  }

  // Byte strides, r·rowA for each row of a tile, and the columns in whole strips.
  f.get(sar).i32(2).i32Shl().set(rowA);
  const rowAx: Local[] = [rowA, rowA];
  for (let r = 2; r < tileRows; r++) rowAx.push(f.local(i32));
  for (let r = 2; r < tileRows; r++) f.get(rowA).i32(r).i32Mul().set(rowAx[r]);
  f.get(sap).i32(2).i32Shl().set(stepA);
  f.get(N).i32(2).i32Shl().set(rowB);
  f.get(N).get(N).i32(width).i32RemU().i32Sub().set(NW);
  // Lanes of the last vector of the last strip: 1–4.
  f.get(N).get(NW).i32Sub().i32(1).i32Sub().i32(3).i32And().i32(1).i32Add().set(last);

  /**
   * R-row tiles of V vectors over rows [i0, i1) and columns [j0, j1) in strips of 4V columns, so
   * a strip of the current K block of B stays in cache while every row tile uses it. `masked`:
   * one strip whose last vector stores `last` lanes.
   */
  const tile = (R: number, V: number, i0: () => void, i1: () => void, j0: () => void, j1: () => void, masked: boolean) => {
    f.forLoop(j, j0, j1, 4 * V, () => {
      f.forLoop(i, i0, i1, R, () => {
        for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) f.v128Zero().set(acc[r][v]);
        // pa = aK + 4·i·sar, pb = bK + 4·j
        f.get(aK).get(i).get(rowA).i32Mul().i32Add().set(pa);
        f.get(bK).get(j).i32(2).i32Shl().i32Add().set(pb);
        // One step along K: B's row segment, then each row's A value broadcast and multiplied in.
        f.forLoop(p, () => f.i32(0), () => f.get(kLen), 1, () => {
          for (let v = 0; v < V; v++) f.get(pb).v128Load(16 * v).set(bv[v]);
          for (let r = 0; r < R; r++) {
            f.get(pa);
            if (r > 0) f.get(rowAx[r]).i32Add();
            f.v128Load32Splat().set(x);
            for (let v = 0; v < V; v++) madd(f, acc[r][v], x, bv[v], fma);
          }
          f.get(pa).get(stepA).i32Add().set(pa);
          f.get(pb).get(rowB).i32Add().set(pb);
        });
        // Store: c + 4·((i + r)·N + j)
        for (let r = 0; r < R; r++) {
          f.get(c).get(i).i32(r).i32Add().get(N).i32Mul().get(j).i32Add().i32(2).i32Shl().i32Add().set(cRow);
          for (let v = 0; v < V - 1; v++) store(cRow, 16 * v, acc[r][v]);
          if (masked) storeFirst(cRow, 16 * (V - 1), acc[r][V - 1], last);
          else store(cRow, 16 * (V - 1), acc[r][V - 1]);
        }
      });
    });
  };

  const at = (l: Local) => () => f.get(l);
  const zero = () => f.i32(0);
  // K in blocks of KB rows of B, each block added into C after the first.
  f.forLoop(kb, zero, at(K), KB, () => {
    f.i32(KB).get(K).get(kb).i32Sub().get(K).get(kb).i32Sub().i32(KB).i32GtS().select().set(kLen); // min(KB, K − kb)
    f.get(a).get(kb).get(stepA).i32Mul().i32Add().set(aK);
    f.get(b).get(kb).get(rowB).i32Mul().i32Add().set(bK);
    f.get(kb).i32(0).i32GtS().set(add);
    // Rows in blocks of MB, so the block's rows of A (MB × KB floats) stay in L2 while every
    // column strip passes over them.
    f.forLoop(ib, zero, at(M), MB, () => {
      f.get(M).get(ib).i32(MB).i32Add().get(ib).i32(MB).i32Add().get(M).i32GtS().select().set(mEnd); // min(ib + MB, M)
      // Full row tiles, then tiles of the 1–2 rows left; each over the whole strips, then the rest.
      let from = at(ib);
      for (let R = tileRows; R >= 1; R--) {
        const until = f.local(i32);
        // until = mEnd − (mEnd − from) mod R
        f.get(mEnd).get(mEnd);
        from();
        f.i32Sub().i32(R).i32RemU().i32Sub().set(until);
        tile(R, tileVectors, from, at(until), zero, at(NW), false);
        // The last 1–(4V−1) columns: a strip of just enough vectors.
        const rest = (V: number): void => {
          if (V === tileVectors) return void tile(R, V, from, at(until), at(NW), at(N), true);
          f.ifElse(() => f.get(N).get(NW).i32Sub().i32(4 * V + 1).i32LtS(), () => tile(R, V, from, at(until), at(NW), at(N), true), () => rest(V + 1));
        };
        rest(1);
        from = at(until);
      }
    });
  });
  return f;
}

export function gemmNTFunction({ fma }: MatMulOptions): FunctionBuilder {
  const f = new FunctionBuilder('gemmNT', [i32, i32, i32, i32, i32, i32]);
  const [a, b, c, M, N, K] = [0, 1, 2, 3, 4, 5].map((k) => f.param(k));
  const [i, j, kb, k, row, K4b, M4, N2] = Array.from({ length: 8 }, () => f.local(i32));
  const pa = Array.from({ length: 4 }, () => f.local(i32));
  const pb = [f.local(i32), f.local(i32)];
  const av = Array.from({ length: 4 }, () => f.local(v128));
  const bv = [f.local(v128), f.local(v128)];
  const acc = Array.from({ length: 4 }, () => [f.local(v128), f.local(v128)]);
  const sum = f.local(f32);

  f.get(K).i32(2).i32Shl().set(row); // bytes per row of A and of B
  f.get(K).i32(-4).i32And().i32(2).i32Shl().set(K4b);
  f.get(M).i32(-4).i32And().set(M4);
  f.get(N).i32(-2).i32And().set(N2);

  const tile = (R: number, S: number, i0: () => void, i1: () => void, j0: () => void, j1: () => void) => {
    f.forLoop(i, i0, i1, R, () => {
      for (let r = 0; r < R; r++) f.get(a).get(i).i32(r).i32Add().get(row).i32Mul().i32Add().set(pa[r]);
      f.forLoop(j, j0, j1, S, () => {
        for (let s = 0; s < S; s++) f.get(b).get(j).i32(s).i32Add().get(row).i32Mul().i32Add().set(pb[s]);
        for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) f.v128Zero().set(acc[r][s]);
        f.forLoop(kb, () => f.i32(0), () => f.get(K4b), 16, () => {
          for (let s = 0; s < S; s++) f.get(pb[s]).get(kb).i32Add().v128Load().set(bv[s]);
          for (let r = 0; r < R; r++) {
            f.get(pa[r]).get(kb).i32Add().v128Load().set(av[r]);
            for (let s = 0; s < S; s++) madd(f, acc[r][s], av[r], bv[s], fma);
          }
        });
        for (let r = 0; r < R; r++) {
          for (let s = 0; s < S; s++) {
            // Lanes summed, then the K % 4 tail in scalar.
            f.get(acc[r][s]).f32x4ExtractLane(0).get(acc[r][s]).f32x4ExtractLane(1).f32Add();
            f.get(acc[r][s]).f32x4ExtractLane(2).f32Add().get(acc[r][s]).f32x4ExtractLane(3).f32Add().set(sum);
            f.forLoop(k, () => f.get(K4b), () => f.get(row), 4, () => {
              f.get(pa[r]).get(k).i32Add().f32Load().get(pb[s]).get(k).i32Add().f32Load().f32Mul().get(sum).f32Add().set(sum);
            });
            f.get(c).get(i).i32(r).i32Add().get(N).i32Mul().get(j).i32Add().i32(s).i32Add().i32(2).i32Shl().i32Add();
            f.get(sum).f32Store();
          }
        }
      });
    });
  };

  const at = (l: Local) => () => f.get(l);
  const zero = () => f.i32(0);
  tile(4, 2, zero, at(M4), zero, at(N2));
  tile(4, 1, zero, at(M4), at(N2), at(N));
  tile(1, 2, at(M4), at(M), zero, at(N2));
  tile(1, 1, at(M4), at(M), at(N2), at(N));
  return f;
}
