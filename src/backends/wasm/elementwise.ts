/**
 * Elementwise float32 kernels as WebAssembly SIMD128, four lanes at a time with a scalar tail.
 *
 * Binary ops cover the broadcasting patterns that matter, as a grid of `rows` × `cols`:
 *   out[r·cols + j] = a[r·ars + j·ac] ∘ b[r·brs + j·bc]     with (ac, bc) ∈ {(1,1), (1,0), (0,1)}
 * which is equal shapes (rows = 1), a scalar on either side, a row vector added to every row
 * (brs = 0) and a column vector (bc = 0). Exported as `<op>_11`, `<op>_10`, `<op>_01` taking
 * (a, b, out, rows, cols, ars, brs): byte pointers, element counts and strides.
 * Unary ops are exported as `<op>` taking (x, out, n).
 */
import * as op from '../../ops/elementwise.ts';
import { axesOf, sum, type ReductionAttrs } from '../../ops/reduce.ts';
import { isSuffix } from '../js/indexing.ts';
import { block } from '../js/reduce.ts';
import { registerKernel, type ShapeContext } from '../registry.ts';
import { f32, FunctionBuilder, i32, v128, type Local } from './emit.ts';

// SIMD opcodes (after the 0xfd prefix) and the scalar instruction for the tail.
const binaryOps = {
  add: { simd: 0xe4, scalar: (f: FunctionBuilder) => f.f32Add() },
  sub: { simd: 0xe5, scalar: (f: FunctionBuilder) => f.scalarOp(0x93) },
  mul: { simd: 0xe6, scalar: (f: FunctionBuilder) => f.f32Mul() },
  div: { simd: 0xe7, scalar: (f: FunctionBuilder) => f.scalarOp(0x95) },
} as const;

export type BinaryOpName = keyof typeof binaryOps;
export const wasmBinaryOps = Object.keys(binaryOps) as BinaryOpName[];

const [F32X4_GT, F32X4_NE, F32X4_PMAX, V128_AND, V128_OR, V128_BITSELECT] = [0x44, 0x42, 0xeb, 0x4e, 0x50, 0x52];
const [F32_NE, F32_GT, F32_MAX, F32_COPYSIGN, F32_CONVERT_I32_U] = [0x5c, 0x5e, 0x97, 0x98, 0xb3];

/**
 * relu of the v128 on the stack, as the scalar f32.max(x, 0) gives it: NaN stays NaN, −0 becomes
 * +0. pmax(x, 0) = x < 0 ? 0 : x keeps NaN (one maxps; f32x4.max would be several), and + 0 turns
 * its −0 into +0. Not pmax(0, x), which turns NaN into 0.
 */
export function emitRelu(f: FunctionBuilder): void {
  f.v128Zero().simdOp(F32X4_PMAX).v128Zero().f32x4Add();
}

/**
 * step of the v128 on the stack (alpha 0), into a v128 scratch local's help: x > 0 ? 1 : 0, and
 * NaN stays NaN: the comparison's all-ones mask ANDed with 1.0, then ORed with the x ≠ x mask,
 * whose all-ones bits are a NaN.
 */
export function emitStep(f: FunctionBuilder, v: Local): void {
  f.tee(v).v128Zero().simdOp(F32X4_GT).f32Const(1).f32x4Splat().simdOp(V128_AND).get(v).get(v).simdOp(F32X4_NE).simdOp(V128_OR);
}

/** Emits code turning the value on the stack into the result, given v128 and f32 scratch locals. */
type UnaryEmit = (f: FunctionBuilder, v: Local, x: Local) => unknown;

/** Each unary op as vector code and scalar code. */
const unaryOps = {
  neg: { simd: (f: FunctionBuilder) => f.simdOp(0xe1), scalar: (f: FunctionBuilder) => f.scalarOp(0x8c) },
  abs: { simd: (f: FunctionBuilder) => f.simdOp(0xe0), scalar: (f: FunctionBuilder) => f.scalarOp(0x8b) },
  sqrt: { simd: (f: FunctionBuilder) => f.simdOp(0xe3), scalar: (f: FunctionBuilder) => f.scalarOp(0x91) },
  square: { simd: (f: FunctionBuilder, v: Local) => f.tee(v).get(v).simdOp(0xe6), scalar: (f: FunctionBuilder, _: Local, x: Local) => f.tee(x).get(x).f32Mul() },
  step: {
    simd: (f: FunctionBuilder, v: Local) => emitStep(f, v),
    scalar: (f: FunctionBuilder, _: Local, x: Local) => f.set(x).get(x).get(x).f32Const(0).scalarOp(F32_GT).scalarOp(F32_CONVERT_I32_U).get(x).get(x).scalarOp(F32_NE).select(),
  },
  relu: { simd: (f: FunctionBuilder) => emitRelu(f), scalar: (f: FunctionBuilder) => f.f32Const(0).scalarOp(F32_MAX) },
  // x / (1 + |x|), rounded twice (the sum, then the quotient) alike in the lanes and the tail;
  // ±∞ gives ±1, its limit, where the quotient would be ∞/∞ = NaN
  softsign: {
    simd: (f: FunctionBuilder, v: Local) =>
      f
        .tee(v).get(v).simdOp(0xe0).f32Const(1).f32x4Splat().f32x4Add().simdOp(0xe7)
        .get(v).f32Const(-0).f32x4Splat().simdOp(V128_AND).f32Const(1).f32x4Splat().simdOp(V128_OR) // copysign(1, x)
        .get(v).simdOp(0xe0).f32Const(Infinity).f32x4Splat().simdOp(F32X4_NE)
        .simdOp(V128_BITSELECT),
    scalar: (f: FunctionBuilder, _: Local, x: Local) =>
      f
        .tee(x).get(x).scalarOp(0x8b).f32Const(1).f32Add().scalarOp(0x95)
        .f32Const(1).get(x).scalarOp(F32_COPYSIGN)
        .get(x).scalarOp(0x8b).f32Const(Infinity).scalarOp(F32_NE)
        .select(),
  },
} satisfies Record<string, { simd: UnaryEmit; scalar: UnaryEmit }>;

/**
 * e^x of the v128 on the stack, four lanes: x clamped to [−87.3, 88.7], k = round(x·log2 e),
 * r = x − k·ln 2 (in two parts), e^r by its degree-6 Taylor polynomial, times 2^k built in the
 * exponent bits; 0 below −87.3 (where float32 e^x is 0 or subnormal). Relative error about 2e-7.
 */
export function emitExp(f: FunctionBuilder, t: Local, k: Local, x: Local): void {
  f.tee(x);
  f.f32Const(88.7).f32x4Splat().simdOp(0xe8); // min
  f.f32Const(-87.3).f32x4Splat().simdOp(0xe9); // max
  f.set(t);
  f.get(t).f32Const(Math.LOG2E).f32x4Splat().f32x4Mul().simdOp(0x6a).set(k); // nearest
  // r = x − k·ln2_hi − k·ln2_lo
  f.get(t).get(k).f32Const(0.693359375).f32x4Splat().f32x4Mul().simdOp(0xe5);
  f.get(k).f32Const(-2.12194440e-4).f32x4Splat().f32x4Mul().simdOp(0xe5).set(t);
  // Horner: ((((((r/720 + 1/120) r + 1/24) r + 1/6) r + 1/2) r + 1) r + 1
  f.f32Const(1 / 720).f32x4Splat();
  for (const c of [1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1]) f.get(t).f32x4Mul().f32Const(c).f32x4Splat().f32x4Add();
  // 2^k: (int(k) + 127) << 23 as float bits
  f.get(k).simdOp(0xf8).i32(127).simdOp(0x11).simdOp(0xae).i32(23).simdOp(0xab);
  f.f32x4Mul();
  f.get(x).f32Const(-87.3).f32x4Splat().simdOp(0x43).simdOp(0x4f); // andnot(result, x < −87.3)
}

/** 1 / (1 + e^−x) of the v128 on the stack, with emitExp's scratch locals. */
export function emitSigmoid(f: FunctionBuilder, t: Local, k: Local, x: Local): void {
  f.simdOp(0xe1);
  emitExp(f, t, k, x);
  f.f32Const(1).f32x4Splat().f32x4Add().set(t);
  f.f32Const(1).f32x4Splat().get(t).simdOp(0xe7);
}

/** Ops whose float32 kernel needs e^x: the vector code, given three scratch v128 locals. */
const expOps = { exp: emitExp, sigmoid: emitSigmoid } as const;

export type UnaryOpName = keyof typeof unaryOps | keyof typeof expOps;
export const wasmUnaryOps = [...Object.keys(unaryOps), ...Object.keys(expOps)] as UnaryOpName[];

function binaryFunction(name: BinaryOpName, ac: 0 | 1, bc: 0 | 1): FunctionBuilder {
  const f = new FunctionBuilder(`${name}_${ac}${bc}`, [i32, i32, i32, i32, i32, i32, i32]);
  const [a, b, out, rows, cols, ars, brs] = [0, 1, 2, 3, 4, 5, 6].map((k) => f.param(k));
  const [r, j, pa, pb, po, cols4] = Array.from({ length: 6 }, () => f.local(i32));
  const va = f.local(v128);
  const vb = f.local(v128);
  const op = binaryOps[name];
  f.get(cols).i32(-4).i32And().set(cols4);
  f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    f.get(a).get(r).get(ars).i32Mul().i32(2).i32Shl().i32Add().set(pa);
    f.get(b).get(r).get(brs).i32Mul().i32(2).i32Shl().i32Add().set(pb);
    f.get(out).get(r).get(cols).i32Mul().i32(2).i32Shl().i32Add().set(po);
    // A side that does not move along the row is one number, splatted once per row.
    if (ac === 0) f.get(pa).v128Load32Splat().set(va);
    if (bc === 0) f.get(pb).v128Load32Splat().set(vb);
    // The address of element j of a side: base + 4j if it moves along the row, else base.
    const element = (moves: 0 | 1, base: Local) => (moves ? f.get(base).get(j).i32(2).i32Shl().i32Add() : f.get(base));
    f.forLoop(j, () => f.i32(0), () => f.get(cols4), 4, () => {
      f.get(po).get(j).i32(2).i32Shl().i32Add();
      if (ac) element(1, pa).v128Load();
      else f.get(va);
      if (bc) element(1, pb).v128Load();
      else f.get(vb);
      f.simdOp(op.simd).v128Store();
    });
    f.forLoop(j, () => f.get(cols4), () => f.get(cols), 1, () => {
      f.get(po).get(j).i32(2).i32Shl().i32Add();
      element(ac, pa).f32Load();
      element(bc, pb).f32Load();
      op.scalar(f);
      f.f32Store();
    });
  });
  return f;
}

/** exp and sigmoid: four lanes at a time; the 1–3 last elements go through the vector code too. */
function expFunction(name: keyof typeof expOps): FunctionBuilder {
  const f = new FunctionBuilder(name, [i32, i32, i32]);
  const [x, out, n] = [0, 1, 2].map((k) => f.param(k));
  const [i, n4] = [f.local(i32), f.local(i32)];
  const [t, k, xv] = [f.local(v128), f.local(v128), f.local(v128)];
  f.get(n).i32(-4).i32And().i32(2).i32Shl().set(n4);
  f.forLoop(i, () => f.i32(0), () => f.get(n4), 16, () => {
    f.get(out).get(i).i32Add();
    f.get(x).get(i).i32Add().v128Load();
    expOps[name](f, t, k, xv);
    f.v128Store();
  });
  // The tail: one element at a time, splatted into a vector and its lane 0 stored.
  f.forLoop(i, () => f.get(n4), () => f.get(n).i32(2).i32Shl(), 4, () => {
    f.get(out).get(i).i32Add();
    f.get(x).get(i).i32Add().v128Load32Splat();
    expOps[name](f, t, k, xv);
    f.f32x4ExtractLane(0).f32Store();
  });
  return f;
}

function unaryFunction(name: keyof typeof unaryOps): FunctionBuilder {
  const f = new FunctionBuilder(name, [i32, i32, i32]);
  const [x, out, n] = [0, 1, 2].map((k) => f.param(k));
  const [i, n4] = [f.local(i32), f.local(i32)];
  // Scratch locals for ops that need their operand twice.
  const [v, sx] = [f.local(v128), f.local(f32)];
  const op: { simd: UnaryEmit; scalar: UnaryEmit } = unaryOps[name];
  f.get(n).i32(-4).i32And().i32(2).i32Shl().set(n4);
  f.forLoop(i, () => f.i32(0), () => f.get(n4), 16, () => {
    f.get(out).get(i).i32Add();
    f.get(x).get(i).i32Add().v128Load();
    op.simd(f, v, sx);
    f.v128Store();
  });
  f.forLoop(i, () => f.get(n4), () => f.get(n).i32(2).i32Shl(), 4, () => {
    f.get(out).get(i).i32Add();
    f.get(x).get(i).i32Add().f32Load();
    op.scalar(f, v, sx);
    f.f32Store();
  });
  return f;
}

/**
 * `sumRows(x, out, rows, cols)`: out[j] = Σ_r x[r·cols + j], the sum over leading axes (a bias
 * gradient), row vectors added four lanes at a time.
 */
function sumRowsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('sumRows', [i32, i32, i32, i32]);
  const [x, out, rows, cols] = [0, 1, 2, 3].map((k) => f.param(k));
  const [r, j, row, cols4] = Array.from({ length: 4 }, () => f.local(i32));
  f.get(cols).i32(-4).i32And().i32(2).i32Shl().set(cols4);
  // out = first row, then add the others
  f.forLoop(j, () => f.i32(0), () => f.get(cols).i32(2).i32Shl(), 4, () => {
    f.get(out).get(j).i32Add().get(x).get(j).i32Add().f32Load().f32Store();
  });
  f.forLoop(r, () => f.i32(1), () => f.get(rows), 1, () => {
    f.get(x).get(r).get(cols).i32Mul().i32(2).i32Shl().i32Add().set(row);
    f.forLoop(j, () => f.i32(0), () => f.get(cols4), 16, () => {
      f.get(out).get(j).i32Add();
      f.get(out).get(j).i32Add().v128Load().get(row).get(j).i32Add().v128Load().f32x4Add();
      f.v128Store();
    });
    f.forLoop(j, () => f.get(cols4), () => f.get(cols).i32(2).i32Shl(), 4, () => {
      f.get(out).get(j).i32Add();
      f.get(out).get(j).i32Add().f32Load().get(row).get(j).i32Add().f32Load().f32Add();
      f.f32Store();
    });
  });
  return f;
}

export function elementwiseFunctions(): FunctionBuilder[] {
  const pairs: [0 | 1, 0 | 1][] = [
    [1, 1],
    [1, 0],
    [0, 1],
  ];
  return [
    ...wasmBinaryOps.flatMap((name) => pairs.map(([ac, bc]) => binaryFunction(name, ac, bc))),
    ...(Object.keys(unaryOps) as (keyof typeof unaryOps)[]).map(unaryFunction),
    ...(Object.keys(expOps) as (keyof typeof expOps)[]).map(expFunction),
    sumRowsFunction(),
  ];
}



for (const name of wasmUnaryOps) {
  registerKernel<{ alpha?: number }>(op[name], 'wasm', {
    // step's vector code has alpha 0 (relu's gradient); another alpha runs in JS
    supports: ({ attrs }) => name !== 'step' || (attrs.alpha ?? 0) === 0,
    run: ({ inputs: [x], output, wasm }) => {
      const kernel = wasm.unary[name];
      const [px, po, n] = [x.byteOffset, output.byteOffset, output.length];
      return () => kernel(px, po, n);
    },
  });
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The grid form of a broadcasting pattern, if it has one: out as rows × cols, with a and b either
 * moving along a row (key digit 1) or repeated (0), and their strides between rows.
 */
function gridOf({ inputShapes: [sa, sb], outputShape }: ShapeContext) {
  const [na, nb, n] = [sizeOf(sa), sizeOf(sb), sizeOf(outputShape)];
  const cols = outputShape.length > 0 ? outputShape[outputShape.length - 1] : 1;
  const rows = cols === 0 ? 0 : n / cols;
  if (na === n && nb === n) return { key: '11', rows: 1, cols: n, ars: 0, brs: 0 };
  if (na === n && nb === 1) return { key: '10', rows: 1, cols: n, ars: 0, brs: 0 };
  if (na === 1 && nb === n) return { key: '01', rows: 1, cols: n, ars: 0, brs: 0 };
  if (na === n && nb === cols && isSuffix(sb, outputShape)) return { key: '11', rows, cols, ars: cols, brs: 0 };
  if (nb === n && na === cols && isSuffix(sa, outputShape)) return { key: '11', rows, cols, ars: 0, brs: cols };
  if (na === n && nb === rows && isColumn(sb, outputShape)) return { key: '10', rows, cols, ars: cols, brs: 1 };
  if (nb === n && na === rows && isColumn(sa, outputShape)) return { key: '01', rows, cols, ars: 1, brs: cols };
  return null;
}

/** True when `inner` is `outer` with its last dimension 1 (a column to repeat along rows). */
function isColumn(inner: readonly number[], outer: readonly number[]): boolean {
  const off = outer.length - inner.length;
  return off >= 0 && inner.length > 0 && inner[inner.length - 1] === 1 && inner.slice(0, -1).every((d, i) => d === outer[off + i]) && outer.slice(0, off).every((d) => d === 1);
}

for (const name of wasmBinaryOps) {
  registerKernel(op[name], 'wasm', {
    supports: (ctx) => gridOf(ctx) !== null,
    run: (ctx) => {
      const { inputs: [a, b], output, wasm } = ctx;
      const { key, rows, cols, ars, brs } = gridOf(ctx)!;
      const kernel = wasm.binary[`${name}_${key}`];
      const [pa, pb, po] = [a.byteOffset, b.byteOffset, output.byteOffset];
      return () => kernel(pa, pb, po, rows, cols, ars, brs);
    },
  });
}

/** Leading axes summed away (a bias gradient): row vectors added four lanes at a time. */
const rowsSummed = ({ inputShapes: [shape], attrs }: ShapeContext<ReductionAttrs>) => {
  const b = block(shape, axesOf(attrs, shape.length));
  return b !== null && b[0] === 1 && b[1] > 0 && b[2] > 0 ? b : null;
};

registerKernel(sum, 'wasm', {
  supports: (ctx) => rowsSummed(ctx) !== null,
  run: (ctx) => {
    const [, rows, cols] = rowsSummed(ctx)!;
    const [px, po] = [ctx.inputs[0].byteOffset, ctx.output.byteOffset];
    return () => ctx.wasm.sumRows(px, po, rows, cols);
  },
});
