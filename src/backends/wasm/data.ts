/**
 * Kernels over data kept in the memory (a training set copied in once per `fit`):
 *
 *   gatherRows(src, indices, n, rowBytes, dst)   dst row b ← src row indices[b] (i32 indices), for
 *                                                b < n; one 64-byte line of every row at a time,
 *                                                so the rows' cache misses overlap
 *   firstNonFinite(src, n, out)                  i32 at out ← the index of the first NaN or ±∞
 *                                                among n floats, or −1
 *   im2col(images, cols, n, geometry)            the windows of n NHWC images into the rows of
 *                                                cols [n·oh·ow, kh·kw·inC] (zeros for padding);
 *                                                `geometry` points at 13 i32: h, w, inC, kh, kw,
 *                                                oh, ow, top, left, sh, sw, dh, dw
 *   col2im(…the same)                            its adjoint: the rows of cols added back into the
 *                                                images where they came from
 */
import { FunctionBuilder, i32, v128 } from './emit.ts';

export const dataKernelNames: readonly string[] = ['gatherRows', 'firstNonFinite', 'im2col', 'col2im'];

function gatherRowsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('gatherRows', [i32, i32, i32, i32, i32]);
  const [src, indices, n, rowBytes, dst] = [0, 1, 2, 3, 4].map((k) => f.param(k));
  const [c, b, from, to, bytes16] = Array.from({ length: 5 }, () => f.local(i32));
  f.get(rowBytes).i32(-16).i32And().set(bytes16);
  const rowAddresses = () => {
    f.get(src).get(indices).get(b).i32(2).i32Shl().i32Add().i32Load().get(rowBytes).i32Mul().i32Add().set(from);
    f.get(dst).get(b).get(rowBytes).i32Mul().i32Add().set(to);
  };
  f.forLoop(c, () => f.i32(0), () => f.get(bytes16), 64, () => {
    f.forLoop(b, () => f.i32(0), () => f.get(n), 1, () => {
      rowAddresses();
      f.get(from).get(c).i32Add().set(from);
      f.get(to).get(c).i32Add().set(to);
      f.get(to).get(from).v128Load().v128Store();
      for (let v = 1; v < 4; v++) {
        f.ifThen(
          () => f.get(c).i32(16 * v).i32Add().get(bytes16).i32LtS(),
          () => f.get(to).get(from).v128Load(16 * v).v128Store(16 * v),
        );
      }
    });
  });
  // The last 0–3 floats of each row.
  f.forLoop(b, () => f.i32(0), () => f.get(n), 1, () => {
    rowAddresses();
    f.forLoop(c, () => f.get(bytes16), () => f.get(rowBytes), 4, () => {
      f.get(to).get(c).i32Add().get(from).get(c).i32Add().f32Load().f32Store();
    });
  });
  return f;
}

function firstNonFiniteFunction(): FunctionBuilder {
  const f = new FunctionBuilder('firstNonFinite', [i32, i32, i32]);
  const [src, n, out] = [0, 1, 2].map((k) => f.param(k));
  const [i, n4, found, end, result] = Array.from({ length: 5 }, () => f.local(i32));
  const v = f.local(v128);
  f.get(n).i32(-4).i32And().set(n4);
  f.i32(-1).set(found);
  // x − x is 0 for a finite x and NaN for NaN and ±∞; NaN ≠ NaN.
  f.forLoop(i, () => f.i32(0), () => f.get(n4), 4, () => {
    f.ifThen(
      () => f.get(found).i32(0).i32LtS(),
      () => {
        f.get(src).get(i).i32(2).i32Shl().i32Add().v128Load().set(v);
        f.ifThen(
          () => f.get(v).get(v).simdOp(0xe5).tee(v).get(v).simdOp(0x42).simdOp(0x53),
          () => f.get(i).set(found),
        );
      },
    );
  });
  // The flagged group of four, or the last 1–3 floats, one at a time.
  f.i32(-1).set(result);
  f.get(found).get(n4).get(found).i32(0).i32GeS().select().set(i);
  f.get(found).i32(4).i32Add().get(n).get(found).i32(0).i32GeS().select().set(end);
  f.forLoop(i, () => f.get(i), () => f.get(end), 1, () => {
    f.ifThen(
      () => {
        f.get(result).i32(0).i32LtS();
        f.get(src).get(i).i32(2).i32Shl().i32Add().f32Load().get(src).get(i).i32(2).i32Shl().i32Add().f32Load().scalarOp(0x93);
        f.get(src).get(i).i32(2).i32Shl().i32Add().f32Load().get(src).get(i).i32(2).i32Shl().i32Add().f32Load().scalarOp(0x93);
        f.scalarOp(0x5c).i32And();
      },
      () => f.get(i).set(result),
    );
  });
  f.get(out).get(result).i32Store();
  return f;
}

/**
 * im2col (gather) or col2im (add back): one walk over every (window, row of the window) of an
 * image. A window row wholly inside the image with no dilation along it is kw·inC contiguous
 * floats, moved as one run; rows in the padding are zeros (or skipped); the others go tap by tap.
 * im2col moves runs of 4 floats or more as whole vectors, the last one overlapping the one
 * before, so it writes nothing outside cols (two threads may fill halves of one cols matrix).
 */
function windowsFunction(gather: boolean): FunctionBuilder {
  const f = new FunctionBuilder(gather ? 'im2col' : 'col2im', [i32, i32, i32, i32]);
  const [images, cols, n, geometry] = [0, 1, 2, 3].map((k) => f.param(k));
  const [h, w, inC, kh, kw, oh, ow, top, left, sh, sw, dh, dw] = Array.from({ length: 13 }, (_, k) => {
    const l = f.local(i32);
    f.get(geometry).i32Load(4 * k).set(l);
    return l;
  });
  const [b, image, imageBytes, r, q, i, j, y, x, at, from, k, last, run, run4, tap4, x0] = Array.from({ length: 17 }, () => f.local(i32));
  f.get(h).get(w).i32Mul().get(inC).i32Mul().i32(2).i32Shl().set(imageBytes);
  f.get(kw).get(inC).i32Mul().set(run);
  f.get(run).i32(-4).i32And().set(run4);
  f.get(inC).i32(-4).i32And().set(tap4);
  f.get(cols).set(at);
  const address = (base: typeof at) => f.get(base).get(k).i32(2).i32Shl().i32Add();
  /**
   * `vector()` at k = 0, 4, … and a last one at k = count − 4 (overlapping the one before), so a
   * run of count ≥ 4 floats takes whole vectors and never touches a float past it; `scalar()`
   * for each k of a shorter run.
   */
  const vectors = (count: typeof k, vector: () => void, scalar: () => void) =>
    f.ifElse(
      () => f.get(count).i32(4).i32GeS(),
      () => {
        f.get(count).i32(4).i32Sub().set(last);
        f.forLoop(k, () => f.i32(0), () => f.get(last), 4, vector);
        f.get(last).set(k);
        vector();
      },
      () => f.forLoop(k, () => f.i32(0), () => f.get(count), 1, scalar),
    );
  /** Moves `count` floats (vector part `count4`) between `from` in the image and `at` in cols. */
  const move = (count4: typeof k, count: typeof k) => {
    if (gather) {
      vectors(count, () => { address(at); address(from).v128Load().v128Store(); }, () => { address(at); address(from).f32Load().f32Store(); });
    } else {
      f.forLoop(k, () => f.i32(0), () => f.get(count4), 4, () => { address(from); address(from).v128Load(); address(at).v128Load().f32x4Add().v128Store(); });
      f.forLoop(k, () => f.get(count4), () => f.get(count), 1, () => { address(from); address(from).f32Load(); address(at).f32Load().f32Add().f32Store(); });
    }
  };
  const zeros = (count: typeof k) => vectors(count, () => { address(at); f.v128Zero().v128Store(); }, () => { address(at); f.f32Const(0).f32Store(); });
  const pixel = (px: typeof x) => f.get(image).get(y).get(w).i32Mul().get(px).i32Add().get(inC).i32Mul().i32(2).i32Shl().i32Add().set(from);
  // The rows of a window inside the image: y0 + i·dh for i < kh, all in [0, h) (y0 is the first).
  const [y0, rowStep, interior] = [f.local(i32), f.local(i32), f.local(i32)];
  f.get(dh).get(w).i32Mul().get(inC).i32Mul().i32(2).i32Shl().set(rowStep);
  f.forLoop(b, () => f.i32(0), () => f.get(n), 1, () => {
    f.get(images).get(b).get(imageBytes).i32Mul().i32Add().set(image);
    f.forLoop(r, () => f.i32(0), () => f.get(oh), 1, () => {
      f.get(r).get(sh).i32Mul().get(top).i32Sub().set(y0);
      f.forLoop(q, () => f.i32(0), () => f.get(ow), 1, () => {
        f.get(q).get(sw).i32Mul().get(left).i32Sub().set(x0);
        const wholeRun = () => f.get(dw).i32(1).i32Eq().get(x0).i32(0).i32GeS().i32And().get(x0).get(kw).i32Add().get(w).i32(1).i32Add().i32LtS().i32And();
        // A window wholly inside the image, without dilation along its rows: kh runs of kw·inC
        // floats, dh rows apart, moved with no test (most windows of a valid or same convolution).
        f.get(y0).i32(0).i32GeS().get(y0).get(kh).i32(1).i32Sub().get(dh).i32Mul().i32Add().get(h).i32LtS().i32And();
        wholeRun();
        f.i32And().set(interior);
        f.ifElse(
          () => f.get(interior),
          () => {
            f.get(y0).set(y);
            pixel(x0);
            const eachRow = (body: () => void) =>
              f.forLoop(i, () => f.i32(0), () => f.get(kh), 1, () => {
                body();
                f.get(at).get(run).i32(2).i32Shl().i32Add().set(at);
                f.get(from).get(rowStep).i32Add().set(from);
              });
            if (gather) {
              // runs of 4–8 floats (a 5x5 window of one channel): two vectors, the second overlapping
              f.get(run).i32(4).i32Sub().i32(2).i32Shl().set(last);
              f.ifElse(
                () => f.get(run).i32(4).i32GeS().get(run).i32(9).i32LtS().i32And(),
                () => eachRow(() => {
                  f.get(at).get(from).v128Load().v128Store();
                  f.get(at).get(last).i32Add().get(from).get(last).i32Add().v128Load().v128Store();
                }),
                () => eachRow(() => move(run4, run)),
              );
            } else eachRow(() => move(run4, run));
          },
          () =>
            f.forLoop(i, () => f.i32(0), () => f.get(kh), 1, () => {
              f.get(y0).get(i).get(dh).i32Mul().i32Add().set(y);
              const rowInside = () => f.get(y).i32(0).i32GeS().get(y).get(h).i32LtS().i32And();
              const tapByTap = () =>
                f.forLoop(j, () => f.i32(0), () => f.get(kw), 1, () => {
                  f.get(x0).get(j).get(dw).i32Mul().i32Add().set(x);
                  const inside = () => f.get(x).i32(0).i32GeS().get(x).get(w).i32LtS().i32And();
                  if (gather) f.ifElse(inside, () => (pixel(x), move(tap4, inC)), () => zeros(inC));
                  else f.ifThen(inside, () => (pixel(x), move(tap4, inC)));
                  f.get(at).get(inC).i32(2).i32Shl().i32Add().set(at);
                });
              f.ifElse(
                rowInside,
                () =>
                  f.ifElse(
                    wholeRun,
                    () => {
                      pixel(x0);
                      move(run4, run);
                      f.get(at).get(run).i32(2).i32Shl().i32Add().set(at);
                    },
                    tapByTap,
                  ),
                () => {
                  if (gather) zeros(run);
                  f.get(at).get(run).i32(2).i32Shl().i32Add().set(at);
                },
              );
            }),
        );
      });
    });
  });
  return f;
}

export function dataFunctions(): FunctionBuilder[] {
  return [gatherRowsFunction(), firstNonFiniteFunction(), windowsFunction(true), windowsFunction(false)];
}
