/**
 * Optimizers as graph: each turns parameters and their gradients into parameter updates that the
 * training step applies, so forward pass, backward pass and update are one compiled program.
 * Optimizer state (velocities, moments, the step count) lives in non-trainable parameters named
 * `optimizer/…`, so it is saved and loaded with the model and training can resume exactly.
 * The learning rate is a fed scalar, so a schedule changes it without recompiling.
 */
import type { Graph } from '../graph/graph.ts';
import { checkOptionNames, formatValue, GraphError } from '../core/errors.ts';
import type { Tensor } from '../graph/tensor.ts';

/** A learning rate that changes with the epoch (0-based). */
export interface Schedule {
  /** `'step'` ({@link stepDecay}) or `'cosine'` ({@link cosineDecay}). */
  readonly kind: 'step' | 'cosine';
  /** Its options, as saved with a model. */
  readonly config: Readonly<Record<string, number>>;
  /** The learning rate at `epoch` (0-based). */
  at(epoch: number): number;
}

/** A learning rate: a number, or a {@link Schedule} that changes it by epoch. */
export type LearningRate = number | Schedule;

/** An optimizer as saved with a model: its name and options. */
export interface OptimizerConfig {
  /** Which optimizer. */
  readonly name: 'sgd' | 'momentum' | 'adam';
  /** The learning rate, or the schedule's kind and options. */
  readonly learningRate:
    | number
    | {
        /** The schedule's kind. */
        kind: Schedule['kind'];
        /** Its options. */
        config: Record<string, number>;
      };
  readonly [option: string]: unknown;
}

/**
 * An optimizer: how a `Model`'s training step updates its parameters from their gradients, as graph
 * updates inside the one compiled step. Made by {@link sgd}, {@link momentum} or {@link adam}.
 */
export interface Optimizer {
  /** Which optimizer. */
  readonly name: OptimizerConfig['name'];
  /** The learning rate, or its schedule. */
  readonly learningRate: LearningRate;
  /** Everything needed to make the same optimizer again (saved with a model). */
  readonly config: OptimizerConfig;
  /** The state kept beside each trainable parameter, one tensor of its shape per name (`optimizer/<parameter>/<name>`). */
  readonly slots: readonly string[];
  /** The update of every parameter, given its gradient and the learning-rate tensor. */
  updates(params: readonly Tensor[], grads: readonly Tensor[], lr: Tensor): [Tensor, Tensor][];
}

/** The learning rate for an epoch. */
export function learningRateAt(lr: LearningRate, epoch: number): number {
  return typeof lr === 'number' ? lr : lr.at(epoch);
}

/**
 * Multiplies the rate by `factor` every `every` epochs.
 *
 * @param options.initial - The rate at epoch 0.
 * @param options.factor - What the rate is multiplied by.
 * @param options.every - Epochs between multiplications.
 */
export function stepDecay(options: { initial: number; factor: number; every: number }): Schedule {
  checkOptionNames('stepDecay', options, ['initial', 'factor', 'every']);
  const { initial, factor, every } = options;
  check('stepDecay', { initial, factor, every });
  return { kind: 'step', config: { initial, factor, every }, at: (epoch) => initial * factor ** Math.floor(epoch / every) };
}

/**
 * Cosine from `initial` at epoch 0 down to `final` at epoch `epochs` (and after).
 *
 * @param options.initial - The rate at epoch 0.
 * @param options.epochs - The epoch the rate reaches `final`.
 * @param options.final - The last rate (default 0).
 */
export function cosineDecay(options: { initial: number; epochs: number; final?: number }): Schedule {
  checkOptionNames('cosineDecay', options, ['initial', 'epochs', 'final']);
  const { initial, epochs, final = 0 } = options;
  check('cosineDecay', { initial, epochs });
  checkRange('cosineDecay', 'final', final, 0, Infinity);
  return {
    kind: 'cosine',
    config: { initial, epochs, final },
    at: (epoch) => final + ((initial - final) * (1 + Math.cos(Math.PI * Math.min(epoch, epochs) / epochs))) / 2,
  };
}

/**
 * Plain mini-batch SGD: W ← W − η·dW.
 *
 * @param options.learningRate - η, a number or a schedule.
 */
export function sgd(options: { learningRate: LearningRate }): Optimizer {
  checkOptionNames('sgd', options, ['learningRate']);
  const learningRate = checkRate('sgd', options?.learningRate); // sgd() from JavaScript: said, not a TypeError
  return {
    name: 'sgd',
    learningRate,
    slots: [],
    config: { name: 'sgd', learningRate: rateConfig(learningRate) },
    updates: (params, grads, lr) => params.map((p, i) => [p, p.sub(grads[i].mul(lr))]),
  };
}

/**
 * SGD with momentum: v ← μv − η·dW, W ← W + v (Nesterov: W ← W + μv − η·dW with the new v).
 *
 * @param options.learningRate - η, a number or a schedule.
 * @param options.momentum - μ in [0, 1) (default 0.9).
 * @param options.nesterov - Nesterov's form (default false).
 */
export function momentum(options: { learningRate: LearningRate; momentum?: number; nesterov?: boolean }): Optimizer {
  checkOptionNames('momentum', options, ['learningRate', 'momentum', 'nesterov']);
  const learningRate = checkRate('momentum', options?.learningRate);
  const mu = options?.momentum ?? 0.9;
  const nesterov = options?.nesterov ?? false;
  checkRange('momentum', 'momentum', mu, 0, 1);
  if (typeof nesterov !== 'boolean') throw new GraphError(`momentum: nesterov must be true or false, got ${formatValue(nesterov)}`);
  return {
    name: 'momentum',
    learningRate,
    slots: ['velocity'],
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

/**
 * Adam (Kingma & Ba, Algorithm 1): W ← W − η·m̂ / (√v̂ + ε) with bias-corrected moments.
 *
 * @param options.learningRate - η (default 0.001), a number or a schedule.
 * @param options.beta1 - Decay of the first moment (default 0.9).
 * @param options.beta2 - Decay of the second moment (default 0.999).
 * @param options.epsilon - Added to √v̂ (default 1e-8).
 */
export function adam(options: { learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number } = {}): Optimizer {
  checkOptionNames('adam', options, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const learningRate = checkRate('adam', options.learningRate ?? 0.001);
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
  checkRange('adam', 'beta1', beta1, 0, 1);
  checkRange('adam', 'beta2', beta2, 0, 1);
  check('adam', { epsilon });
  return {
    name: 'adam',
    learningRate,
    slots: ['m', 'v'],
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
  if (config === null || typeof config !== 'object') throw new GraphError(`optimizer config must be an object, got ${formatValue(config)}`);
  const lr = config.learningRate;
  let learningRate: LearningRate;
  if (typeof lr === 'number') learningRate = lr;
  else if (lr !== null && typeof lr === 'object' && lr.config !== null && typeof lr.config === 'object' && (lr.kind === 'step' || lr.kind === 'cosine')) {
    learningRate = lr.kind === 'step' ? stepDecay(lr.config as { initial: number; factor: number; every: number }) : cosineDecay(lr.config as { initial: number; epochs: number; final?: number });
  } else throw new GraphError(`optimizer config: learningRate must be a number or a step or cosine schedule, got ${formatValue(lr)}`);
  const { name, ...rest } = config;
  const options = { ...rest, learningRate } as Record<string, unknown>;
  switch (name) {
    case 'sgd':
      return sgd(options as { learningRate: LearningRate });
    case 'momentum':
      return momentum(options as { learningRate: LearningRate; momentum?: number; nesterov?: boolean });
    case 'adam':
      return adam(options as { learningRate?: LearningRate });
    default:
      throw new GraphError(`unknown optimizer ${formatValue(name)}; use sgd, momentum or adam`);
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
  // A string has `.at` too: a schedule is an object made by stepDecay or cosineDecay.
  else if (lr === null || typeof lr !== 'object' || typeof lr.at !== 'function') {
    throw new GraphError(`${name}: learningRate must be a positive number or a schedule (stepDecay, cosineDecay), got ${formatValue(lr)}`);
  }
  return lr;
}

function check(name: string, values: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new GraphError(`${name}: ${k} must be a positive number, got ${formatValue(v)}`);
  }
}

/** A number in [min, max). */
function checkRange(name: string, key: string, v: unknown, min: number, max: number): void {
  if (!(typeof v === 'number' && v >= min && v < max)) throw new GraphError(`${name}: ${key} must be a number in [${min}, ${max}), got ${formatValue(v)}`);
}
