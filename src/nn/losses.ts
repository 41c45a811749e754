/**
 * Losses, each the MEAN over the batch of a per-sample cost, written with graph ops. Targets are
 * int class ids ([batch], turned one-hot in the graph) or float rows of the output's shape.
 * Where the output is a sigmoid or a softmax, the loss is computed from the logits underneath, so
 * it stays finite when the output saturates and its gradient is the classic a − y.
 */
import { GraphError } from '../graph/errors.ts';
import type { Tensor } from '../graph/tensor.ts';

export type LossName = 'quadratic' | 'binaryCrossEntropy' | 'softmaxCrossEntropy';

export const lossNames: readonly LossName[] = ['quadratic', 'binaryCrossEntropy', 'softmaxCrossEntropy'];

/** Float targets of the output's shape, from int class ids if need be. */
function targetsFor(outputs: Tensor, labels: Tensor): Tensor {
  if (labels.dtype === 'float') return labels;
  const classes = outputs.shape[outputs.rank - 1];
  if (classes === null) throw new GraphError('loss: the output needs a known class dimension to one-hot int labels');
  return labels.oneHot(classes);
}

/** Nielsen's quadratic cost: ½‖a − y‖² per sample, averaged over the batch. */
export function quadratic(outputs: Tensor, labels: Tensor): Tensor {
  return outputs.sub(targetsFor(outputs, labels)).square().sum(-1).mean().mul(0.5);
}

/**
 * Nielsen's cross-entropy cost for sigmoid outputs: −Σ_j [y ln a + (1 − y) ln(1 − a)]. For
 * a = σ(z) it is computed as Σ softplus(z) − z·y, exact and finite for any z, gradient σ(z) − y.
 */
export function binaryCrossEntropy(outputs: Tensor, labels: Tensor): Tensor {
  const y = targetsFor(outputs, labels);
  if (outputs.node.op === 'sigmoid') {
    const z = outputs.graph.tensor(outputs.node.inputs[0]);
    return z.softplus().sub(z.mul(y)).sum(-1).mean();
  }
  const a = outputs;
  return y.mul(a.log()).add(y.neg().add(1).mul(a.neg().add(1).log())).sum(-1).mean().neg();
}

/** Cross-entropy of softmax outputs (or of logits) against the labels, stable at any logits. */
export function softmaxCrossEntropy(outputs: Tensor, labels: Tensor): Tensor {
  const logits = outputs.node.op === 'softmax' ? outputs.graph.tensor(outputs.node.inputs[0]) : outputs;
  return logits.softmaxCrossEntropy(labels).mean();
}

export const losses: Record<LossName, (outputs: Tensor, labels: Tensor) => Tensor> = {
  quadratic,
  binaryCrossEntropy,
  softmaxCrossEntropy,
};

export function lossFor(name: LossName): (outputs: Tensor, labels: Tensor) => Tensor {
  const loss = losses[name];
  if (!loss) throw new GraphError(`unknown loss '${String(name)}'; use ${lossNames.join(', ')}`);
  return loss;
}
