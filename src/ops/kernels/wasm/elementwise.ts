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

/** Each unary op as vector code (x on the stack → result) and scalar code. */
const unaryOps = {
  neg: { simd: (f: FunctionBuilder) => f.simdOp(0xe1), scalar: (f: FunctionBuilder) => f.scalarOp(0x8c) },
  abs: { simd: (f: FunctionBuilder) => f.simdOp(0xe0), scalar: (f: FunctionBuilder) => f.scalarOp(0x8b) },
  sqrt: { simd: (f: FunctionBuilder) => f.simdOp(0xe3), scalar: (f: FunctionBuilder) => f.scalarOp(0x91) },
  // max(x, 0) with NaN → 0 as the JS kernel: pmax(0, x) = 0 < x ? x : 0
  square: { simd: (f: FunctionBuilder) => f.setScratch().getScratch().getScratch().simdOp(0xe6), scalar: (f: FunctionBuilder) => f.setScalarScratch().getScalarScratch().getScalarScratch().f32Mul() },
  // x > 0 ? 1 : 0: the comparison's all-ones mask ANDed with 1.0
  step: { simd: (f: FunctionBuilder) => f.setScratch().getScratch().v128Zero().simdOp(0x44).f32Const(1).f32x4Splat().simdOp(0x4e), scalar: (f: FunctionBuilder) => f.f32Const(0).scalarOp(0x5e).scalarOp(0xb3) },
  relu: { simd: (f: FunctionBuilder) => f.setScratch().v128Zero().getScratch().simdOp(0xeb), scalar: (f: FunctionBuilder) => f.f32Const(0).scalarOp(0x97) },
} as const;

export type UnaryOpName = keyof typeof unaryOps;
export const wasmUnaryOps = Object.keys(unaryOps) as UnaryOpName[];

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

function unaryFunction(name: UnaryOpName): FunctionBuilder {
  const f = new FunctionBuilder(name, [i32, i32, i32]);
  const [x, out, n] = [0, 1, 2].map((k) => f.param(k));
  const [i, n4] = [f.local(i32), f.local(i32)];
  f.scratch = f.local(v128);
  f.scalarScratch = f.local(f32);
  const op = unaryOps[name];
  f.get(n).i32(-4).i32And().i32(2).i32Shl().set(n4);
  f.forLoop(i, () => f.i32(0), () => f.get(n4), 16, () => {
    f.get(out).get(i).i32Add();
    f.get(x).get(i).i32Add().v128Load();
    op.simd(f);
    f.v128Store();
  });
  f.forLoop(i, () => f.get(n4), () => f.get(n).i32(2).i32Shl(), 4, () => {
    f.get(out).get(i).i32Add();
    f.get(x).get(i).i32Add().f32Load();
    op.scalar(f);
    f.f32Store();
  });
  return f;
}

export function elementwiseFunctions(): FunctionBuilder[] {
  const pairs: [0 | 1, 0 | 1][] = [
    [1, 1],
    [1, 0],
    [0, 1],
  ];
  return [...wasmBinaryOps.flatMap((name) => pairs.map(([ac, bc]) => binaryFunction(name, ac, bc))), ...wasmUnaryOps.map(unaryFunction)];
}


