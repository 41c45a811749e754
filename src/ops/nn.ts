/**
 * Neural-network ops along the class axis: softmax, logSoftmax, softmaxCrossEntropy, oneHot, and
 * softmaxCrossEntropyGrad (made by a pass).
 * softmaxCrossEntropy is one op so that it is stable at any logits and its gradient is the
 * classic softmax(z) − y (BP1 for a softmax output), not a chain through log and exp.
 */
import { RuleError, RunError } from '../graph/errors.ts';
import { formatShape, normalizeAxes, type Shape } from '../graph/shape.ts';
import type { DType, Node } from '../graph/ir.ts';
import { aroundAxis } from './kernels/indexing.ts';
import { forEachSlice, sliceLogSumExp } from './kernels/softmax.ts';
import { broadcastAxes } from './reduce.ts';
import { registerOp } from './registry.ts';

type AxisAttrs = { axis: number };
const axisOf = (axis: number, rank: number) => normalizeAxes(axis, rank)[0];

registerOp<AxisAttrs>({
  name: 'softmax',
  arity: 1,
  doc: 'exp(x) / Σ exp(x) along an axis, stable',
  shape: ([x], { axis }) => (axisOf(axis, x.length), x),
  kernel: ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
    const [outer, length, inner] = aroundAxis(shape, axisOf(attrs.axis, shape.length));
    return () =>
      forEachSlice(outer, length, inner, (start, stride) => {
        let m = -Infinity;
        for (let l = 0; l < length; l++) m = Math.max(m, x[start + l * stride]);
        let sum = 0;
        for (let l = 0; l < length; l++) sum += output[start + l * stride] = Math.exp(x[start + l * stride] - m);
        for (let l = 0; l < length; l++) output[start + l * stride] /= sum;
      });
  },
  vjp: ({ dy, output: y, attrs: { axis } }) => [y.mul(dy.sub(dy.mul(y).sum(axis, true)))],
});

registerOp<AxisAttrs>({
  name: 'logSoftmax',
  arity: 1,
  doc: 'x − log Σ exp(x) along an axis, stable',
  shape: ([x], { axis }) => (axisOf(axis, x.length), x),
  kernel: ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
    const [outer, length, inner] = aroundAxis(shape, axisOf(attrs.axis, shape.length));
    return () =>
      forEachSlice(outer, length, inner, (start, stride) => {
        const lse = sliceLogSumExp(x, start, stride, length);
        for (let l = 0; l < length; l++) output[start + l * stride] = x[start + l * stride] - lse;
      });
  },
  vjp: ({ dy, output: y, attrs: { axis } }) => [dy.sub(y.exp().mul(dy.sum(axis, true)))],
});

registerOp({
  name: 'softmaxCrossEntropy',
  arity: 2,
  doc: 'cross-entropy of softmax(logits) against int labels or probability rows, per sample',
  dtype: ([logits]): DType => {
    if (logits !== 'float') throw new RuleError('logits (input 0) must be float');
    return 'float';
  },
  shape: ([logits, labels]): Shape => {
    if (logits.length < 1) throw new RuleError('logits must have a class axis (rank ≥ 1)');
    const lead = logits.slice(0, -1);
    const fits = (s: Shape) => s.length === logits.length && s.every((d, i) => d === null || logits[i] === null || d === logits[i]);
    const fitsLead = labels.length === lead.length && labels.every((d, i) => d === null || lead[i] === null || d === lead[i]);
    if (!fits(labels) && !fitsLead) {
      throw new RuleError(
        `labels must be int class ids of shape ${formatShape(lead)} or probability rows of shape ${formatShape(logits)}`,
      );
    }
    return lead;
  },
  kernel: ({ inputs: [z, labels], output, inputShapes: [shape, labelShape], node, wasm }) => {
    const classes = shape[shape.length - 1];
    const rows = output.length;
    const sparse = labelShape.length === shape.length - 1;
    const sumExpRows = sparse ? wasm?.fused.sumExpRows : undefined;
    if (sumExpRows) {
      // Σ e^(z − max) per row in WebAssembly; the max, the log and the label's logit here.
      const [pz, po] = [z.byteOffset, output.byteOffset];
      return () => {
        sumExpRows(pz, po, rows, classes);
        for (let r = 0; r < rows; r++) {
          const start = r * classes;
          const label = classId(labels[r], r, classes, node);
          let m = -Infinity;
          for (let j = 0; j < classes; j++) m = Math.max(m, z[start + j]);
          output[r] = m + Math.log(output[r]) - z[start + label];
        }
      };
    }
    return () => {
      for (let r = 0; r < rows; r++) {
        const start = r * classes;
        const lse = sliceLogSumExp(z, start, 1, classes);
        if (sparse) {
          output[r] = lse - z[start + classId(labels[r], r, classes, node)];
        } else {
          let loss = 0;
          for (let j = 0; j < classes; j++) {
            const y = labels[start + j];
            if (y !== 0) loss += y * (lse - z[start + j]);
          }
          output[r] = loss;
        }
      }
    };
  },
  vjp: ({ dy, inputs: [logits, labels] }) => {
    const classAxis = logits.rank - 1;
    const dyRows = broadcastAxes(dy, logits, [classAxis], false);
    const p = logits.softmax(-1);
    if (labels.dtype === 'int' || labels.rank === logits.rank - 1) {
      return [dyRows.mul(p.sub(labels.oneHot(logits.shape[classAxis] as number))), null];
    }
    // For rows y that sum to s: ∂/∂z = s·softmax(z) − y (s = 1 for one-hot or probability rows).
    const dz = p.mul(labels.sum(-1, true)).sub(labels);
    return [dyRows.mul(dz), dyRows.mul(logits.logSoftmax(-1).neg())];
  },
});

/** A label that is a class id, or a RunError naming the op, the row and the label. */
function classId(label: number, row: number, classes: number, node: Node): number {
  if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
    throw new RunError(`${node.op}: label ${label} of row ${row} is not a class id in [0, ${classes})`, `%${node.id}`, node.site);
  }
  return label;
}

/**
 * dy·(softmax(z) − onehot(labels)) row by row, dy one number per row: the logits gradient of
 * softmaxCrossEntropy with class-id labels in one pass, without the softmax, the one-hot rows or
 * their difference ever stored. Made by the fuse-softmax-cross-entropy pass after autodiff, so it
 * has no gradient of its own.
 */
registerOp({
  name: 'softmaxCrossEntropyGrad',
  arity: 3,
  doc: 'dy·(softmax(z) − onehot(labels)) per row (the fused gradient of softmaxCrossEntropy)',
  dtype: ([z, , dy]): DType => {
    if (z !== 'float' || dy !== 'float') throw new RuleError('z (input 0) and dy (input 2) must be float');
    return 'float';
  },
  shape: ([z, labels, dy]): Shape => {
    if (z.length < 1) throw new RuleError('z must have a class axis (rank ≥ 1)');
    const lead = z.slice(0, -1);
    const fitsLead = (s: Shape) => s.length === lead.length && s.every((d, i) => d === null || lead[i] === null || d === lead[i]);
    if (!fitsLead(labels) || !fitsLead(dy)) throw new RuleError(`labels and dy must have one value per row, shape ${formatShape(lead)}`);
    return z;
  },
  kernel: ({ inputs: [z, labels, dy], output, inputShapes: [shape], node, wasm }) => {
    const classes = shape[shape.length - 1];
    const rows = labels.length;
    const fused = wasm?.fused.softmaxCrossEntropyGrad;
    if (fused) {
      const [pz, pl, pd, po] = [z.byteOffset, labels.byteOffset, dy.byteOffset, output.byteOffset];
      return () => {
        for (let r = 0; r < rows; r++) classId(labels[r], r, classes, node); // before the kernel indexes by them
        fused(pz, pl, pd, po, rows, classes);
      };
    }
    // The softmax kernel's steps, then − 1 at the label and · dy, each stored as the unfused ops do.
    return () => {
      for (let r = 0; r < rows; r++) {
        const start = r * classes;
        const label = classId(labels[r], r, classes, node);
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
  },
});

registerOp<{ depth: number }>({
  name: 'oneHot',
  arity: 1,
  doc: 'int class ids → one-hot float rows (no gradient)',
  dtype: (_, { depth }): DType => {
    if (!Number.isInteger(depth) || depth <= 0) throw new RuleError(`depth must be a positive whole number, got ${depth}`);
    return 'float';
  },
  shape: ([x], { depth }) => [...x, depth],
  kernel: ({ inputs: [ids], output, attrs: { depth }, node }) => () => {
    output.fill(0);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < depth)) {
        throw new RunError(`oneHot: value ${id} at index ${i} is not a class id in [0, ${depth})`, `%${node.id}`, node.site);
      }
      output[i * depth + id] = 1;
    }
  },
  vjp: () => [null],
});
