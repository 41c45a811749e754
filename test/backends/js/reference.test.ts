import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, type Tensor } from '../../../src/index.ts';

/** Runs `f` on constant inputs in float64 and returns its values. */
function values(f: (g: Graph) => Tensor): number[] {
  const g = new Graph();
  return Array.from(compile(g, { outputs: [f(g)], dtype: 'float64' }).run()[0]);
}

describe('forward values', () => {
  it('matMul in its four transpose forms agrees with a plain triple loop', () => {
    const a = [[1, 2, 3], [4, 5, 6]]; // 2x3
    const b = [[7, 8], [9, 10], [11, 12]]; // 3x2
    const expected = [58, 64, 139, 154];
    const t = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));
    expect(values((g) => g.constant(a).matMul(g.constant(b)))).toEqual(expected);
    expect(values((g) => g.constant(t(a)).matMul(g.constant(b), true))).toEqual(expected);
    expect(values((g) => g.constant(a).matMul(g.constant(t(b)), false, true))).toEqual(expected);
    expect(values((g) => g.constant(t(a)).matMul(g.constant(t(b)), true, true))).toEqual(expected);
  });

  it('reduces over any axes with keepDims', () => {
    const x = (g: Graph) => g.constant(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    expect(values((g) => x(g).sum([0, 2]))).toEqual([60, 92, 124]);
    expect(values((g) => x(g).sum(1, true))).toEqual([12, 15, 18, 21, 48, 51, 54, 57]);
    expect(values((g) => x(g).max(-1))).toEqual([3, 7, 11, 15, 19, 23]);
    expect(values((g) => x(g).mean())).toEqual([11.5]);
    expect(values((g) => x(g).min(0))).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('transposes and reshapes', () => {
    const x = (g: Graph) => g.constant(Array.from({ length: 6 }, (_, i) => i), [2, 3]);
    expect(values((g) => x(g).transpose())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(values((g) => x(g).reshape([3, -1]).transpose())).toEqual([0, 2, 4, 1, 3, 5]);
  });

  it('is stable at logits of ±1000: softmax, logSoftmax, logSumExp, softmaxCrossEntropy, sigmoid', () => {
    const z = (g: Graph) => g.constant([[1000, -1000, 0], [-1000, -1000, -1000]]);
    expect(values((g) => z(g).softmax())).toEqual([1, 0, 0, 1 / 3, 1 / 3, 1 / 3].map((v) => expect.closeTo(v, 15)));
    expect(values((g) => z(g).logSoftmax())).toEqual([0, -2000, -1000, -Math.log(3), -Math.log(3), -Math.log(3)].map((v) => expect.closeTo(v, 12)));
    expect(values((g) => z(g).logSumExp(1))).toEqual([1000, -1000 + Math.log(3)].map((v) => expect.closeTo(v, 12)));
    const ids = (g: Graph) => g.constant([1, 0], [2], 'int');
    expect(values((g) => z(g).softmaxCrossEntropy(ids(g)))).toEqual([2000, Math.log(3)].map((v) => expect.closeTo(v, 12)));
    expect(values((g) => z(g).softmaxCrossEntropy(ids(g).oneHot(3)))).toEqual([2000, Math.log(3)].map((v) => expect.closeTo(v, 12)));
    expect(values((g) => g.constant([1000, -1000]).sigmoid())).toEqual([1, 0]);
  });

  it('gives softmaxCrossEntropy the gradient softmax(z) − y, finite at ±1000', () => {
    const g = new Graph();
    const z = g.input('z', [2, 3]);
    const loss = z.softmaxCrossEntropy(g.constant([2, 0], [2], 'int')).sum();
    const [d] = grad(loss, [z]);
    const out = compile(g, { outputs: [d], dtype: 'float64' }).run({ z: [1000, -1000, 0, 0, 0, 0] })[0];
    expect(Array.from(out)).toEqual([1, 0, -1, 1 / 3 - 1, 1 / 3, 1 / 3].map((v) => expect.closeTo(v, 14)));
  });

  it('one-hot encodes and shares the max gradient among ties', () => {
    expect(values((g) => g.constant([2, 0], [2], 'int').oneHot(3))).toEqual([0, 0, 1, 1, 0, 0]);
    const g = new Graph();
    const x = g.input('x', [4]);
    const [dx] = grad(x.max(), [x]);
    expect(Array.from(compile(g, { outputs: [dx], dtype: 'float64' }).run({ x: [1, 3, 3, 0] })[0])).toEqual([0, 0.5, 0.5, 0]);
  });
});
