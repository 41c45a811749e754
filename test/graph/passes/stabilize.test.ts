import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Tensor } from '../../../src/index.ts';
import { ancestors } from '../../../src/core/ir.ts';
import { isOp, ops, type OpDef } from '../../../src/ops/index.ts';
import { stabilize } from '../../../src/graph/passes/stabilize.ts';

/** Value and gradient (float64) of f(z) at z, z of shape [2, 2], with class ids [1, 0] or rows y. */
function run(f: (z: Tensor, labels: Tensor, g: Graph) => Tensor, z: number[], rows = false) {
  const g = new Graph();
  const zt = g.input('z', [null, 2]);
  const labels = rows ? g.input('labels', [null, 2]) : g.input('labels', [null], 'int');
  const loss = f(zt, labels, g);
  const [dz] = grad(loss, [zt]);
  const [value, gradient] = compile(g, { outputs: [loss, dz], dtype: 'float64' }).run({ z, labels: rows ? [0, 1, 1, 0] : [1, 0] });
  return { loss, value: Array.from(value), gradient: Array.from(gradient) };
}

const reads = (t: Tensor, op: OpDef<never>) => ancestors(t.graph.ir().nodes, [t.id]).some((id) => isOp(t.graph.ir().nodes[id], op));
const saturated = [800, -800, 0, 0];

describe('stabilize', () => {
  it('turns −[y ln σ(z) + (1 − y) ln(1 − σ(z))] into softplus(z) − z·y, written either way round', () => {
    const forms: ((a: Tensor, y: Tensor, g: Graph) => Tensor)[] = [
      (a, y) => y.mul(a.log()).add(y.neg().add(1).mul(a.neg().add(1).log())).neg(),
      (a, y, g) => g.constant(1).sub(a).log().mul(g.constant(1).sub(y)).add(a.log().mul(y)).neg(),
    ];
    for (const form of forms) {
      const { loss, value, gradient } = run((z, labels, g) => {
        const stable = stabilize(form(z.sigmoid(), labels.oneHot(2), g).sum(-1).mean());
        expect(stable).toBe(z.softplus().sub(z.mul(labels.oneHot(2))).sum(-1).mean());
        return stable;
      }, saturated);
      expect(reads(loss, ops.log)).toBe(false);
      expect(reads(loss, ops.softplus)).toBe(true);
      expect(value[0]).toBeCloseTo((1600 + 2 * Math.log(2)) / 2, 9);
      expect(gradient).toEqual([1, -1, -0.5, 0.5].map((v) => v / 2)); // (σ(z) − y) / batch, exactly
    }
  });

  it('turns Σ −y ln softmax(z) over the classes into softmaxCrossEntropy, with the class ids under a one-hot', () => {
    const g = new Graph();
    const z = g.input('z', [null, 3]);
    const ids = g.input('ids', [null], 'int');
    const rows = g.input('rows', [null, 3]);
    const direct = z.softmaxCrossEntropy(ids);
    // Built by hash-consing on the nodes of the direct form, so it is that very tensor.
    expect(stabilize(ids.oneHot(3).mul(z.softmax().log()).neg().sum(-1))).toBe(direct);
    expect(stabilize(z.softmax(1).log().mul(ids.oneHot(3)).sum(1).neg())).toBe(direct);
    expect(stabilize(rows.mul(z.softmax().log()).neg().sum(-1).mean())).toBe(z.softmaxCrossEntropy(rows).mean());

    const { loss, value, gradient } = run((z, labels) => stabilize(labels.oneHot(2).mul(z.softmax().log()).neg().sum(-1).mean()), [1000, -1000, 0, 0]);
    expect(reads(loss, ops.log)).toBe(false);
    expect(value[0]).toBeCloseTo((2000 + Math.log(2)) / 2, 9);
    expect(gradient).toEqual([0.5, -0.5, -0.25, 0.25]); // (softmax(z) − y) / batch
  });

  it('rewrites ln softmax(z), ln σ(z) and ln(1 − σ(z)) found alone, keeping the softmax axis', () => {
    const { loss, value, gradient } = run((z) => stabilize(z.softmax(0).log().add(z.sigmoid().log()).add(z.sigmoid().neg().add(1).log()).sum()), saturated);
    expect(reads(loss, ops.log)).toBe(false);
    expect(reads(loss, ops.logSoftmax)).toBe(true);
    const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    const logSoftmax0 = [0, -800, -800, 0]; // down the columns [800, 0] and [−800, 0]
    const expected = saturated.map((z, i) => logSoftmax0[i] - softplus(-z) - softplus(z));
    expect(value[0]).toBeCloseTo(expected.reduce((s, v) => s + v, 0), 9);
    expect(gradient.every(Number.isFinite)).toBe(true);
  });

  it('leaves other forms alone: a cross-entropy over the wrong axis, or of something not a sigmoid', () => {
    const g = new Graph();
    const z = g.input('z', [3, 4]);
    const y = g.input('y', [3, 4]);
    const plain = y.mul(z.log()).add(y.neg().add(1).mul(z.neg().add(1).log())).neg().sum();
    expect(stabilize(plain)).toBe(plain);
    const overBatch = stabilize(y.mul(z.softmax().log()).neg().sum(0));
    expect(reads(overBatch, ops.softmaxCrossEntropy)).toBe(false);
    expect(reads(overBatch, ops.logSoftmax)).toBe(true); // the piece that is stable alone still is
  });

  it('keeps a random node as it is rather than drawing a new one', () => {
    const g = new Graph();
    const z = g.input('z', [3, 4]);
    const masked = g.dropout(z.sigmoid().log(), 0.5);
    const mask = ancestors(g.ir().nodes, [masked.id]).find((id) => isOp(g.ir().nodes[id], ops.dropoutMask))!;
    const stable = stabilize(masked.sum());
    expect(stable).not.toBe(masked.sum());
    expect(ancestors(g.ir().nodes, [stable.id]).filter((id) => isOp(g.ir().nodes[id], ops.dropoutMask))).toEqual([mask]);
  });
});
