/**
 * Picks the matmul kernel for a shape and splits large products with the helper thread.
 *
 * - Large products (M ≥ 32 rows, N ≥ 16 columns) pack B into 8-column panels and A into 4-row
 *   slivers (matmul.ts: packB, gemmPacked): every form then reads both operands contiguously,
 *   and a transpose costs only the packing. Two threads split the panels: each packs and
 *   multiplies its own columns, so no barrier and the same sums as one thread.
 * - Smaller ones use `gemm` straight from A and B (packing would cost more than it saves), or for
 *   A·Bᵀ `gemmNT` when K is long enough for its dot products (K ≥ 64), else the packed path.
 * These thresholds come from measurements of each kernel on the shapes of the MNIST networks.
 */
import { KB, MB, PANEL } from './matmul.ts';
import type { Helper } from './threads.ts';

type Kernel = (...args: number[]) => void;
export type MatMulExports = Record<'gemm' | 'gemmAcc' | 'gemmNT' | 'packB' | 'gemmPacked' | 'gemmPackedAcc', Kernel>;

/**
 * C = op(A)·op(B), or with `alpha` given C ← C + alpha·op(A)·op(B). Byte pointers; `scratch`
 * points at matMulScratch(…) floats.
 */
export type MatMulKernel = (a: number, b: number, c: number, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, scratch: number, alpha?: number) => void;

/** Whether a product goes through the packed kernel (gemm cannot read Bᵀ, gemmNT cannot accumulate). */
const packed = (m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, accumulate: boolean) =>
  (m >= 32 && n >= 16) || (transposeB && (transposeA || accumulate || k < 64));

/** Floats of scratch a product needs: packed B and one sliver block of A per thread. */
export function matMulScratch(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, accumulate: boolean): number {
  if (!packed(m, n, k, transposeA, transposeB, accumulate)) return 0;
  return Math.ceil(n / PANEL) * PANEL * k + (m >= 32 ? 2 * MB * KB : 0);
}

/** Products with fewer multiply-adds stay on one thread: below it the split did not pay (W1 measured slower split). */
export const SPLIT_MACS = 1 << 20;

export function matMulDriver(kernels: MatMulExports, helperFor: (macs: number) => Helper | null): MatMulKernel {
  const { gemm, gemmAcc, gemmNT, packB, gemmPacked, gemmPackedAcc } = kernels;
  return (a, b, c, m, n, k, transposeA, transposeB, scratch, alpha) => {
    // A(r, p) at r·sar + p·sap and B(p, j) at p·sbr + j·sbc, in elements.
    const sar = transposeA ? 1 : k;
    const sap = transposeA ? m : 1;
    const sbr = transposeB ? 1 : n;
    const sbc = transposeB ? k : 1;
    const helper = helperFor(m * n * k);
    if (packed(m, n, k, transposeA, transposeB, alpha !== undefined)) {
      const slivers = m >= 32 ? scratch + 4 * Math.ceil(n / PANEL) * PANEL * k : 0;
      // This thread takes the first half of the panels, the helper the rest.
      const panels = Math.ceil(n / PANEL);
      const split = helper && panels >= 2 ? Math.ceil(panels / 2) * PANEL : n;
      if (split < n) {
        const [bp, cp] = [scratch + 4 * split * k, c + 4 * split];
        helper!.queue('packB', b + 4 * split * sbc, bp, k, n - split, sbr, sbc);
        if (alpha === undefined) helper!.queue('gemmPacked', a, bp, cp, m, n - split, k, sar, sap, n, slivers && slivers + 4 * MB * KB);
        else helper!.queue('gemmPackedAcc', a, bp, cp, m, n - split, k, sar, sap, n, slivers && slivers + 4 * MB * KB, alpha);
        helper!.post();
      }
      packB(b, scratch, k, split, sbr, sbc);
      if (alpha === undefined) gemmPacked(a, scratch, c, m, split, k, sar, sap, n, slivers);
      else gemmPackedAcc(a, scratch, c, m, split, k, sar, sap, n, slivers, alpha);
      if (split < n) helper!.wait();
      return;
    }
    // Unpacked: split by rows of C, this thread the first ~half (a multiple of 4 rows).
    const h = helper && m >= 5 ? Math.max(4, Math.round(m / 8) * 4) : m;
    const [a2, c2] = [a + 4 * h * sar, c + 4 * h * n];
    if (transposeB) {
      if (h < m) (helper!.queue('gemmNT', a2, b, c2, m - h, n, k), helper!.post());
      gemmNT(a, b, c, h, n, k);
    } else if (alpha === undefined) {
      if (h < m) (helper!.queue('gemm', a2, b, c2, m - h, n, k, sar, sap), helper!.post());
      gemm(a, b, c, h, n, k, sar, sap);
    } else {
      if (h < m) (helper!.queue('gemmAcc', a2, b, c2, m - h, n, k, sar, sap, alpha), helper!.post());
      gemmAcc(a, b, c, h, n, k, sar, sap, alpha);
    }
    if (h < m) helper!.wait();
  };
}
