import { describe, expect, it } from 'vitest';
import { compile, grad, Graph } from '../../src/index.ts';
import { adam, cosineDecay, momentum, optimizerFromConfig, sgd, stepDecay, type Optimizer } from '../../src/nn/index.ts';
import { blobs, smallModel } from './helpers.ts';

/** Runs `steps` updates of f(w) = ½ Σ (w − t)² (gradient w − t) and returns w after each. */
function trajectory(optimizer: Optimizer, steps: number, lr = 0.1): number[][] {
  const g = new Graph();
  const w = g.parameter('w', [2], [1, -2]);
  const t = g.constant([0.5, 0.5]);
  const loss = w.sub(t).square().sum().mul(0.5);
  const [dw] = grad(loss, [w]);
  const step = compile(g, { outputs: [], updates: optimizer.updates([w], [dw], g.input('lr', [])), dtype: 'float64' });
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    step.run({ lr: [lr] });
    out.push(Array.from(step.device.read('w')));
  }
  return out;
}

describe('optimizers as graph updates', () => {
  it('sgd: w ← w − η·g', () => {
    expect(trajectory(sgd({ learningRate: 0.1 }), 1)[0]).toEqual([1 - 0.1 * 0.5, -2 - 0.1 * -2.5]);
  });

  it('momentum: v ← μv − η·g, w ← w + v', () => {
    const [w1, w2] = trajectory(momentum({ learningRate: 0.1, momentum: 0.9 }), 2);
    let w = 1;
    let v = 0;
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      v = 0.9 * v - 0.1 * (w - 0.5);
      w += v;
      expected.push(w);
    }
    expect(w1[0]).toBeCloseTo(expected[0], 15);
    expect(w2[0]).toBeCloseTo(expected[1], 15);
  });

  it('adam: bias-corrected moments', () => {
    const ws = trajectory(adam({ learningRate: 0.1 }), 3);
    let w = 1;
    let m = 0;
    let v = 0;
    for (let t = 1; t <= 3; t++) {
      const g = w - 0.5;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      w -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      expect(ws[t - 1][0]).toBeCloseTo(w, 12);
    }
  });

  it("L2 in Nielsen's form: W ← (1 − ηλ/n)·W − η·dW on kernels, not biases", () => {
    const data = blobs(50);
    const make = (l2?: number) => smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.5 }), ...(l2 ? { l2 } : {}) });
    const plain = make();
    const decayed = make(5);
    const w0 = plain.getWeights();
    plain.fit(data, { epochs: 1, batchSize: 50, shuffle: false });
    decayed.fit(data, { epochs: 1, batchSize: 50, shuffle: false });
    const shrink = 1 - (0.5 * 5) / 50;
    for (const [name, w] of decayed.getWeights()) {
      const expected = plain.getWeights().get(name)!.map((v, i) => (name.endsWith('kernel') ? v - (1 - shrink) * w0.get(name)![i] : v));
      expect(Array.from(w)).toEqual(Array.from(expected).map((v) => expect.closeTo(v, 6)));
    }
  });

  it('schedules: step and cosine', () => {
    const step = stepDecay({ initial: 1, factor: 0.5, every: 2 });
    expect([0, 1, 2, 3, 4].map((e) => step.at(e))).toEqual([1, 1, 0.5, 0.5, 0.25]);
    const cos = cosineDecay({ initial: 1, epochs: 4, final: 0.2 });
    expect(cos.at(0)).toBe(1);
    expect(cos.at(2)).toBeCloseTo(0.6, 15);
    expect(cos.at(4)).toBeCloseTo(0.2, 15);
    expect(cos.at(9)).toBeCloseTo(0.2, 15);
  });

  it('uses the schedule per epoch in fit, and rebuilds from its config', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: stepDecay({ initial: 2, factor: 0.1, every: 1 }) }) });
    const h = model.fit(blobs(20), { epochs: 3, batchSize: 10 });
    expect(h.epochs.map((e) => e.learningRate)).toEqual([2, 0.2, 0.02].map((v) => expect.closeTo(v, 6)));
    const again = optimizerFromConfig(adam({ learningRate: cosineDecay({ initial: 0.1, epochs: 3 }), beta1: 0.8 }).config);
    expect(again.config).toEqual({ name: 'adam', learningRate: { kind: 'cosine', config: { initial: 0.1, epochs: 3, final: 0 } }, beta1: 0.8, beta2: 0.999, epsilon: 1e-8 });
    expect(() => sgd({ learningRate: -1 })).toThrow(/learningRate must be a positive number, got -1/);
  });
});
