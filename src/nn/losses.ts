/**
 * Losses, each the MEAN over the batch of a per-sample cost, written with graph ops. Targets are
 * int class ids ([batch], turned one-hot in the graph) or float rows of the output's shape.
 * The log-losses are written as their formulas and handed to `stabilize`, which computes them
 * from the logits under a sigmoid or a softmax output: finite when the output saturates, and
 * with the classic gradient a − y.
 */
import { GraphError } from '../core/errors.ts';
import { isOp, ops } from '../ops/index.ts';
import { smoothLabels } from '../ops/softmax.ts';
import { stabilize } from '../graph/passes/index.ts';
import type { Tensor } from '../graph/tensor.ts';

/** The losses a `Model` compiles with. */
export type LossName = 'quadratic' | 'binaryCrossEntropy' | 'softmaxCrossEntropy';

/** Every loss name, for validation and help texts. */
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

/** Nielsen's cross-entropy cost for sigmoid outputs: −Σ_j [y ln a + (1 − y) ln(1 − a)] per sample. */
export function binaryCrossEntropy(outputs: Tensor, labels: Tensor): Tensor {
  const y = targetsFor(outputs, labels);
  const a = outputs;
  return stabilize(y.mul(a.log()).add(y.neg().add(1).mul(a.neg().add(1).log())).neg().sum(-1).mean());
}

/**
 * Cross-entropy −Σ_j y ln p against the labels, of softmax outputs p, or of logits (p their
 * softmax along the last axis). `labelSmoothing` ε (as TF.js) takes y·(1 − ε) + ε/k as targets.
 *
 * @param options.labelSmoothing - ε in [0, 1] (default 0).
 */
export function softmaxCrossEntropy(outputs: Tensor, labels: Tensor, options: { labelSmoothing?: number } = {}): Tensor {
  const p = isOp(outputs.node, ops.softmax) ? outputs : outputs.softmax(-1);
  const { labelSmoothing = 0 } = options;
  const y = labelSmoothing === 0 ? targetsFor(p, labels) : smoothLabels(labels, p, labelSmoothing);
  return stabilize(y.mul(p.log()).neg().sum(-1).mean());
}

/** The losses by name: each takes the outputs and the labels and returns the batch-mean loss. */
export const losses: Record<LossName, (outputs: Tensor, labels: Tensor) => Tensor> = {
  quadratic,
  binaryCrossEntropy,
  softmaxCrossEntropy,
};

/** The loss called `name`; an unknown name is a `GraphError` listing the known ones. */
export function lossFor(name: LossName): (outputs: Tensor, labels: Tensor) => Tensor {
  const loss = losses[name];
  if (!loss) throw new GraphError(`unknown loss '${String(name)}'; use ${lossNames.join(', ')}`);
  return loss;
}
