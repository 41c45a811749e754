/**
 * The models of the benchmarks' workloads, as deltagraph Models (bench/training.ts in Node,
 * bench/webgpu.ts in a page): imports only browser-safe entries.
 *   W1: [784,30,10] sigmoid, quadratic cost, SGD, batch 10, η = 3
 *   W2: [784,800,10] ReLU, softmax cross-entropy, SGD, batch 128, η = 0.1
 *   W3: images [28,28,1]: conv 5x5x20 ReLU → max pool 2 → conv 5x5x40 ReLU → max pool 2 → dense 100
 *       ReLU → dense 10, softmax cross-entropy, SGD with momentum (η = 0.05, μ = 0.9), batch 64
 */
import { Graph, type Device } from '../src/index.ts';
import { Model, momentum, sgd } from '../src/nn/index.ts';

/** Where a workload's Model runs: `threads` undefined leaves the Model's default; `device` a device of yours. */
export interface ModelOptions {
  threads?: boolean;
  device?: Device;
}

const placed = (options: ModelOptions) => ({
  ...(options.threads === undefined ? {} : { threads: options.threads }),
  ...(options.device ? { device: options.device } : {}),
});

/** W1 and W2: one hidden layer. */
export function mlp(hidden: number, activation: 'sigmoid' | 'relu', loss: 'quadratic' | 'softmaxCrossEntropy', lr: number) {
  return (options: ModelOptions = {}): Model => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 784]);
    const h = g.dense(x, hidden, { activation });
    const out = g.dense(h, 10, { activation: activation === 'sigmoid' ? 'sigmoid' : 'linear' });
    return new Model({ inputs: x, outputs: out, ...placed(options) }).compile({ loss, optimizer: sgd({ learningRate: lr }) });
  };
}

/** W3, as bench/conv.ts. */
export function convNet(options: ModelOptions = {}): Model {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 28, 28, 1]);
  let h = g.maxPool2d(g.conv2d(x, 20, { kernelSize: 5, activation: 'relu' }), { poolSize: 2 });
  h = g.maxPool2d(g.conv2d(h, 40, { kernelSize: 5, activation: 'relu' }), { poolSize: 2 });
  h = g.dense(g.flatten(h), 100, { activation: 'relu' });
  return new Model({ inputs: x, outputs: g.dense(h, 10), ...placed(options) }).compile({
    loss: 'softmaxCrossEntropy',
    optimizer: momentum({ learningRate: 0.05, momentum: 0.9 }),
  });
}

export const buildW1 = mlp(30, 'sigmoid', 'quadratic', 3);
export const buildW2 = mlp(800, 'relu', 'softmaxCrossEntropy', 0.1);
export const buildW3 = convNet;
