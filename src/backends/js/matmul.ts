/**
 * Matrix multiply in plain JS, in the forms training needs: A·B, A·Bᵀ, Aᵀ·B (and
 * Aᵀ·Bᵀ), so that no transpose is ever materialised. Loop orders keep the innermost loop walking
 * contiguous memory.
 */
import { batchMatMul, matMul } from '../../ops/matmul.ts';
import { registerKernel, type FloatArray } from '../registry.ts';

/** C[m×n] = op(A) · op(B), where op(A) is m×k and op(B) is k×n. */
export function matMulInto(
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): void {
  if (!transposeA && !transposeB) {
    // A is m×k, B is k×n: C row i = Σ_p A[i,p] · B row p
    c.fill(0, 0, m * n);
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p];
        if (aip === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
  } else if (!transposeA && transposeB) {
    // A is m×k, B is n×k: each C[i,j] is a dot product of two contiguous rows
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[i * n + j] = s;
      }
    }
  } else if (transposeA && !transposeB) {
    // A is k×m, B is k×n: C row i = Σ_p A[p,i] · B row p
    c.fill(0, 0, m * n);
    for (let p = 0; p < k; p++) {
      const ap = p * m;
      const bp = p * n;
      for (let i = 0; i < m; i++) {
        const api = a[ap + i];
        if (api === 0) continue;
        const ci = i * n;
        for (let j = 0; j < n; j++) c[ci + j] += api * b[bp + j];
      }
    }
  } else {
    // A is k×m, B is n×k
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[p * m + i] * b[j * k + p];
        c[i * n + j] = s;
      }
    }
  }
}

registerKernel(matMul, 'js', ({ inputs: [a, b], output, inputShapes: [sa], outputShape: [m, n], attrs: { transposeA, transposeB } }) => {
  const k = transposeA ? sa[0] : sa[1];
  return () => matMulInto(a, b, output, m, k, n, transposeA, transposeB);
});

// One product per batch item; a rank-2 side is read again for every item.
registerKernel(batchMatMul, 'js', ({ inputs: [a, b], output, inputShapes: [sa, sb], outputShape: [batch, m, n], attrs: { transposeA, transposeB } }) => {
  const last2 = (s: readonly number[]) => s.slice(-2);
  const k = transposeA ? last2(sa)[0] : last2(sa)[1];
  const strideA = sa.length === 3 ? m * k : 0;
  const strideB = sb.length === 3 ? k * n : 0;
  // The views of each item, made once per plan.
  const items = Array.from({ length: batch }, (_, i) => [a.subarray(i * strideA, i * strideA + m * k), b.subarray(i * strideB, i * strideB + k * n), output.subarray(i * m * n, (i + 1) * m * n)]);
  return () => {
    for (const [ai, bi, ci] of items) matMulInto(ai, bi, ci, m, k, n, transposeA, transposeB);
  };
});
