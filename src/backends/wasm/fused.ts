/**
 * Float32 kernels of the fused ops, as WebAssembly SIMD128 (byte pointers, element counts):
 *
 *   biasActivation_<act>(out, bias, rows, cols)   out[r,j] ← act(out[r,j] + bias[j]), one pass over
 *                                                 a matMul product (act: linear, relu, sigmoid)
 *   softmaxCrossEntropyGrad(z, labels, dy, out, rows, cols)
 *                                                 out[r,:] = dy[r]·(softmax(z[r,:]) − onehot(labels[r]))
 *   sumExpRows(z, out, rows, cols)                out[r] = Σ_j e^(z[r,j] − max_j z[r,j])
 *   reluGrad(dy, y, out, n)                       out[i] = dy[i]·step(y[i])
 *
 * Labels are whole numbers stored as float32; the caller checks them before the call. Rows are
 * walked four lanes at a time; the last 1–3 elements of a row go through the same vector code,
 * one element splatted into all lanes, so they get exactly what the vector part would give.
 */
import { reluGrad, softmaxCrossEntropyGrad } from '../../ops/fused.ts';
import { softmaxCrossEntropy } from '../../ops/softmax.ts';
import { classId } from '../js/softmax.ts';
import { registerKernel } from '../registry.ts';
import { emitExp, emitRelu, emitSigmoid, emitStep } from './elementwise.ts';
import { f32, FunctionBuilder, i32, v128, type Local } from './emit.ts';

const activations = {
  linear: () => {},
  relu: emitRelu,
  sigmoid: emitSigmoid,
} satisfies Record<string, (f: FunctionBuilder, t: Local, k: Local, x: Local) => unknown>;

export type FusedActivation = keyof typeof activations;
export const fusedActivations = Object.keys(activations) as FusedActivation[];

/** Export names of this file's functions (the runtime keeps them apart from the unary ops). */
export const fusedKernelNames: readonly string[] = [...fusedActivations.map((a) => `biasActivation_${a}`), 'softmaxCrossEntropyGrad', 'sumExpRows', 'reluGrad'];

/** Locals every row loop needs: the row's byte length, its vector part, and counters. */
function rowLocals(f: FunctionBuilder, cols: Local) {
  const [r, j, bytes, bytes4] = Array.from({ length: 4 }, () => f.local(i32));
  f.get(cols).i32(2).i32Shl().set(bytes);
  f.get(cols).i32(-4).i32And().i32(2).i32Shl().set(bytes4);
  return { r, j, bytes, bytes4 };
}

function biasActivationFunction(act: FusedActivation): FunctionBuilder {
  const f = new FunctionBuilder(`biasActivation_${act}`, [i32, i32, i32, i32]);
  const [out, bias, rows, cols] = [0, 1, 2, 3].map((k) => f.param(k));
  const { r, j, bytes, bytes4 } = rowLocals(f, cols);
  const row = f.local(i32);
  const [t, k, x] = [f.local(v128), f.local(v128), f.local(v128)];
  f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    f.get(out).get(r).get(bytes).i32Mul().i32Add().set(row);
    f.forLoop(j, () => f.i32(0), () => f.get(bytes4), 16, () => {
      f.get(row).get(j).i32Add();
      f.get(row).get(j).i32Add().v128Load().get(bias).get(j).i32Add().v128Load().f32x4Add();
      activations[act](f, t, k, x);
      f.v128Store();
    });
    f.forLoop(j, () => f.get(bytes4), () => f.get(bytes), 4, () => {
      f.get(row).get(j).i32Add();
      f.get(row).get(j).i32Add().v128Load32Splat().get(bias).get(j).i32Add().v128Load32Splat().f32x4Add();
      activations[act](f, t, k, x);
      f.f32x4ExtractLane(0).f32Store();
    });
  });
  return f;
}

/** Scratch locals of the softmax row code. */
interface SoftmaxLocals {
  j: Local;
  bytes: Local;
  bytes4: Local;
  /** The row maximum, splatted. */
  max: Local;
  /** emitExp's scratch, the exponentials, and their vector sum. */
  t: Local;
  k: Local;
  x: Local;
  e: Local;
  sum: Local;
  scalar: Local;
}

function softmaxLocals(f: FunctionBuilder, cols: Local) {
  const { r, j, bytes, bytes4 } = rowLocals(f, cols);
  const [max, t, k, x, e, sum] = Array.from({ length: 6 }, () => f.local(v128));
  const locals: SoftmaxLocals = { j, bytes, bytes4, max, t, k, x, e, sum, scalar: f.local(f32) };
  return { r, locals };
}

/** Adds up the four lanes of the v128 on the stack with `combine` (f32.add, f32.max), into `into`. */
function reduceLanes(f: FunctionBuilder, v: Local, into: Local, combine: number): void {
  f.get(v).f32x4ExtractLane(0);
  for (const lane of [1, 2, 3]) f.get(v).f32x4ExtractLane(lane).scalarOp(combine);
  f.set(into);
}

const F32_ADD = 0x92;
const F32_MAX = 0x97;

/**
 * The row at `row` (a byte pointer): its maximum into `max` (splatted), then Σ e^(z − max) left
 * on the stack as an f32, the exponentials stored at `store` if given.
 */
function emitSumExp(f: FunctionBuilder, row: Local, store: Local | null, l: SoftmaxLocals): void {
  f.f32Const(-Infinity).f32x4Splat().set(l.max);
  f.forLoop(l.j, () => f.i32(0), () => f.get(l.bytes4), 16, () => {
    f.get(l.max).get(row).get(l.j).i32Add().v128Load().simdOp(0xe9).set(l.max);
  });
  reduceLanes(f, l.max, l.scalar, F32_MAX);
  f.forLoop(l.j, () => f.get(l.bytes4), () => f.get(l.bytes), 4, () => {
    f.get(l.scalar).get(row).get(l.j).i32Add().f32Load().scalarOp(F32_MAX).set(l.scalar);
  });
  f.get(l.scalar).f32x4Splat().set(l.max);

  const exponential = (load: () => void) => {
    load();
    f.get(l.max).simdOp(0xe5);
    emitExp(f, l.t, l.k, l.x);
    f.set(l.e);
  };
  f.v128Zero().set(l.sum);
  f.forLoop(l.j, () => f.i32(0), () => f.get(l.bytes4), 16, () => {
    exponential(() => f.get(row).get(l.j).i32Add().v128Load());
    if (store) f.get(store).get(l.j).i32Add().get(l.e).v128Store();
    f.get(l.sum).get(l.e).f32x4Add().set(l.sum);
  });
  reduceLanes(f, l.sum, l.scalar, F32_ADD);
  f.forLoop(l.j, () => f.get(l.bytes4), () => f.get(l.bytes), 4, () => {
    exponential(() => f.get(row).get(l.j).i32Add().v128Load32Splat());
    if (store) f.get(store).get(l.j).i32Add().get(l.e).f32x4ExtractLane(0).f32Store();
    f.get(l.scalar).get(l.e).f32x4ExtractLane(0).f32Add().set(l.scalar);
  });
  f.get(l.scalar);
}

function softmaxCrossEntropyGradFunction(): FunctionBuilder {
  const f = new FunctionBuilder('softmaxCrossEntropyGrad', [i32, i32, i32, i32, i32, i32]);
  const [z, labels, dy, out, rows, cols] = [0, 1, 2, 3, 4, 5].map((k) => f.param(k));
  const { r, locals: l } = softmaxLocals(f, cols);
  const [row, outRow, at] = [f.local(i32), f.local(i32), f.local(i32)];
  const [scale, d] = [f.local(f32), f.local(f32)];
  f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    f.get(z).get(r).get(l.bytes).i32Mul().i32Add().set(row);
    f.get(out).get(r).get(l.bytes).i32Mul().i32Add().set(outRow);
    f.get(dy).get(r).i32(2).i32Shl().i32Add().f32Load().set(d);
    emitSumExp(f, row, outRow, l);
    f.set(scale);
    f.get(d).get(scale).scalarOp(0x95).set(scale); // dy / Σ
    f.get(scale).f32x4Splat().set(l.e);
    f.forLoop(l.j, () => f.i32(0), () => f.get(l.bytes4), 16, () => {
      f.get(outRow).get(l.j).i32Add();
      f.get(outRow).get(l.j).i32Add().v128Load().get(l.e).f32x4Mul().v128Store();
    });
    f.forLoop(l.j, () => f.get(l.bytes4), () => f.get(l.bytes), 4, () => {
      f.get(outRow).get(l.j).i32Add();
      f.get(outRow).get(l.j).i32Add().f32Load().get(scale).f32Mul().f32Store();
    });
    // out[label] −= dy (i32.trunc_f32_s of the stored label)
    f.get(labels).get(r).i32(2).i32Shl().i32Add().f32Load().scalarOp(0xa8).i32(2).i32Shl().get(outRow).i32Add().set(at);
    f.get(at).get(at).f32Load().get(d).scalarOp(0x93).f32Store();
  });
  return f;
}

function sumExpRowsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('sumExpRows', [i32, i32, i32, i32]);
  const [z, out, rows, cols] = [0, 1, 2, 3].map((k) => f.param(k));
  const { r, locals: l } = softmaxLocals(f, cols);
  const [row, sum] = [f.local(i32), f.local(f32)];
  f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    f.get(z).get(r).get(l.bytes).i32Mul().i32Add().set(row);
    emitSumExp(f, row, null, l);
    f.set(sum);
    f.get(out).get(r).i32(2).i32Shl().i32Add().get(sum).f32Store();
  });
  return f;
}

function reluGradFunction(): FunctionBuilder {
  const f = new FunctionBuilder('reluGrad', [i32, i32, i32, i32]);
  const [dy, y, out, n] = [0, 1, 2, 3].map((k) => f.param(k));
  const [i, bytes, bytes4] = [f.local(i32), f.local(i32), f.local(i32)];
  const v = f.local(v128);
  f.get(n).i32(2).i32Shl().set(bytes);
  f.get(n).i32(-4).i32And().i32(2).i32Shl().set(bytes4);
  const masked = (load: (base: Local) => void) => {
    f.get(out).get(i).i32Add();
    load(dy);
    load(y);
    emitStep(f, v);
    f.f32x4Mul();
  };
  f.forLoop(i, () => f.i32(0), () => f.get(bytes4), 16, () => {
    masked((base) => f.get(base).get(i).i32Add().v128Load());
    f.v128Store();
  });
  f.forLoop(i, () => f.get(bytes4), () => f.get(bytes), 4, () => {
    masked((base) => f.get(base).get(i).i32Add().v128Load32Splat());
    f.f32x4ExtractLane(0).f32Store();
  });
  return f;
}

export function fusedFunctions(): FunctionBuilder[] {
  return [...fusedActivations.map(biasActivationFunction), softmaxCrossEntropyGradFunction(), sumExpRowsFunction(), reluGradFunction()];
}

registerKernel(reluGrad, 'wasm', ({ inputs: [dy, y], output, wasm }) => {
  const kernel = wasm.fused.reluGrad;
  const [pd, py, po, n] = [dy.byteOffset, y.byteOffset, output.byteOffset, output.length];
  return () => kernel(pd, py, po, n);
});

registerKernel(softmaxCrossEntropyGrad, 'wasm', ({ inputs: [z, labels, dy], output, inputShapes: [shape], wasm, fail }) => {
  const classes = shape[shape.length - 1];
  const rows = labels.length;
  const fused = wasm.fused.softmaxCrossEntropyGrad;
  const [pz, pl, pd, po] = [z.byteOffset, labels.byteOffset, dy.byteOffset, output.byteOffset];
  return () => {
    for (let r = 0; r < rows; r++) classId(labels[r], r, classes, fail); // before the kernel indexes by them
    fused(pz, pl, pd, po, rows, classes);
  };
});

// Σ e^(z − max) per row in WebAssembly; the max, the log and the label's logit in JS. Class-id labels only.
registerKernel(softmaxCrossEntropy, 'wasm', {
  supports: ({ inputShapes: [shape, labelShape] }) => labelShape.length === shape.length - 1,
  run: ({ inputs: [z, labels], output, inputShapes: [shape], wasm, fail }) => {
    const classes = shape[shape.length - 1];
    const rows = output.length;
    const sumExpRows = wasm.fused.sumExpRows;
    const [pz, po] = [z.byteOffset, output.byteOffset];
    return () => {
      sumExpRows(pz, po, rows, classes);
      for (let r = 0; r < rows; r++) {
        const start = r * classes;
        const label = classId(labels[r], r, classes, fail);
        let m = -Infinity;
        for (let j = 0; j < classes; j++) m = Math.max(m, z[start + j]);
        output[r] = m + Math.log(output[r]) - z[start + label];
      }
    };
  },
});
