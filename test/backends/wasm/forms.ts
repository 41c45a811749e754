/** The four forms of a product the matmul kernels take, as [name, transposeA, transposeB]. */
export const forms = [
  ['A·B', false, false],
  ['Aᵀ·B', true, false],
  ['A·Bᵀ', false, true],
  ['Aᵀ·Bᵀ', true, true],
] as const;
