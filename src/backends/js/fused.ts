/**
 * The fused ops in plain JS. Each stores its intermediate values as the unfused ops would, so a
 * float32 program rounds the same with and without the passes.
 */
import { matMulBiasActivation, reluGrad, softmaxCrossEntropyGrad, subScaledMatMul } from '../../ops/fused.ts';
import { registerKernel } from '../registry.ts';
import { relu, sigmoid, step } from './elementwise.ts';
import { matMulInto } from './matmul.ts';
import { classId } from './softmax.ts';

registerKernel(subScaledMatMul, 'js', ({ inputs: [c, a, b, s], output, inputShapes: [, sa], outputShape: [m, n], attrs: { transposeA, transposeB } }) => {
  const k = transposeA ? sa[0] : sa[1];
  const product = new Float64Array(m * n); // made once per plan
  return () => {
    matMulInto(a, b, product, m, k, n, transposeA, transposeB);
    const scale = s[0];
    for (let i = 0; i < output.length; i++) output[i] = c[i] - scale * product[i];
  };
});

const activations = { linear: (x: number) => x, relu, sigmoid };

registerKernel(matMulBiasActivation, 'js', ({ inputs: [x, w, b], output, inputShapes: [[, k]], outputShape: [m, n], attrs: { activation } }) => {
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
});

// The softmax kernel's steps, then − 1 at the label and · dy, each stored as the unfused ops do.
registerKernel(softmaxCrossEntropyGrad, 'js', ({ inputs: [z, labels, dy], output, inputShapes: [shape], fail }) => {
  const classes = shape[shape.length - 1];
  const rows = labels.length;
  return () => {
    for (let r = 0; r < rows; r++) {
      const start = r * classes;
      const label = classId(labels[r], r, classes, fail);
      let m = -Infinity;
      for (let j = 0; j < classes; j++) m = Math.max(m, z[start + j]);
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += output[start + j] = Math.exp(z[start + j] - m);
      for (let j = 0; j < classes; j++) output[start + j] /= sum;
      output[start + label] -= 1;
      const d = dy[r];
      for (let j = 0; j < classes; j++) output[start + j] *= d;
    }
  };
});

registerKernel(reluGrad, 'js', ({ inputs: [dy, y], output }) => () => {
  for (let i = 0; i < output.length; i++) output[i] = dy[i] * step(y[i], 0);
});
