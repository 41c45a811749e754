/**
 * Zero-skipping products: C (+)= op(A)·B for an op(A) with many exact zeros (MNIST's pixels are
 * about 81% zeros, a ReLU zeroes about half of a layer, a max pool's gradient three-quarters),
 * which dense BLAS multiplies anyway. matmul-driver.ts counts the zeros at run time and takes
 * this path only where they pay, for op(A) or, as Cᵀ = op(B)ᵀ·op(A)ᵀ, for op(B).
 *
 *   countNonZero(src, n, cap) → i32           the floats among n at src that are not ±0 (NaN counts),
 *                                             or, once past `cap`, some count above it
 *   sparseRows(a, M, K, sar, sap, rows, cursor, entries, rowBytes)
 *                                             op(A)'s nonzeros row by row (CSR): rows[r]..rows[r+1]
 *                                             (i32) index entries of (i32 p·rowBytes, f32 A(r, p)),
 *                                             p rising: the byte offset of B's row p, so that the
 *                                             product's inner loop needs no multiply
 *   gemmSparse(rows, blocks, entries, b, c, N, K, ldc, r0, r1)
 *                                             rows r0..r1−1 of C = op(A)·B, B row-major K×N (rows
 *                                             listed with rowBytes = 4N); `blocks` is room for
 *                                             (r1 − r0)·⌈K/256⌉ i32, where each row's K blocks start
 *   gemmSparseAcc(…, alpha)                   C ← C + alpha·op(A)·B
 *   transpose(src, dst, rows, cols)           dst ← srcᵀ (for the operands and C of the other forms)
 *
 * Bit-identical to gemmPacked and gemm on finite inputs: each K block of KB (the same blocks) is summed
 * from zero in rising p with the same multiply-add, and written into C the same way (cWriter).
 * A skipped term is 0·B(p, j), which adds +0 or −0 to a sum that is never −0 (it starts at +0,
 * and x + y is −0 only when both are): no bit changes. Only a NaN or ±∞ in B would have made
 * NaN out of a skipped zero.
 */
import { f32, FunctionBuilder, i32, v128, type Local, type ValueType } from './emit.ts';
import { cWriter, KB, madd, type MatMulOptions } from './matmul-shared.ts';

/** The SIMD opcodes used here beyond emit.ts's named ones. */
const F32X4_NE = 0x42;
const V128_ANY_TRUE = 0x53;
const I32X4_SUB = 0xb1;
const F32_NE = 0x5c;

/** Vectors of C per register tile (28 columns): 7 accumulators, 7 rows of B and A's value fill the 15 registers V8 gives SIMD code; more spill. */
const TILE = 7;
/** Columns of C per pass over the rows (4 tiles): B's slice, K × 112 floats (351 KB for K = 784), stays in L2. */
const GROUP = 112;

/** Floats counted between checks against countNonZero's cap. */
const COUNT_CHUNK = 1024;

function countNonZeroFunction(): FunctionBuilder {
  const f = new FunctionBuilder('countNonZero', [i32, i32, i32], [i32]);
  const [src, n, cap] = [f.param(0), f.param(1), f.param(2)];
  const [i, chunk, chunkEnd, n4, total] = Array.from({ length: 5 }, () => f.local(i32));
  const counts = f.local(v128);
  const at = () => f.get(src).get(i).i32(2).i32Shl().i32Add();
  f.get(n).i32(-4).i32And().set(n4);
  // A lane of f32x4.ne is −1 where true: subtracting it counts. (Loops over indices, not
  // addresses: the loops compare signed, and a memory may pass 2 GiB.) Chunk by chunk, stopping
  // once the count passes the cap (the loop's bound becomes the chunk where it did).
  f.forLoop(chunk, () => f.i32(0), () => (f.get(chunk).get(n4).get(total).get(cap).i32GtS(), f.select()), COUNT_CHUNK, () => {
    f.get(chunk).i32(COUNT_CHUNK).i32Add().get(n4).get(chunk).i32(COUNT_CHUNK).i32Add().get(n4).i32LtS().select().set(chunkEnd);
    f.forLoop(i, () => f.get(chunk), () => f.get(chunkEnd), 4, () => {
      f.get(counts);
      at().v128Load().v128Zero().simdOp(F32X4_NE).simdOp(I32X4_SUB).set(counts);
    });
    f.i32(0).set(total);
    for (let lane = 0; lane < 4; lane++) {
      f.get(total).get(counts).i32x4ExtractLane(lane).i32Add().set(total);
    }
  });
  f.ifThen(
    () => f.get(total).get(cap).i32GtS().i32Eqz(),
    () =>
      f.forLoop(i, () => f.get(n4), () => f.get(n), 1, () => {
        f.get(total);
        at().f32Load().f32Const(0).scalarOp(F32_NE).i32Add().set(total);
      }),
  );
  f.get(total);
  return f;
}

/**
 * sparseRows: op(A)(r, p) at r·sar + p·sap. Rows of op(A) contiguous (sap = 1): one pass,
 * writing every float of a group of four that holds a nonzero and advancing past the nonzeros
 * only (so `entries` needs room for one more than it keeps). Otherwise (Aᵀ, sar = 1: stored
 * K rows of M) a count per row, a running sum into `rows`, and a pass that appends each nonzero
 * to its row's list at `cursor` (M i32). Groups of four zeros are passed over with one test.
 */
function sparseRowsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('sparseRows', [i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [a, M, K, sar, sap, rows, cursor, entries, rowBytes] = Array.from({ length: 9 }, (_, k) => f.param(k));
  const [r, p, src, ep, K4, M4, total, count, at] = Array.from({ length: 9 }, () => f.local(i32));
  const v = f.local(v128);
  const value = f.local(f32);
  const nonZero = () => f.get(v).v128Zero().simdOp(F32X4_NE).simdOp(V128_ANY_TRUE);
  f.get(K).i32(-4).i32And().set(K4);
  f.get(M).i32(-4).i32And().set(M4);
  f.get(entries).set(ep);
  const rowAt = (l: Local) => f.get(rows).get(l).i32(2).i32Shl().i32Add();
  const cursorAt = (l: Local) => f.get(cursor).get(l).i32(2).i32Shl().i32Add();

  /** The entry ((p + lane)·rowBytes, value) at ep, kept (ep advanced) if value ≠ 0. */
  const appendAt = (index: () => void) => {
    f.get(ep);
    index();
    f.get(rowBytes).i32Mul().i32Store(0);
    f.get(ep).get(value).f32Store(4);
    f.get(ep).get(value).f32Const(0).scalarOp(F32_NE).i32(3).i32Shl().i32Add().set(ep);
  };
  /** Appends (p·rowBytes, value) to row `row`'s list if value ≠ 0. */
  const appendTo = (row: () => void) =>
    f.ifThen(
      () => f.get(value).f32Const(0).scalarOp(F32_NE),
      () => {
        row();
        f.set(at);
        cursorAt(at).i32Load().set(count);
        f.get(entries).get(count).i32(3).i32Shl().i32Add().tee(ep).get(p).get(rowBytes).i32Mul().i32Store(0);
        f.get(ep).get(value).f32Store(4);
        cursorAt(at).get(count).i32(1).i32Add().i32Store();
      },
    );

  f.ifElse(
    () => f.get(sap).i32(1).i32Eq(),
    () => {
      f.forLoop(r, () => f.i32(0), () => f.get(M), 1, () => {
        rowAt(r).get(ep).get(entries).i32Sub().i32(3).i32ShrU().i32Store();
        f.get(a).get(r).get(sar).i32Mul().i32(2).i32Shl().i32Add().set(src);
        f.forLoop(p, () => f.i32(0), () => f.get(K4), 4, () => {
          f.get(src).get(p).i32(2).i32Shl().i32Add().v128Load().set(v);
          f.ifThen(nonZero, () => {
            for (let lane = 0; lane < 4; lane++) {
              f.get(v).f32x4ExtractLane(lane).set(value);
              appendAt(() => f.get(p).i32(lane).i32Add());
            }
          });
        });
        f.forLoop(p, () => f.get(K4), () => f.get(K), 1, () => {
          f.get(src).get(p).i32(2).i32Shl().i32Add().f32Load().set(value);
          appendAt(() => f.get(p));
        });
      });
      rowAt(M).get(ep).get(entries).i32Sub().i32(3).i32ShrU().i32Store();
    },
    () => {
      // Count each row's nonzeros (in rows), four rows at a time.
      f.forLoop(r, () => f.i32(0), () => f.get(M).i32(1).i32Add(), 1, () => rowAt(r).i32(0).i32Store());
      f.forLoop(p, () => f.i32(0), () => f.get(K), 1, () => {
        f.get(a).get(p).get(sap).i32Mul().i32(2).i32Shl().i32Add().set(src);
        f.forLoop(r, () => f.i32(0), () => f.get(M4), 4, () => {
          rowAt(r);
          rowAt(r).v128Load().get(src).get(r).i32(2).i32Shl().i32Add().v128Load().v128Zero().simdOp(F32X4_NE).simdOp(I32X4_SUB);
          f.v128Store();
        });
        f.forLoop(r, () => f.get(M4), () => f.get(M), 1, () => {
          rowAt(r);
          rowAt(r).i32Load().get(src).get(r).i32(2).i32Shl().i32Add().f32Load().f32Const(0).scalarOp(F32_NE).i32Add();
          f.i32Store();
        });
      });
      // Counts into starts; each row's cursor at its start.
      f.i32(0).set(total);
      f.forLoop(r, () => f.i32(0), () => f.get(M), 1, () => {
        rowAt(r).i32Load().set(count);
        rowAt(r).get(total).i32Store();
        cursorAt(r).get(total).i32Store();
        f.get(total).get(count).i32Add().set(total);
      });
      rowAt(M).get(total).i32Store();
      // Each nonzero to its row's list, in rising p.
      f.forLoop(p, () => f.i32(0), () => f.get(K), 1, () => {
        f.get(a).get(p).get(sap).i32Mul().i32(2).i32Shl().i32Add().set(src);
        f.forLoop(r, () => f.i32(0), () => f.get(M4), 4, () => {
          f.get(src).get(r).i32(2).i32Shl().i32Add().v128Load().set(v);
          f.ifThen(nonZero, () => {
            for (let lane = 0; lane < 4; lane++) {
              f.get(v).f32x4ExtractLane(lane).set(value);
              appendTo(() => f.get(r).i32(lane).i32Add());
            }
          });
        });
        f.forLoop(r, () => f.get(M4), () => f.get(M), 1, () => {
          f.get(src).get(r).i32(2).i32Shl().i32Add().f32Load().set(value);
          appendTo(() => f.get(r));
        });
      });
    },
  );
  return f;
}

/**
 * gemmSparse(Acc): for each group of GROUP columns of C (so that its slice of B, K × GROUP
 * floats, stays in cache across the rows), each row r0 ≤ r < r1 and each K block, register
 * tiles of up to TILE vectors, each summing B's rows at the block's nonzeros of row r. The last
 * tile of a row may be narrower (its last vector masked to the columns < N); its loads may read
 * up to 3 floats past a row of B (the next row, or the memory's slack after B).
 */
function gemmSparseFunction({ fma, accumulate = false }: MatMulOptions & { accumulate?: boolean }): FunctionBuilder {
  const params: ValueType[] = [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32];
  if (accumulate) params.push(f32);
  const f = new FunctionBuilder(accumulate ? 'gemmSparseAcc' : 'gemmSparse', params);
  const [rows, blocks, entries, b, c, N, K, ldc, r0, r1] = Array.from({ length: 10 }, (_, k) => f.param(k));
  const alpha = f.param(10); // only read when accumulating
  const negative = f.local(i32); // alpha's sign bit
  if (accumulate) f.get(alpha).scalarOp(0xbc).i32(31).i32ShrU().set(negative); // i32.reinterpret_f32
  const [r, kb, e, eEnd, eb, ee, ei, ep, j, jg, jEnd, NT, rem, last, lanes, rowBytes, bCol, pb, cRow, add, blockEnd, bp] = Array.from({ length: 22 }, () => f.local(i32));
  const x = f.local(v128);
  const bv = f.local(v128);
  const acc = Array.from({ length: TILE }, () => f.local(v128));
  const { store, storeFirst } = cWriter(f, fma, accumulate, accumulate ? alpha : null, add);
  const width = 4 * TILE;
  f.get(N).i32(2).i32Shl().set(rowBytes);
  f.get(N).get(N).i32(width).i32RemU().i32Sub().set(NT);
  f.get(N).get(NT).i32Sub().set(rem);
  const entryAt = (l: Local) => () => f.get(entries).get(l).i32(3).i32Shl().i32Add();

  /** The entry at ep + offset into the V accumulators. */
  const step = (V: number, offset: number) => {
    f.get(ep).v128Load32Splat(offset + 4).set(x);
    f.get(bCol).get(ep).i32Load(offset).i32Add().set(pb); // B's row p at column j
    for (let t = 0; t < V; t++) {
      f.get(pb).v128Load(16 * t).set(bv);
      madd(f, acc[t], x, bv, fma);
    }
  };
  /** A tile of V vectors at column j over the block's entries [eb, ee); the last vector masked to `lanes`. */
  const tile = (V: number, masked: boolean) => {
    for (let t = 0; t < V; t++) f.v128Zero().set(acc[t]);
    f.get(b).get(j).i32(2).i32Shl().i32Add().set(bCol);
    // one entry a turn: V8 loads two entries' rows of B before their multiply-adds, and spills
    f.forLoop(ei, () => f.get(eb), () => f.get(ee), 1, () => (entryAt(ei)().set(ep), step(V, 0)));
    f.get(c).get(r).get(ldc).i32Mul().get(j).i32Add().i32(2).i32Shl().i32Add().set(cRow);
    for (let t = 0; t < V; t++) {
      if (masked && t === V - 1) storeFirst(cRow, 16 * t, acc[t], lanes);
      else store(cRow, 16 * t, acc[t]);
    }
  };

  // Where each row's K blocks start (block b of row r at blocks[(r − r0)·⌈K/KB⌉ + b]), found once
  // here rather than for each group of columns: the entries with p < kb + KB, compared as byte
  // offsets (unsigned: B may pass 2 GiB).
  f.get(blocks).set(bp);
  f.forLoop(r, () => f.get(r0), () => f.get(r1), 1, () => {
    f.get(rows).get(r).i32(2).i32Shl().i32Add().i32Load().set(e);
    f.get(rows).get(r).i32(2).i32Shl().i32Add().i32Load(4).set(eEnd);
    f.forLoop(kb, () => f.i32(0), () => f.get(K), KB, () => {
      f.get(bp).get(e).i32Store();
      f.get(bp).i32(4).i32Add().set(bp);
      f.get(kb).i32(KB).i32Add().get(K).get(kb).i32(KB).i32Add().get(K).i32LtS().select().get(rowBytes).i32Mul().set(blockEnd);
      const past = () => entryAt(e)().i32Load().get(blockEnd).i32GeU();
      f.forLoop(e, () => f.get(e), () => (f.get(e).get(eEnd), past(), f.select()), 1, () => {});
    });
  });

  f.forLoop(jg, () => f.i32(0), () => f.get(N), GROUP, () => {
    // full tiles up to jEnd = min(jg + GROUP, NT); the last group also takes the narrower tile
    f.get(jg).i32(GROUP).i32Add().get(NT).get(jg).i32(GROUP).i32Add().get(NT).i32LtS().select().set(jEnd);
    f.get(rem).i32(0).get(jg).i32(GROUP).i32Add().get(N).i32GeS().select().set(last);
    f.get(last).i32(3).i32And().set(lanes);
    f.get(blocks).set(bp);
    f.forLoop(r, () => f.get(r0), () => f.get(r1), 1, () => {
      f.get(rows).get(r).i32(2).i32Shl().i32Add().i32Load(4).set(eEnd);
      f.forLoop(kb, () => f.i32(0), () => f.get(K), KB, () => {
        f.get(kb).i32(0).i32GtS().set(add);
        // the block's entries [eb, ee): to the next block's start, or the row's end
        f.get(bp).i32Load().set(eb);
        f.get(bp).i32Load(4).get(eEnd).get(kb).i32(KB).i32Add().get(K).i32LtS().select().set(ee);
        f.get(bp).i32(4).i32Add().set(bp);
        // A block without entries adds +0 to C, or alpha·(+0) = −0 (alpha < 0): neither changes
        // C (never −0 after a first block; any C for −0), so it is passed over.
        const passed = () => f.get(eb).get(ee).i32Eq().get(accumulate ? negative : add).i32And();
        f.ifThen(
          () => passed().i32Eqz(),
          () => {
            f.forLoop(j, () => f.get(jg), () => f.get(jEnd), width, () => tile(TILE, false));
            f.ifThen(
              () => f.get(last),
              () => {
                f.get(NT).set(j);
                for (let V = 1; V <= TILE; V++) {
                  f.ifThen(
                    () => f.get(last).i32(3).i32Add().i32(2).i32ShrU().i32(V).i32Eq(),
                    () => f.ifElse(() => f.get(lanes), () => tile(V, true), () => tile(V, false)),
                  );
                }
              },
            );
          },
        );
      });
    });
  });
  return f;
}

/** Pointers per thread's lists in a job: row starts, block starts, entries. */
const LIST_INTS = 3;

/**
 * The fields of a zero-skipping product's job (i32 each, alpha an f32), which sparseProduct(Acc)
 * reads: its rows of op(A) come in chunks, which the threads claim one at a time (CLAIMED, an
 * atomic counter) until none is left; each thread lists a chunk's nonzeros into lists of its own
 * (LISTS: rows, blocks and entries for thread 0, then for thread 1) and sums them into C.
 */
export const JOB = {
  CLAIMED: 0,
  CHUNKS: 1,
  CHUNK_ROWS: 2,
  M: 3,
  A: 4,
  SAR: 5,
  SAP: 6,
  K: 7,
  B: 8,
  C: 9,
  N: 10,
  ALPHA: 11,
  /** Each thread's lists (LIST_INTS pointers: rows, blocks, entries), thread 0's first. */
  LISTS: 12,
  /** Chunks run by the calls for thread 0 and for thread 1 (for tests and measurements). */
  RUN: 18,
  INTS: 20,
} as const;

/**
 * sparseJob(job, chunkRows, M, a, sar, sap, K, b, c, N, alpha, rows0, blocks0, entries0, rows1,
 * blocks1, entries1): writes a job (JOB) of ⌈M/chunkRows⌉ chunks, none claimed yet.
 */
function sparseJobFunction(): FunctionBuilder {
  const fields = ['CHUNK_ROWS', 'M', 'A', 'SAR', 'SAP', 'K', 'B', 'C', 'N', 'ALPHA'] as const;
  const params: ValueType[] = [i32, ...fields.map((name): ValueType => (name === 'ALPHA' ? f32 : i32)), i32, i32, i32, i32, i32, i32];
  const f = new FunctionBuilder('sparseJob', params);
  const job = f.param(0);
  fields.forEach((name, k) => (name === 'ALPHA' ? f.get(job).get(f.param(k + 1)).f32Store(4 * JOB[name]) : f.get(job).get(f.param(k + 1)).i32Store(4 * JOB[name])));
  for (let k = 0; k < 2 * LIST_INTS; k++) f.get(job).get(f.param(fields.length + 1 + k)).i32Store(4 * (JOB.LISTS + k));
  const [chunkRows, M] = [f.param(1), f.param(2)];
  f.get(job).get(M).get(chunkRows).i32Add().i32(1).i32Sub().get(chunkRows).i32DivU().i32Store(4 * JOB.CHUNKS);
  for (const field of [JOB.CLAIMED, JOB.RUN, JOB.RUN + 1]) f.get(job).i32(0).i32Store(4 * field);
  return f;
}

/**
 * sparseProduct(Acc)(job, thread): claims chunks of rows of `job` (see JOB) until none is left,
 * each listed with sparseRows and summed with gemmSparse(Acc) in thread `thread`'s lists, and
 * counted in its RUN field. Either thread may run any chunk, and a chunk's rows get the same bits
 * on either: the work goes to whichever thread is free, and the result does not depend on which.
 */
function sparseProductFunction(accumulate: boolean): FunctionBuilder {
  const f = new FunctionBuilder(accumulate ? 'sparseProductAcc' : 'sparseProduct', [i32, i32]);
  const [job, thread] = [f.param(0), f.param(1)];
  const [chunk, r0, r1, lists, run] = Array.from({ length: 5 }, () => f.local(i32));
  const field = (name: keyof typeof JOB) => f.get(job).i32Load(4 * JOB[name]);
  const list = (k: number) => f.get(lists).i32Load(4 * k);
  f.get(job).get(thread).i32(4 * LIST_INTS).i32Mul().i32Add().i32(4 * JOB.LISTS).i32Add().set(lists);
  f.get(job).get(thread).i32(2).i32Shl().i32Add().i32(4 * JOB.RUN).i32Add().set(run);
  f.whileLoop(
    () => {
      f.get(job).i32(1).i32AtomicAdd(4 * JOB.CLAIMED).set(chunk);
      f.get(chunk);
      field('CHUNKS');
      f.i32LtS();
    },
    () => {
      f.get(chunk);
      field('CHUNK_ROWS');
      f.i32Mul().tee(r0);
      field('CHUNK_ROWS');
      f.i32Add().set(r1);
      f.get(r1);
      field('M');
      f.get(r1);
      field('M');
      f.i32LtS().select().set(r1);
      // sparseRows(op(A)'s row r0, r1 − r0, K, sar, sap, rows, blocks, entries, 4N)
      field('A');
      f.get(r0);
      field('SAR');
      f.i32Mul().i32(2).i32Shl().i32Add();
      f.get(r1).get(r0).i32Sub();
      field('K');
      field('SAR');
      field('SAP');
      list(0);
      list(1);
      list(2);
      field('N');
      f.i32(2).i32Shl();
      f.call('sparseRows');
      // gemmSparse(rows from row r0 on, blocks, entries, B, C, N, K, ldc = N, r0, r1[, alpha])
      list(0);
      f.get(r0).i32(2).i32Shl().i32Sub();
      list(1);
      list(2);
      field('B');
      field('C');
      field('N');
      field('K');
      field('N');
      f.get(r0).get(r1);
      if (accumulate) f.get(job).f32Load(4 * JOB.ALPHA);
      f.call(accumulate ? 'gemmSparseAcc' : 'gemmSparse');
      f.get(run).get(run).i32Load().i32(1).i32Add().i32Store();
    },
  );
  return f;
}

/** transpose(src, dst, rows, cols): dst (cols × rows) ← srcᵀ, src rows × cols, row-major. */
function transposeFunction(): FunctionBuilder {
  const f = new FunctionBuilder('transpose', [i32, i32, i32, i32]);
  const [src, dst, rows, cols] = [0, 1, 2, 3].map((k) => f.param(k));
  const [i, j, from, to, ib, iEnd] = Array.from({ length: 6 }, () => f.local(i32));
  // 16 rows at a time: their stretch of each column is written as one run of dst
  f.forLoop(ib, () => f.i32(0), () => f.get(rows), 16, () => {
    f.get(ib).i32(16).i32Add().get(rows).get(ib).i32(16).i32Add().get(rows).i32LtS().select().set(iEnd);
    f.forLoop(j, () => f.i32(0), () => f.get(cols), 1, () => {
      f.get(dst).get(j).get(rows).i32Mul().get(ib).i32Add().i32(2).i32Shl().i32Add().set(to);
      f.get(src).get(ib).get(cols).i32Mul().get(j).i32Add().i32(2).i32Shl().i32Add().set(from);
      f.forLoop(i, () => f.get(ib), () => f.get(iEnd), 1, () => {
        f.get(to).get(from).f32Load().f32Store();
        f.get(to).i32(4).i32Add().set(to);
        f.get(from).get(cols).i32(2).i32Shl().i32Add().set(from);
      });
    });
  });
  return f;
}

/** The zero-skipping kernels, in the order the module exports them. */
export function sparseFunctions(fma: boolean): FunctionBuilder[] {
  return [
    countNonZeroFunction(),
    sparseRowsFunction(),
    gemmSparseFunction({ fma }),
    gemmSparseFunction({ fma, accumulate: true }),
    sparseJobFunction(),
    sparseProductFunction(false),
    sparseProductFunction(true),
    transposeFunction(),
  ];
}
