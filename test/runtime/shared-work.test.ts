import { describe, expect, it } from 'vitest';
import { compile, Device, grad, Graph } from '../../src/index.ts';
import { softmaxCrossEntropy } from '../../src/nn/losses.ts';
import '../../src/nn/index.ts';

/** Two conv layers (the second with 'same' padding and stride 2) and a dense head: a training step's gradients. */
function net() {
  const g = new Graph({ seed: 7 });
  const x = g.input('x', [null, 10, 10, 2]);
  const labels = g.input('labels', [null], 'int');
  const h = g.conv2d(x, 5, { kernelSize: 3, activation: 'relu', biasInitializer: 'randomNormal' });
  const h2 = g.conv2d(h, 4, { kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', biasInitializer: 'randomNormal' });
  const loss = softmaxCrossEntropy(g.dense(g.flatten(h2), 3), labels);
  return { g, h, outputs: [loss, ...grad(loss, g.parameters)] };
}

const feeds = (n: number) => ({
  x: Float64Array.from({ length: n * 200 }, (_, i) => (i % 3 === 0 ? 0 : Math.sin(i * 0.37))),
  labels: Float64Array.from({ length: n }, (_, i) => i % 3),
});

describe("kernels' shared working memory", () => {
  it("gives each conv layer's forward pass and filter gradient one buffer of windows, and the gradients are right", () => {
    const { g, outputs } = net();
    const step = compile(g, { outputs, device: new Device({ threads: false }) });
    const shared = step.run(feeds(6));
    expect(step.stats.sharedWork).toBe(2); // one per conv layer
    // float64 runs the JS kernels, which share nothing: the reference
    const reference = compile(g, { outputs, dtype: 'float64' }).run(feeds(6));
    shared.forEach((values, i) => {
      const scale = Math.max(1e-3, ...Array.from(reference[i], Math.abs));
      const error = Math.max(...Array.from(values, (v, j) => Math.abs(v - reference[i][j])));
      expect(error / scale).toBeLessThan(1e-5);
    });
  });

  it('shares nothing where one kernel alone asks (a forward pass with no gradient)', () => {
    const { g, h } = net();
    const forward = compile(g, { outputs: [h], device: new Device({ threads: false }) });
    forward.run(feeds(2));
    expect(forward.stats.sharedWork).toBe(0);
  });

  it('keeps the windows from step to step right: batches of other sizes and other images', () => {
    const { g, outputs } = net();
    const step = compile(g, { outputs, device: new Device({ threads: true }) });
    const reference = compile(g, { outputs, dtype: 'float64' });
    for (const n of [3, 7, 3]) {
      const f = feeds(n);
      f.x = f.x.map((v, i) => v * (1 + n / 10) + (i % 11 === 0 ? 0.5 : 0));
      const [got, want] = [step.run(f), reference.run(f)];
      got.forEach((values, i) => {
        const scale = Math.max(1e-3, ...Array.from(want[i], Math.abs));
        expect(Math.max(...Array.from(values, (v, j) => Math.abs(v - want[i][j]))) / scale).toBeLessThan(1e-5);
      });
    }
  });
});
