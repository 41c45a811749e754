/**
 * What the float32 matmul kernels (gemm.ts, gemm-packed.ts) share: their options, the K and M
 * block sizes that keep operands in cache (also used by matmul-driver.ts for scratch sizes), the
 * multiply-add on locals, and `cWriter`, the stores of a product into C.
 */
import { FunctionBuilder, v128, type Local } from './emit.ts';

export interface MatMulOptions {
  /** Use f32x4.relaxed_madd (fused multiply-add) instead of a multiply and an add. */
  fma: boolean;
}

/** Rows of B per K block: a strip of 8 columns of a block is 8 KiB, kept in L1 across row tiles. */
export const KB = 256;
/** Rows of A per block (a multiple of 4): 64 × 256 floats of A, 64 KiB, kept in L2. */
export const MB = 64;

/** acc ← acc + x·y on v128 values already on hand as locals. */
export function madd(f: FunctionBuilder, acc: Local, x: Local, y: Local, fma: boolean): void {
  if (fma) f.get(x).get(y).get(acc).f32x4RelaxedMadd().set(acc);
  else f.get(x).get(y).f32x4Mul().get(acc).f32x4Add().set(acc);
}

/**
 * How a kernel writes a vector of its product into C: stored, or with `accumulate` (and in K
 * blocks after the first, where `add` is set) added as C + alpha·value, or C + value where
 * `alpha` is null (the kernel scaled an operand instead).
 */
export function cWriter(f: FunctionBuilder, fma: boolean, accumulate: boolean, alpha: Local | null, add: Local) {
  const alphaV = f.local(v128);
  const part = f.local(v128);
  if (alpha !== null) f.get(alpha).f32x4Splat().set(alphaV);
  /** Leaves value·alpha + (what `base` leaves) on the stack. */
  const scaled = (value: Local, base: () => void) => {
    f.get(value);
    if (alpha === null) (base(), f.f32x4Add());
    else if (fma) (f.get(alphaV), base(), f.f32x4RelaxedMadd());
    else (f.get(alphaV).f32x4Mul(), base(), f.f32x4Add());
  };
  /** Stores with `add` (or always, when accumulating) C + alpha·value, else value, via `put`. */
  const write = (value: Local, load: () => void, put: (v: Local) => void) => {
    const addInto = () => {
      scaled(value, load);
      f.set(part);
      put(part);
    };
    if (accumulate) addInto();
    else f.ifElse(() => f.get(add), addInto, () => put(value));
  };
  const store = (address: Local, offset: number, value: Local) =>
    write(value, () => f.get(address).v128Load(offset), (v) => f.get(address).get(v).v128Store(offset));
  /** The first n (1–3) lanes, read and written with lane loads and stores. */
  const storeLanes = (address: Local, offset: number, value: Local, n: number) => {
    const load = () => {
      if (n === 1) f.get(address).v128Load32Zero(offset);
      else f.get(address).v128Load64Zero(offset);
      if (n === 3) f.set(part).get(address).get(part).v128Load32Lane(offset + 8, 2);
    };
    const put = (v: Local) => {
      if (n >= 2) f.get(address).get(v).v128Store64Lane(offset, 0);
      if (n === 1) f.get(address).get(v).v128Store32Lane(offset, 0);
      if (n === 3) f.get(address).get(v).v128Store32Lane(offset + 8, 2);
    };
    write(value, load, put);
  };
  return {
    store,
    /** The first `count` (1–4, a local) lanes of `value` to address + offset. */
    storeFirst(address: Local, offset: number, value: Local, count: Local) {
      f.ifElse(
        () => f.get(count).i32(3).i32GtS(),
        () => store(address, offset, value),
        () =>
          f.ifElse(
            () => f.get(count).i32(3).i32Eq(),
            () => storeLanes(address, offset, value, 3),
            () =>
              f.ifElse(
                () => f.get(count).i32(2).i32Eq(),
                () => storeLanes(address, offset, value, 2),
                () => storeLanes(address, offset, value, 1),
              ),
          ),
      );
    },
  };
}
