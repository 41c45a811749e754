/**
 * Matrix products on the GPU through the one tiled generator (gemm.ts): matMul in all four
 * transpose forms read in place (a transposed operand is read with swapped strides, never
 * copied), batched products (a rank-2 side shared by the batch), the fused dense layer
 * act(x·W + b) and the fused SGD step c − s·op(a)·op(b).
 */
import type { MatMulAttrs } from '../../ops/matmul.ts';
import { batchMatMul, matMul } from '../../ops/matmul.ts';
import { matMulBiasActivation, subScaledMatMul } from '../../ops/fused.ts';
import { registerKernel, type GpuKernel, type ShapeContext } from '../registry.ts';
import { gemm, gemmScratch, type GemmSpec } from './gemm.ts';

/** Where op(A)[row, k] and op(B)[k, col] are, for operands at offsets a and b (batch item strides sa, sb; 0 = shared). */
export function matMulSpec(
  a: number,
  b: number,
  { m, n, k, batch = 1 }: { m: number; n: number; k: number; batch?: number },
  { transposeA, transposeB }: MatMulAttrs,
  batchStrides: readonly [number, number] = [0, 0],
): Pick<GemmSpec, 'm' | 'n' | 'k' | 'batch' | 'loadA' | 'loadB'> {
  const item = (stride: number) => (batch > 1 && stride > 0 ? `b * ${stride}u + ` : '');
  return {
    m,
    n,
    k,
    batch,
    loadA: (row, kk) => `m[${a}u + ${item(batchStrides[0])}${transposeA ? `${kk} * ${m}u + ${row}` : `${row} * ${k}u + ${kk}`}]`,
    loadB: (kk, col) => `m[${b}u + ${item(batchStrides[1])}${transposeB ? `${col} * ${k}u + ${kk}` : `${kk} * ${n}u + ${col}`}]`,
  };
}

/** m, n, k of a rank-2 product. */
function dims({ inputShapes: [sa], outputShape: [m, n], attrs: { transposeA } }: ShapeContext<MatMulAttrs>) {
  return { m, n, k: transposeA ? sa[0] : sa[1] };
}

const plain: GpuKernel<MatMulAttrs> = {
  scratch: (ctx) => gemmScratch({ ...dims(ctx), loadA: () => '', loadB: () => '', store: () => '' }),
  dispatches: (ctx) => {
    const { output, inputs, attrs, scratch } = ctx;
    const n = ctx.outputShape[1];
    return gemm({ ...matMulSpec(inputs[0], inputs[1], dims(ctx), attrs), store: (r, c, v) => `m[${output}u + ${r} * ${n}u + ${c}] = ${v};` }, scratch);
  },
};
registerKernel(matMul, 'webgpu', plain);

registerKernel(batchMatMul, 'webgpu', {
  dispatches: ({ inputs, inputShapes: [sa, sb], outputShape: [batch, m, n], output, attrs }) => {
    const k = attrs.transposeA ? sa[sa.length - 2] : sa[sa.length - 1];
    const strideA = sa.length === 3 ? sa[1] * sa[2] : 0;
    const strideB = sb.length === 3 ? sb[1] * sb[2] : 0;
    const spec = matMulSpec(inputs[0], inputs[1], { m, n, k, batch }, attrs, [strideA, strideB]);
    return gemm({ ...spec, store: (r, c, v) => `m[${output}u + b * ${m * n}u + ${r} * ${n}u + ${c}] = ${v};` });
  },
});

/** The activation of a fused layer applied to a WGSL value (the prelude's NaN-keeping functions). */
export function activate(activation: string, value: string): string {
  return activation === 'relu' ? `relu_(${value})` : activation === 'sigmoid' ? `sigmoid_(${value})` : value;
}

registerKernel(matMulBiasActivation, 'webgpu', {
  scratch: ({ inputShapes: [[m, k], [, n]] }) => gemmScratch({ m, n, k, loadA: () => '', loadB: () => '', store: () => '' }),
  dispatches: ({ inputs: [x, w, bias], inputShapes: [[m, k], [, n]], output, attrs: { activation }, scratch }) =>
    gemm(
      {
        ...matMulSpec(x, w, { m, n, k }, { transposeA: false, transposeB: false }),
        store: (r, c, v) => `m[${output}u + ${r} * ${n}u + ${c}] = ${activate(activation, `${v} + m[${bias}u + ${c}]`)};`,
      },
      scratch,
    ),
});

// Written over c in place when the plan says so: each output element reads its own c only.
registerKernel(subScaledMatMul, 'webgpu', {
  scratch: ({ inputShapes: [, sa], outputShape: [m, n], attrs }) => gemmScratch({ m, n, k: attrs.transposeA ? sa[0] : sa[1], loadA: () => '', loadB: () => '', store: () => '' }),
  dispatches: ({ inputs: [c, a, b, s], inputShapes: [, sa], outputShape: [m, n], output, attrs, scratch }) =>
    gemm(
      {
        ...matMulSpec(a, b, { m, n, k: attrs.transposeA ? sa[0] : sa[1] }, attrs),
        store: (r, col, v) => `m[${output}u + ${r} * ${n}u + ${col}] = m[${c}u + ${r} * ${n}u + ${col}] - m[${s}u] * ${v};`,
      },
      scratch,
    ),
});
