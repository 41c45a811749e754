/**
 * Finds the fully connected layers of a graph, so that a trace can name z^l, a^l, w^l and b^l
 * the way Nielsen does: walking back from the output over `act(a^{l−1} · w^l + b^l)` until the
 * graph input.
 */
import { GraphError } from '../../core/errors.ts';
import { describeNode } from '../../core/ir.ts';
import { isOp, ops } from '../../ops/index.ts';
import type { Tensor } from '../../graph/tensor.ts';

/** A dense layer's activation, as the trace recognises it. */
export type LayerActivation = 'sigmoid' | 'relu' | 'tanh' | 'softmax' | 'linear';

/** One dense layer found in a graph: its parameters and its z and a. */
export interface DenseLayer {
  /** w^l, [n_{l−1}, n_l] (rows are inputs: the row form z = a·w + b). */
  readonly weight: Tensor;
  /** b^l, [n_l], or undefined for a layer without bias. */
  readonly bias?: Tensor;
  /** z^l = a^{l−1}·w^l + b^l. */
  readonly z: Tensor;
  /** a^l = f(z^l) (z^l itself for a linear layer). */
  readonly a: Tensor;
  /** Its activation. */
  readonly activation: LayerActivation;
}

const activationOps: readonly LayerActivation[] = ['sigmoid', 'relu', 'tanh', 'softmax'];

function notDense(t: Tensor, why: string): GraphError {
  return new GraphError(
    `traceBackprop: ${describeNode(t.node)} ${why}; a trace follows dense layers act(a·w + b) from the output back to the input`,
    t.node.site,
  );
}

/**
 * The input of a dropout, `h` of `h ⊙ dropoutMask(h)`: a trace runs without training, where
 * dropout is the identity, so the layers on either side of it are traced as if it were not there.
 */
function throughDropout(t: Tensor): Tensor {
  if (!isOp(t.node, ops.mul)) return t;
  const [h, mask] = t.node.inputs.map((id) => t.graph.tensor(id));
  return isOp(mask.node, ops.dropoutMask) && mask.node.inputs[0] === h.id ? h : t;
}

/** The dense layers from `input` to `output` (dropout passed through), first layer first. */
export function findDenseLayers(output: Tensor, input: Tensor): DenseLayer[] {
  const g = output.graph;
  const layers: DenseLayer[] = [];
  let a = output;
  while (a.id !== input.id) {
    if (isOp(a.node, ops.input)) throw notDense(a, `is an input other than the traced input '${input.name}'`);
    const activation = (activationOps as readonly string[]).includes(a.node.op) ? (a.node.op as LayerActivation) : 'linear';
    const z = activation === 'linear' ? a : g.tensor(a.node.inputs[0]);
    let product = z;
    let bias: Tensor | undefined;
    if (isOp(z.node, ops.add)) {
      const [left, right] = z.node.inputs.map((id) => g.tensor(id));
      if (!isOp(right.node, ops.parameter) || right.rank !== 1) throw notDense(z, 'adds something other than a bias parameter [units]');
      product = left;
      bias = right;
    }
    if (!isOp(product.node, ops.matMul)) throw notDense(product, 'is not a matMul of a dense layer');
    if (product.node.attrs.transposeA || product.node.attrs.transposeB) throw notDense(product, 'transposes an operand');
    const [aPrev, weight] = product.node.inputs.map((id) => g.tensor(id));
    if (!isOp(weight.node, ops.parameter)) throw notDense(product, 'multiplies by something other than a weight parameter');
    layers.unshift({ weight, bias, z, a, activation });
    a = throughDropout(aPrev);
  }
  if (layers.length === 0) throw new GraphError(`traceBackprop: the output is the input '${input.name}'; there is no layer to trace`);
  return layers;
}
