/**
 * Pass: the logits gradient of softmaxCrossEntropy with class-id labels, as its vjp builds it,
 *   mul(broadcastAxes(dy, z, [classAxis]), sub(softmax(z, −1), oneHot(labels, classes)))
 * becomes softmaxCrossEntropyGrad(z, labels, dy): one pass over each row instead of five ops,
 * the softmax, the one-hot rows and their difference never stored. Only where those three are
 * read by nothing else (a softmax also requested as an output is computed once, unfused).
 */
import type { IR, Node } from '../../core/ir.ts';
import { ops } from '../../ops/index.ts';
import { isPlainOneHot, type OneHotAttrs } from '../../ops/softmax.ts';
import type { PassContext } from './index.ts';
import { capture, op, rewrite, withOp, type Captures } from './rewrite.ts';

/** dy spread along z's class axis only, the softmax taken along it, no broadcasting in the sub. */
function alongClasses(_: Node, { rows, z, softmax, oneHot }: Captures): boolean {
  const classAxis = z.shape.length - 1;
  const { axes, keepDims } = rows.attrs as { axes: readonly number[]; keepDims: boolean };
  const { axis } = softmax.attrs as { axis: number };
  const byRow = !keepDims && axes.length === 1 && axes[0] === classAxis;
  const sameShape = oneHot.shape.length === z.shape.length && oneHot.shape.every((d, i) => d === z.shape[i]);
  // the fused kernel subtracts 1 at the label: plain one-hot rows only (not smoothed ones)
  return byRow && classAxis >= 0 && (axis === -1 || axis === classAxis) && sameShape && isPlainOneHot(oneHot.attrs as OneHotAttrs);
}

const gradient = op(
  ops.mul,
  op(ops.broadcastAxes, capture('dy'), capture('z')).as('rows'),
  op(ops.sub, op(ops.softmax, capture('z')).as('softmax').once(), op(ops.oneHot, capture('labels')).as('oneHot').once()).once(),
)
  .commutes()
  .where(alongClasses);

export function fuseSoftmaxCrossEntropy(ir: IR, context: PassContext): IR {
  return rewrite(ir, context.readers.needed, context.readers, [
    { pattern: gradient, to: ({ z, labels, dy }, mul) => withOp(mul, ops.softmaxCrossEntropyGrad, [z.id, labels.id, dy.id]) },
  ]);
}
