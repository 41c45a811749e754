/**
 * Holds deltagraph's autodiff gradients against the hand-derived BP1–BP4 reference: the same
 * fully connected net is built once as a graph and once as a reference Net, with the same random
 * parameters and mini-batch, and every weight and bias gradient is compared in float64.
 */
import { grad } from '../../graph/autodiff.ts';
import { Graph } from '../../graph/graph.ts';
import { compile } from '../../runtime/compile.ts';
import { initialValues } from '../../graph/initializers.ts';
import type { Tensor } from '../../graph/tensor.ts';
import { Rng } from '../../core/rng.ts';
import { dense } from '../layers.ts';
import { backprop, relu, sigmoid, tanh, type Activation, type Cost, type Equations, type Net } from './backprop.ts';
import { matrix } from './matrix.ts';

/** A net to compare autodiff with the reference on. */
export interface NetSpec {
  /** Layer sizes, input first: [784, 30, 10]. */
  sizes: readonly number[];
  /** The hidden layers' activation. */
  hidden: 'sigmoid' | 'relu' | 'tanh';
  /** The cost. */
  cost: Cost;
  /** The batch size. */
  batch: number;
  /** Seed of the weights and the batch (default 1). */
  seed?: number;
}

/** What {@link compareWithReference} found. */
export interface Comparison {
  /** ‖autodiff − reference‖∞ / max(‖autodiff‖∞, ‖reference‖∞) for each parameter. */
  errors: {
    /** The parameter's name. */
    name: string;
    /** Its relative error. */
    relativeError: number;
  }[];
  /** The largest of those errors. */
  maxRelativeError: number;
  /** The loss from the autodiff graph. */
  lossAutodiff: number;
  /** The loss from the reference. */
  lossReference: number;
}

/** The reference nets: [784,30,10] and [20,16,16,10] sigmoid nets with both costs, and a ReLU/softmax-CE net. */
export const referenceNets: readonly NetSpec[] = [
  { sizes: [784, 30, 10], hidden: 'sigmoid', cost: 'quadratic', batch: 10 },
  { sizes: [784, 30, 10], hidden: 'sigmoid', cost: 'crossEntropy', batch: 10 },
  { sizes: [20, 16, 16, 10], hidden: 'sigmoid', cost: 'quadratic', batch: 10 },
  { sizes: [20, 16, 16, 10], hidden: 'sigmoid', cost: 'crossEntropy', batch: 10 },
  { sizes: [784, 30, 10], hidden: 'relu', cost: 'softmaxCrossEntropy', batch: 50 },
];

const activations: Record<NetSpec['hidden'], Activation> = { sigmoid, relu, tanh };

/** The loss of `spec`'s net written with graph ops, the way a user writes it. */
export function buildLoss(
  g: Graph,
  spec: NetSpec,
): {
  /** The batch-mean loss. */
  loss: Tensor;
  /** The weights and biases, layer by layer. */
  params: Tensor[];
} {
  const { sizes, hidden, cost } = spec;
  const x = g.input('x', [null, sizes[0]]);
  const y = g.input('y', [null, sizes[sizes.length - 1]]);
  let a = x;
  for (let l = 1; l < sizes.length; l++) {
    const z = dense(a, sizes[l], { name: `layer${l}`, kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' });
    a = l < sizes.length - 1 ? z[hidden]() : cost === 'softmaxCrossEntropy' ? z : z.sigmoid();
  }
  let loss: Tensor;
  if (cost === 'quadratic') loss = a.sub(y).square().sum(1).mean().mul(0.5);
  else if (cost === 'crossEntropy') loss = y.mul(a.log()).add(y.neg().add(1).mul(a.neg().add(1).log())).sum(1).mean().neg();
  else loss = a.softmaxCrossEntropy(y).mean();
  return { loss, params: g.parameters };
}

/**
 * Compares autodiff with the reference on random N(0,1) parameters and a random mini-batch
 * (inputs in [0,1), one-hot targets). `overrides` plants a bug in the reference equations.
 */
export function compareWithReference(spec: NetSpec, overrides: Partial<Equations> = {}): Comparison {
  const g = new Graph({ seed: spec.seed ?? 1 });
  const { loss, params } = buildLoss(g, spec);
  const grads = grad(loss, params);
  const program = compile(g, { outputs: [loss, ...grads], dtype: 'float64' });

  const rng = new Rng((spec.seed ?? 1) + 1000);
  const n0 = spec.sizes[0];
  const nL = spec.sizes[spec.sizes.length - 1];
  const x = Float64Array.from({ length: spec.batch * n0 }, () => rng.next());
  const y = new Float64Array(spec.batch * nL);
  for (let r = 0; r < spec.batch; r++) y[r * nL + rng.int(nL)] = 1;
  const [lossValue, ...autodiff] = program.run({ x, y });

  const layers = spec.sizes.length - 1;
  const ir = g.ir();
  const weights = Array.from({ length: layers }, (_, l) => matrix(spec.sizes[l], spec.sizes[l + 1], initialValues(ir.init.get(params[2 * l].id)!)));
  const biases = Array.from({ length: layers }, (_, l) => initialValues(ir.init.get(params[2 * l + 1].id)!));
  const net: Net = { weights, biases, hidden: activations[spec.hidden], output: sigmoid, cost: spec.cost };
  const reference = backprop(net, matrix(spec.batch, n0, x), matrix(spec.batch, nL, y), overrides);

  const errors = params.map((p, i) => {
    const l = Math.floor(i / 2);
    const expected = i % 2 === 0 ? reference.weightGradients[l].data : reference.biasGradients[l];
    return { name: p.name!, relativeError: relativeError(autodiff[i], expected) };
  });
  return {
    errors,
    maxRelativeError: Math.max(...errors.map((e) => e.relativeError)),
    lossAutodiff: lossValue[0],
    lossReference: reference.loss,
  };
}

/** ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞) (0 when both are 0; Infinity when the lengths differ). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
