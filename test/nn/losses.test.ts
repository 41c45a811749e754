import { describe, expect, it } from 'vitest';
import { compile, grad, Graph } from '../../src/index.ts';
import { binaryCrossEntropy, quadratic, softmaxCrossEntropy } from '../../src/nn/index.ts';

function evaluate(make: (g: Graph, z: ReturnType<Graph['input']>, y: ReturnType<Graph['input']>) => ReturnType<Graph['input']>, z: number[], labels: number[]) {
  const g = new Graph();
  const zt = g.input('z', [null, 2]);
  const y = g.input('y', [null], 'int');
  const loss = make(g, zt, y);
  const [dz] = grad(loss, [zt]);
  return compile(g, { outputs: [loss, dz], dtype: 'float64' })
    .run({ z, y: labels })
    .map((a) => Array.from(a));
}

describe('losses (batch means)', () => {
  it("quadratic: ½‖a − y‖² averaged over the batch", () => {
    const [[loss]] = evaluate((_, z, y) => quadratic(z, y), [0.5, 0.5, 1, 0], [0, 0]);
    expect(loss).toBeCloseTo((0.25 + 0.25 + 0 + 0) / 2 / 2, 15);
  });

  it('binary cross-entropy of a sigmoid output is finite when saturated, with gradient a − y', () => {
    const [[loss], dz] = evaluate((_, z, y) => binaryCrossEntropy(z.sigmoid(), y), [800, -800, 0, 0], [1, 0]);
    // sample 1 is confidently wrong on both outputs: cost ≈ 800 + 800; sample 2: 2 ln 2
    expect(loss).toBeCloseTo((1600 + 2 * Math.log(2)) / 2, 9);
    expect(dz).toEqual([1, -1, -0.5, 0.5].map((v) => expect.closeTo(v / 2, 12)));
  });

  it('binary cross-entropy of any other output uses the formula as written', () => {
    const [[loss]] = evaluate((_, z, y) => binaryCrossEntropy(z, y), [0.9, 0.2, 0.3, 0.6], [0, 1]);
    const c = (a: number, y: number) => -(y * Math.log(a) + (1 - y) * Math.log(1 - a));
    expect(loss).toBeCloseTo((c(0.9, 1) + c(0.2, 0) + c(0.3, 0) + c(0.6, 1)) / 2, 12);
  });

  it('softmax cross-entropy reads through a softmax output to its logits', () => {
    const [[a]] = evaluate((_, z, y) => softmaxCrossEntropy(z.softmax(), y), [1000, -1000, 0, 0], [1, 0]);
    const [[b]] = evaluate((_, z, y) => softmaxCrossEntropy(z, y), [1000, -1000, 0, 0], [1, 0]);
    expect(a).toBe(b);
    expect(a).toBeCloseTo((2000 + Math.log(2)) / 2, 9);
  });

  it('are written plainly and stabilized into the forms built from the logits, node for node', () => {
    const g = new Graph();
    const z = g.input('z', [null, 3]);
    const labels = g.input('labels', [null], 'int');
    const rows = g.input('rows', [null, 3]);
    expect(softmaxCrossEntropy(z.softmax(), labels)).toBe(z.softmaxCrossEntropy(labels).mean());
    expect(softmaxCrossEntropy(z, labels)).toBe(z.softmaxCrossEntropy(labels).mean());
    expect(softmaxCrossEntropy(z, rows)).toBe(z.softmaxCrossEntropy(rows).mean());
    expect(binaryCrossEntropy(z.sigmoid(), labels)).toBe(z.softplus().sub(z.mul(labels.oneHot(3))).sum(-1).mean());
    expect(binaryCrossEntropy(z.sigmoid(), rows)).toBe(z.softplus().sub(z.mul(rows)).sum(-1).mean());
  });
});
