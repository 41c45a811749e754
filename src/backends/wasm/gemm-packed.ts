/**
 * The packed float32 matmul kernels, for the large products (see matmul.ts for the whole set):
 * `packB` and `gemmPacked`: B copied into 8-column panels and A into 4-row slivers first, so
 * every form reads both contiguously. Pointers and sizes are byte addresses and element counts
 * in the shared memory.
 */
import { f32, FunctionBuilder, i32, v128, type Local, type ValueType } from './emit.ts';
import { cWriter, KB, madd, MB, type MatMulOptions } from './matmul-shared.ts';

/** Columns per panel of packed B: one 4×8 register tile wide. */
export const PANEL = 8;

/**
 * `packB(b, out, K, N, sbr, sbc)`: B(p, j), at element p·sbr + j·sbc, into panels of 8 columns,
 * panel q holding rows p = 0..K−1 of columns 8q..8q+7 contiguously ([⌈N/8⌉][K][8]), columns
 * past N as zeros. Row-major B (sbc = 1) is copied 8 floats at a time; any other layout (Bᵀ
 * stored N×K: sbr = 1, sbc = K) is gathered element by element along its rows. Row-major reads
 * may go up to 7 floats past B (inside Memory's slack); those lanes are cleared.
 */
export function packBFunction(): FunctionBuilder {
  const f = new FunctionBuilder('packB', [i32, i32, i32, i32, i32, i32]);
  const [b, out, K, N, sbr, sbc] = [0, 1, 2, 3, 4, 5].map((k) => f.param(k));
  const [q, p, t, src, dst, N8, rowB, colB, rem] = Array.from({ length: 9 }, () => f.local(i32));
  const mask = [f.local(v128), f.local(v128)];
  f.get(N).i32(-8).i32And().set(N8);
  f.get(sbr).i32(2).i32Shl().set(rowB);
  f.get(sbc).i32(2).i32Shl().set(colB);
  f.get(out).set(dst);
  // Full panels.
  f.forLoop(q, () => f.i32(0), () => f.get(N8), 8, () => {
    f.get(b).get(q).get(colB).i32Mul().i32Add().set(src);
    f.ifElse(
      () => f.get(sbc).i32(1).i32Eq(),
      () =>
        f.forLoop(p, () => f.i32(0), () => f.get(K), 1, () => {
          f.get(dst).get(src).v128Load(0).v128Store(0);
          f.get(dst).get(src).v128Load(16).v128Store(16);
          f.get(src).get(rowB).i32Add().set(src);
          f.get(dst).i32(32).i32Add().set(dst);
        }),
      () =>
        f.forLoop(p, () => f.i32(0), () => f.get(K), 1, () => {
          for (let lane = 0; lane < 8; lane++) {
            f.get(dst).get(src);
            if (lane > 0) f.get(colB).i32(lane).i32Mul().i32Add();
            f.f32Load().f32Store(4 * lane);
          }
          f.get(src).get(rowB).i32Add().set(src);
          f.get(dst).i32(32).i32Add().set(dst);
        }),
    );
  });
  // The last, partial panel: its columns, then zeros.
  f.get(N).get(N8).i32Sub().set(rem);
  f.ifThen(
    () => f.get(rem),
    () => {
      f.get(b).get(N8).get(colB).i32Mul().i32Add().set(src);
      f.ifElse(
        () => f.get(sbc).i32(1).i32Eq(),
        () => {
          // Eight floats per row, those past N cleared by lane masks (the loads past a row stay
          // inside the memory's slack after the last one).
          f.i32x4Const([0, 1, 2, 3]).get(rem).simdOp(0x11).simdOp(0x39).set(mask[0]);
          f.i32x4Const([4, 5, 6, 7]).get(rem).simdOp(0x11).simdOp(0x39).set(mask[1]);
          f.forLoop(p, () => f.i32(0), () => f.get(K), 1, () => {
            for (let v = 0; v < 2; v++) f.get(dst).get(src).v128Load(16 * v).get(mask[v]).simdOp(0x4e).v128Store(16 * v);
            f.get(src).get(rowB).i32Add().set(src);
            f.get(dst).i32(32).i32Add().set(dst);
          });
        },
        () =>
          f.forLoop(p, () => f.i32(0), () => f.get(K), 1, () => {
            f.get(dst).v128Zero().v128Store(0);
            f.get(dst).v128Zero().v128Store(16);
            f.forLoop(t, () => f.i32(0), () => f.get(rem), 1, () => {
              f.get(dst).get(t).i32(2).i32Shl().i32Add();
              f.get(src).get(t).get(colB).i32Mul().i32Add().f32Load();
              f.f32Store();
            });
            f.get(src).get(rowB).i32Add().set(src);
            f.get(dst).i32(32).i32Add().set(dst);
          }),
      );
    },
  );
  return f;
}

/**
 * `gemmPacked(a, bp, c, M, N, K, sar, sap, ldc, ap)`: C[r, j] (at r·ldc + j) = Σ_p A(r,p)·B(p,j),
 * A(r,p) at r·sar + p·sap and B packed by packB. Register tiles of 4 rows × one panel (8
 * columns: two vectors, A broadcast); the last panel stores only its columns < N. `ldc` lets a
 * thread compute a range of panels straight into the columns of a wider C.
 *
 * With `ap` ≠ 0 (scratch of 4·⌈MB/4⌉·KB floats), each block of A is first copied into slivers of
 * 4 rows, contiguous along K, zero-padded: the tiles then read 16 consecutive bytes per step
 * instead of 4 rows far apart (what Aᵀ·B, whose rows of A are columns in memory, needs).
 * Otherwise the edge rows go through 2- and 1-row tiles.
 * `accumulate`: `gemmPackedAcc(…, alpha)` adds alpha·product into C.
 */
export function gemmPackedFunction({ fma, accumulate = false }: MatMulOptions & { accumulate?: boolean }): FunctionBuilder {
  const params: ValueType[] = [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32];
  if (accumulate) params.push(f32);
  const f = new FunctionBuilder(accumulate ? 'gemmPackedAcc' : 'gemmPacked', params);
  const [a, bp, c, M, N, K, sar, sap, ldc, ap] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => f.param(k));
  const alpha = f.param(10); // only read when accumulating
  const [i, q, p, s, t, pa, pb, src, rowA, stepA, rowC, N8, kb, kLen, aK, bK, add, ib, mEnd, rem, cRow, i4, i2] = Array.from({ length: 23 }, () => f.local(i32));
  const x = f.local(v128);
  const bv = [f.local(v128), f.local(v128)];
  const acc = Array.from({ length: 4 }, () => [f.local(v128), f.local(v128)]);
  const { store, storeFirst } = cWriter(f, fma, accumulate, accumulate ? alpha : null, add);
  const remHi = f.local(i32); // columns of the last panel's second vector

  f.get(sar).i32(2).i32Shl().set(rowA);
  const rowAx = [rowA, rowA, f.local(i32), f.local(i32)];
  f.get(rowA).i32(2).i32Mul().set(rowAx[2]);
  f.get(rowA).i32(3).i32Mul().set(rowAx[3]);
  f.get(sap).i32(2).i32Shl().set(stepA);
  f.get(ldc).i32(2).i32Shl().set(rowC);
  f.get(N).i32(-8).i32And().set(N8);
  f.get(N).get(N8).i32Sub().set(rem);
  f.get(rem).i32(4).i32Sub().set(remHi);

  /**
   * R-row tiles for rows [i0, i1) over panels [q0, q1) (column indices, steps of 8). `slivers`:
   * A from the packed block (rows 16 bytes apart, 16 bytes per step), stores only of rows < mEnd.
   * `masked`: the last panel, storing columns < N.
   */
  const tile = (R: number, slivers: boolean, i0: () => void, i1: () => void, q0: () => void, q1: () => void, masked: boolean) => {
    f.forLoop(q, q0, q1, 8, () => {
      f.forLoop(i, i0, i1, R, () => {
        for (let r = 0; r < R; r++) for (let v = 0; v < 2; v++) f.v128Zero().set(acc[r][v]);
        if (slivers) f.get(ap).get(i).get(ib).i32Sub().get(kLen).i32Mul().i32(2).i32Shl().i32Add().set(pa);
        else f.get(aK).get(i).get(rowA).i32Mul().i32Add().set(pa);
        // panel q/8 of the K block at bK + (q/8)·(K·32 bytes)
        f.get(bK).get(q).get(K).i32Mul().i32(2).i32Shl().i32Add().set(pb);
        f.forLoop(p, () => f.i32(0), () => f.get(kLen), 1, () => {
          f.get(pb).v128Load(0).set(bv[0]);
          f.get(pb).v128Load(16).set(bv[1]);
          for (let r = 0; r < R; r++) {
            if (slivers) f.get(pa).v128Load32Splat(4 * r).set(x);
            else {
              f.get(pa);
              if (r > 0) f.get(rowAx[r]).i32Add();
              f.v128Load32Splat().set(x);
            }
            for (let v = 0; v < 2; v++) madd(f, acc[r][v], x, bv[v], fma);
          }
          if (slivers) f.get(pa).i32(16).i32Add().set(pa);
          else f.get(pa).get(stepA).i32Add().set(pa);
          f.get(pb).i32(32).i32Add().set(pb);
        });
        for (let r = 0; r < R; r++) {
          const storeRow = () => {
            f.get(c).get(i).i32(r).i32Add().get(rowC).i32Mul().i32Add().get(q).i32(2).i32Shl().i32Add().set(cRow);
            if (!masked) {
              for (let v = 0; v < 2; v++) store(cRow, 16 * v, acc[r][v]);
            } else {
              f.ifElse(
                () => f.get(rem).i32(4).i32GtS(),
                () => {
                  store(cRow, 0, acc[r][0]);
                  storeFirst(cRow, 16, acc[r][1], remHi);
                },
                () => storeFirst(cRow, 0, acc[r][0], rem),
              );
            }
          };
          if (slivers && r > 0) f.ifThen(() => f.get(mEnd).get(i).i32(r).i32Add().i32GtS(), storeRow);
          else storeRow();
        }
      });
    });
  };

  /** Copies rows [ib, mEnd) × K block of A into slivers at ap, rows past mEnd as zeros. */
  const packA = () => {
    f.get(ap).set(pb);
    f.forLoop(s, () => f.get(ib), () => f.get(mEnd), 4, () => {
      f.get(aK).get(s).get(rowA).i32Mul().i32Add().set(src);
      f.ifElse(
        () => f.get(sar).i32(1).i32Eq().get(mEnd).get(s).i32Sub().i32(3).i32GtS().i32And(),
        () =>
          f.forLoop(p, () => f.i32(0), () => f.get(kLen), 1, () => {
            f.get(pb).get(src).v128Load().v128Store();
            f.get(src).get(stepA).i32Add().set(src);
            f.get(pb).i32(16).i32Add().set(pb);
          }),
        () =>
          f.forLoop(p, () => f.i32(0), () => f.get(kLen), 1, () => {
            f.get(pb).v128Zero().v128Store();
            f.forLoop(t, () => f.i32(0), () => f.get(mEnd).get(s).i32Sub().i32(4).get(mEnd).get(s).i32Sub().i32(4).i32LtS().select(), 1, () => {
              f.get(pb).get(t).i32(2).i32Shl().i32Add();
              f.get(src).get(t).get(rowA).i32Mul().i32Add().f32Load();
              f.f32Store();
            });
            f.get(src).get(stepA).i32Add().set(src);
            f.get(pb).i32(16).i32Add().set(pb);
          }),
      );
    });
  };

  const at = (l: Local) => () => f.get(l);
  const zero = () => f.i32(0);
  f.forLoop(kb, zero, at(K), KB, () => {
    f.i32(KB).get(K).get(kb).i32Sub().get(K).get(kb).i32Sub().i32(KB).i32GtS().select().set(kLen);
    f.get(a).get(kb).get(stepA).i32Mul().i32Add().set(aK);
    f.get(bp).get(kb).i32(32).i32Mul().i32Add().set(bK);
    f.get(kb).i32(0).i32GtS().set(add);
    f.forLoop(ib, zero, at(M), MB, () => {
      f.get(M).get(ib).i32(MB).i32Add().get(ib).i32(MB).i32Add().get(M).i32GtS().select().set(mEnd);
      f.ifElse(
        () => f.get(ap),
        () => {
          packA();
          // 4-row tiles over the rows rounded up to 4 (the padding rows are zeros, not stored)
          f.get(mEnd).get(ib).i32Sub().i32(3).i32Add().i32(-4).i32And().get(ib).i32Add().set(i4);
          tile(4, true, at(ib), at(i4), zero, at(N8), false);
          tile(4, true, at(ib), at(i4), at(N8), at(N), true);
        },
        () => {
          f.get(mEnd).get(ib).i32Sub().i32(-4).i32And().get(ib).i32Add().set(i4);
          f.get(mEnd).get(ib).i32Sub().i32(-2).i32And().get(ib).i32Add().set(i2);
          for (const [R, rows0, rows1] of [
            [4, at(ib), at(i4)],
            [2, at(i4), at(i2)],
            [1, at(i2), at(mEnd)],
          ] as const) {
            tile(R, false, rows0, rows1, zero, at(N8), false);
            tile(R, false, rows0, rows1, at(N8), at(N), true);
          }
        },
      );
    });
  });
  return f;
}
