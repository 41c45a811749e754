/**
 * What a fused elementwise kernel computes: an expression of elementwise ops over loads of its
 * inputs, each load with strides per output dimension (0 where the input is broadcast). The
 * runtime's fusion step builds it; the kernels' code generator (elementwise.ts) turns it into WGSL.
 */

export type Expr =
  | { readonly kind: 'load'; readonly input: number; readonly strides: readonly number[] }
  | { readonly kind: 'op'; readonly op: string; readonly attrs: Readonly<Record<string, unknown>>; readonly args: readonly Expr[] };

/** The ops an expression may hold (each has a WGSL emitter in elementwise.ts). */
export const fusableOps: readonly string[] = ['neg', 'exp', 'log', 'sqrt', 'square', 'abs', 'sign', 'step', 'reluGrad', 'sigmoid', 'tanh', 'relu', 'softplus', 'softsign', 'add', 'sub', 'mul', 'div', 'maximum', 'equal', 'pow', 'where', 'cast'];

/** Whether an op can join a fused elementwise kernel. */
export function isFusable(opName: string): boolean {
  return fusableOps.includes(opName);
}
