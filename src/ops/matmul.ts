/**
 * matMul of two rank-2 tensors with optional transposes. Its gradient is again matMuls with
 * transpose flags, so backprop never materialises a transpose (BP2 and BP4 are these).
 */
import { RuleError } from '../graph/errors.ts';
import { formatShape, type Shape } from '../graph/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { relu, sigmoid } from './elementwise.ts';
import { matMulInto } from './kernels/matmul.ts';
import { matMulScratch } from './kernels/wasm/matmul-driver.ts';
import { registerOp } from './registry.ts';

type MatMulAttrs = { transposeA: boolean; transposeB: boolean };

function matMulShape([a, b]: readonly Shape[], { transposeA, transposeB }: MatMulAttrs): Shape {
  if (a.length !== 2 || b.length !== 2) {
    throw new RuleError(`both inputs must be rank 2, got ${formatShape(a)} and ${formatShape(b)}`);
  }
  const [m, ka] = transposeA ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = transposeB ? [b[1], b[0]] : [b[0], b[1]];
  if (ka !== null && kb !== null && ka !== kb) {
    const left = transposeA ? 'aᵀ' : 'a';
    const right = transposeB ? 'bᵀ' : 'b';
    throw new RuleError(`inner dimensions must agree: ${left} has ${ka} columns, ${right} has ${kb} rows`);
  }
  return [m, n];
}

/** The gradients of op(a)·op(b) given dy: matMuls with transpose flags. */
function matMulVjp(dy: Tensor, a: Tensor, b: Tensor, { transposeA, transposeB }: MatMulAttrs): [Tensor, Tensor] {
  // C = op(A)·op(B); dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, then undo each op.
  if (!transposeA && !transposeB) return [dy.matMul(b, false, true), a.matMul(dy, true, false)];
  if (!transposeA && transposeB) return [dy.matMul(b), dy.matMul(a, true, false)];
  if (transposeA && !transposeB) return [b.matMul(dy, false, true), a.matMul(dy)];
  return [b.matMul(dy, true, true), dy.matMul(a, true, true)];
}

registerOp<MatMulAttrs>({
  name: 'matMul',
  arity: 2,
  doc: 'matrix product op(a)·op(b), op = optional transpose',
  shape: matMulShape,
  scratch: ({ inputShapes: [sa], outputShape: [m, n], attrs: { transposeA, transposeB }, wasm }) =>
    wasm ? matMulScratch(m, n, transposeA ? sa[0] : sa[1], transposeA, transposeB, false) : 0,
  kernel: ({ inputs: [a, b], output, inputShapes: [sa], outputShape: [m, n], attrs: { transposeA, transposeB }, wasm, scratch }) => {
    const k = transposeA ? sa[0] : sa[1];
    if (wasm) return wasm.matMul({ a: a.byteOffset, b: b.byteOffset, c: output.byteOffset, scratch: scratch.byteOffset, m, n, k, transposeA, transposeB, accumulate: false });
    return () => matMulInto(a, b, output, m, k, n, transposeA, transposeB);
  },
  vjp: ({ dy, inputs: [a, b], attrs }) => matMulVjp(dy, a, b, attrs),
});

/**
 * c − s·op(a)·op(b) with s a scalar: a whole SGD step W ← W − η·Xᵀ·Δ in one pass over W. Made by
 * the fuse-updates pass from sub(W, mul(matMul(…), η)); users write the unfused form.
 */
registerOp<MatMulAttrs>({
  name: 'subScaledMatMul',
  arity: 4,
  doc: 'c − s·op(a)·op(b), s a scalar (a fused SGD step)',
  overwrites: 0,
  shape: ([c, a, b, s], attrs) => {
    const product = matMulShape([a, b], attrs);
    if (s.some((d) => d !== 1)) throw new RuleError(`s must be a scalar, got ${formatShape(s)}`);
    if (c.length !== 2 || c.some((d, i) => d !== null && product[i] !== null && d !== product[i])) {
      throw new RuleError(`c ${formatShape(c)} must have the product's shape ${formatShape(product)}`);
    }
    return c;
  },
  scratch: ({ inputShapes: [, sa], outputShape: [m, n], attrs: { transposeA, transposeB }, wasm }) =>
    wasm ? matMulScratch(m, n, transposeA ? sa[0] : sa[1], transposeA, transposeB, true) : 0,
  kernel: ({ inputs: [c, a, b, s], output, inputShapes: [, sa], outputShape: [m, n], attrs: { transposeA, transposeB }, wasm, scratch }) => {
    const k = transposeA ? sa[0] : sa[1];
    const inPlace = output.byteOffset === c.byteOffset && output.buffer === c.buffer;
    if (wasm) {
      const update = wasm.matMul({ a: a.byteOffset, b: b.byteOffset, c: output.byteOffset, scratch: scratch.byteOffset, m, n, k, transposeA, transposeB, accumulate: true });
      return () => {
        if (!inPlace) output.set(c);
        update(-s[0]);
      };
    }
    const product = new Float64Array(m * n); // made once per plan
    return () => {
      matMulInto(a, b, product, m, k, n, transposeA, transposeB);
      const scale = s[0];
      for (let i = 0; i < output.length; i++) output[i] = c[i] - scale * product[i];
    };
  },
  vjp: ({ dy, inputs: [c, a, b, s], attrs }) => {
    const [da, db] = matMulVjp(dy.mul(s).neg(), a, b, attrs);
    return [dy, da, db, dy.mul(a.matMul(b, attrs.transposeA, attrs.transposeB)).sum().neg().reshape(s.shape.map(() => 1))];
  },
});

/** The activations a fused dense layer applies, with the same formulas as the unfused ops. */
const activations = { linear: (x: number) => x, relu, sigmoid };
export type DenseActivation = keyof typeof activations;

/**
 * act(x·W + b) with b a row added to every row: a dense layer in one op, the product's buffer
 * taking the bias and the activation in place. Made by the fuse-dense pass from
 * act(add(matMul(x, W), b)); users write the unfused form. As TF.js's fused matMul.
 */
registerOp<{ activation: DenseActivation }>({
  name: 'matMulBiasActivation',
  arity: 3,
  doc: 'act(x·W + b), b a row vector, act linear, relu or sigmoid (a fused dense layer)',
  shape: ([x, w, b], { activation }) => {
    if (!Object.hasOwn(activations, activation)) {
      throw new RuleError(`activation must be ${Object.keys(activations).join(', ')}, got '${String(activation)}'`);
    }
    const product = matMulShape([x, w], { transposeA: false, transposeB: false });
    if (b.length !== 1 || (b[0] !== null && product[1] !== null && b[0] !== product[1])) {
      throw new RuleError(`b ${formatShape(b)} must be a row of the product's ${product[1]} columns`);
    }
    return product;
  },
  scratch: ({ inputShapes: [[, k]], outputShape: [m, n], wasm }) => (wasm ? matMulScratch(m, n, k, false, false, false) : 0),
  kernel: ({ inputs: [x, w, b], output, inputShapes: [[, k]], outputShape: [m, n], attrs: { activation }, wasm, scratch }) => {
    const biasActivation = wasm?.fused[`biasActivation_${activation}`];
    if (wasm && biasActivation) {
      const [pb, po] = [b.byteOffset, output.byteOffset];
      const product = wasm.matMul({ a: x.byteOffset, b: w.byteOffset, c: po, scratch: scratch.byteOffset, m, n, k, transposeA: false, transposeB: false, accumulate: false });
      return () => {
        product();
        biasActivation(po, pb, m, n);
      };
    }
    const f = activations[activation];
    return () => {
      matMulInto(x, w, output, m, k, n, false, false);
      for (let row = 0; row < m * n; row += n) {
        for (let j = 0; j < n; j++) {
          // Stored between the two steps so float32 rounds as the unfused add then activation do.
          output[row + j] = output[row + j] + b[j];
          output[row + j] = f(output[row + j]);
        }
      }
    };
  },
  vjp: ({ dy, inputs: [x, w], output: y, attrs: { activation } }) => {
    const dz = activation === 'relu' ? dy.mul(y.step()) : activation === 'sigmoid' ? dy.mul(y.mul(y.neg().add(1))) : dy;
    return [dz.matMul(w, false, true), x.matMul(dz, true, false), dz];
  },
});
