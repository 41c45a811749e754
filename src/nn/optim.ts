/**
 * Optimizers as graph: each turns parameters and their gradients into parameter updates that the
 * training step applies, so forward pass, backward pass and update are one compiled program.
 * Optimizer state (velocities, moments, the step count) lives in non-trainable parameters named
 * `optimizer/…`, so it is saved and loaded with the model and training can resume exactly.
 * The learning rate is a fed scalar, so a schedule changes it without recompiling.
 */
import type { Graph } from '../graph/graph.ts';
import { GraphError } from '../core/errors.ts';
import type { Tensor } from '../graph/tensor.ts';

/** A learning rate that changes with the epoch (0-based). */
export interface Schedule {
  readonly kind: 'step' | 'cosine';
  readonly config: Readonly<Record<string, number>>;
  at(epoch: number): number;
}

export type LearningRate = number | Schedule;

export interface OptimizerConfig {
  readonly name: 'sgd' | 'momentum' | 'adam';
  readonly learningRate: number | { kind: Schedule['kind']; config: Record<string, number> };
  readonly [option: string]: unknown;
}

export interface Optimizer {
  readonly name: OptimizerConfig['name'];
  readonly learningRate: LearningRate;
  /** Everything needed to make the same optimizer again (saved with a model). */
  readonly config: OptimizerConfig;
  /** The update of every parameter, given its gradient and the learning-rate tensor. */
  updates(params: readonly Tensor[], grads: readonly Tensor[], lr: Tensor): [Tensor, Tensor][];
}

/** The learning rate for an epoch. */
export function learningRateAt(lr: LearningRate, epoch: number): number {
  return typeof lr === 'number' ? lr : lr.at(epoch);
}

/** Multiplies the rate by `factor` every `every` epochs. */
export function stepDecay(options: { initial: number; factor: number; every: number }): Schedule {
  const { initial, factor, every } = options;
  check('stepDecay', { initial, factor, every });
  return { kind: 'step', config: { initial, factor, every }, at: (epoch) => initial * factor ** Math.floor(epoch / every) };
}

/** Cosine from `initial` at epoch 0 down to `final` at epoch `epochs` (and after). */
export function cosineDecay(options: { initial: number; epochs: number; final?: number }): Schedule {
  const { initial, epochs, final = 0 } = options;
  check('cosineDecay', { initial, epochs, final: final + 1e-300 });
  return {
    kind: 'cosine',
    config: { initial, epochs, final },
    at: (epoch) => final + ((initial - final) * (1 + Math.cos(Math.PI * Math.min(epoch, epochs) / epochs))) / 2,
  };
}

/** Plain mini-batch SGD: W ← W − η·dW. */
export function sgd(options: { learningRate: LearningRate }): Optimizer {
  const learningRate = checkRate('sgd', options.learningRate);
  return {
    name: 'sgd',
    learningRate,
    config: { name: 'sgd', learningRate: rateConfig(learningRate) },
    updates: (params, grads, lr) => params.map((p, i) => [p, p.sub(grads[i].mul(lr))]),
  };
}

/** SGD with momentum: v ← μv − η·dW, W ← W + v (Nesterov: W ← W + μv − η·dW with the new v). */
export function momentum(options: { learningRate: LearningRate; momentum?: number; nesterov?: boolean }): Optimizer {
  const learningRate = checkRate('momentum', options.learningRate);
  const mu = options.momentum ?? 0.9;
  const nesterov = options.nesterov ?? false;
  check('momentum', { momentum: mu + 1e-300 });
  return {
    name: 'momentum',
    learningRate,
    config: { name: 'momentum', learningRate: rateConfig(learningRate), momentum: mu, nesterov },
    updates: (params, grads, lr) =>
      params.flatMap((p, i) => {
        const v = slot(p.graph, p, 'velocity');
        const step = grads[i].mul(lr);
        const vNew = v.mul(mu).sub(step);
        const wNew = nesterov ? p.add(vNew.mul(mu)).sub(step) : p.add(vNew);
        return [
          [v, vNew],
          [p, wNew],
        ] as [Tensor, Tensor][];
      }),
  };
}

/** Adam (Kingma & Ba, Algorithm 1): W ← W − η·m̂ / (√v̂ + ε) with bias-corrected moments. */
export function adam(options: { learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number } = {}): Optimizer {
  const learningRate = checkRate('adam', options.learningRate ?? 0.001);
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
  check('adam', { beta1: beta1 + 1e-300, beta2: beta2 + 1e-300, epsilon });
  return {
    name: 'adam',
    learningRate,
    config: { name: 'adam', learningRate: rateConfig(learningRate), beta1, beta2, epsilon },
    updates: (params, grads, lr) => {
      if (params.length === 0) return [];
      const g = params[0].graph;
      const t = g.has('optimizer/step') ? g.get('optimizer/step') : g.parameter('optimizer/step', [], [0], { trainable: false });
      const tNew = t.add(1);
      // Bias corrections 1 − β^t, with β^t = e^{t ln β} (t is a tensor: the step count).
      const correct1 = tNew.mul(Math.log(beta1)).exp().neg().add(1);
      const correct2 = tNew.mul(Math.log(beta2)).exp().neg().add(1);
      const out: [Tensor, Tensor][] = [[t, tNew]];
      params.forEach((p, i) => {
        const m = slot(g, p, 'm');
        const v = slot(g, p, 'v');
        const mNew = m.mul(beta1).add(grads[i].mul(1 - beta1));
        const vNew = v.mul(beta2).add(grads[i].square().mul(1 - beta2));
        const step = mNew.div(correct1).div(vNew.div(correct2).sqrt().add(epsilon)).mul(lr);
        out.push([m, mNew], [v, vNew], [p, p.sub(step)]);
      });
      return out;
    },
  };
}

/** Makes an optimizer again from its config (as saved with a model). */
export function optimizerFromConfig(config: OptimizerConfig): Optimizer {
  const lr = config.learningRate;
  const learningRate: LearningRate =
    typeof lr === 'number'
      ? lr
      : lr.kind === 'step'
        ? stepDecay(lr.config as { initial: number; factor: number; every: number })
        : cosineDecay(lr.config as { initial: number; epochs: number; final?: number });
  const options = { ...config, learningRate } as Record<string, unknown>;
  switch (config.name) {
    case 'sgd':
      return sgd(options as { learningRate: LearningRate });
    case 'momentum':
      return momentum(options as { learningRate: LearningRate; momentum?: number; nesterov?: boolean });
    case 'adam':
      return adam(options as { learningRate?: LearningRate });
    default:
      throw new GraphError(`unknown optimizer '${String((config as { name: unknown }).name)}'; use sgd, momentum or adam`);
  }
}

/** A zero-initialised state tensor beside parameter `p`, reused if the graph has it already. */
function slot(g: Graph, p: Tensor, kind: string): Tensor {
  const name = `optimizer/${p.name}/${kind}`;
  return g.has(name) ? g.get(name) : g.parameter(name, p.shape as number[], 'zeros', { trainable: false });
}

function rateConfig(lr: LearningRate): OptimizerConfig['learningRate'] {
  return typeof lr === 'number' ? lr : { kind: lr.kind, config: { ...lr.config } };
}

function checkRate(name: string, lr: LearningRate): LearningRate {
  if (typeof lr === 'number') check(name, { learningRate: lr });
  else if (!lr || typeof lr.at !== 'function') throw new GraphError(`${name}: learningRate must be a number or a schedule`);
  return lr;
}

function check(name: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!(Number.isFinite(v) && v > 0)) throw new GraphError(`${name}: ${k} must be a positive number, got ${v}`);
  }
}
