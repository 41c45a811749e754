import { describe, expect, it } from 'vitest';
import { compile, gradCheck, Graph, RunError, ShapeError, type Tensor } from '../../src/index.ts';

describe('layers for sequences: embedding, layerNorm, dense over steps', () => {
  it('embedding looks up rows of a learned table by int ids', () => {
    const g = new Graph({ seed: 2 });
    const ids = g.input('ids', [null, 3], 'int');
    const v = g.embedding(ids, { inputDim: 4, outputDim: 2, embeddingsInitializer: (shape) => Float64Array.from({ length: shape[0] * shape[1] }, (_, i) => i) });
    expect(v.shape).toEqual([null, 3, 2]);
    expect(g.get('embedding_1/embeddings').shape).toEqual([4, 2]);
    const program = compile(g, { outputs: [v], dtype: 'float64' });
    expect([...program.run({ ids: [3, 0, 3, 1, 1, 2] })[0]]).toEqual([6, 7, 0, 1, 6, 7, 2, 3, 2, 3, 4, 5]);
    expect(() => program.run({ ids: [4, 0, 0] })).toThrow(RunError);
    expect(() => g.embedding(g.input('f', [null, 3]), { inputDim: 4, outputDim: 2 })).toThrow(ShapeError);
    expect(() => g.embedding(ids, { inputDim: 0, outputDim: 2 })).toThrow(/inputDim and outputDim must be positive whole numbers/);
  });

  it('layerNorm gives each row mean 0 and variance 1/(1 + ε/σ²), then gamma and beta', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const y = g.layerNorm(x, { epsilon: 1e-3 });
    const [out] = compile(g, { outputs: [y], dtype: 'float64' }).run({ x: [1, 2, 3, 10, 10, 40] });
    const expected = [[1, 2, 3], [10, 10, 40]].flatMap((row) => {
      const mean = row.reduce((a, b) => a + b) / 3;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
      return row.map((v) => (v - mean) / Math.sqrt(variance + 1e-3));
    });
    expect([...out].map((v, i) => v - expected[i])).toEqual(expected.map(() => expect.closeTo(0, 12)));
    expect(g.get('layerNorm_1/gamma').shape).toEqual([3]);
    expect(g.layers.map((l) => l.kind)).toEqual(['layerNorm']);
  });

  it('dense over [batch, steps, features] applies one kernel at every step', () => {
    const g = new Graph({ seed: 4 });
    const x = g.input('x', [2, 3, 4]);
    const y = g.dense(x, 5, { name: 'd', biasInitializer: 'ones' });
    expect(y.shape).toEqual([2, 3, 5]);
    const rows = g.dense(x.reshape([6, 4]), 5, { name: 'e' });
    const program = compile(g, { outputs: [y, rows], dtype: 'float64' });
    program.device.write('e/kernel', program.device.read('d/kernel'));
    program.device.write('e/bias', program.device.read('d/bias'));
    const [a, b] = program.run({ x: Array.from({ length: 24 }, (_, i) => Math.sin(i)) });
    expect([...a]).toEqual([...b]);
  });

  it('a self-attention block (embedding, batched products, softmax, residual, layer norm) has exact gradients', () => {
    const block = (ids: Tensor, table: Tensor, wq: Tensor, wk: Tensor) => {
      const v = table.gather(ids); // [2, 4, 3]
      const scores = v.matMul(wq).matMul(v.matMul(wk), false, true).mul(1 / Math.sqrt(3)).softmax(-1);
      const h = v.add(scores.matMul(v));
      const centred = h.sub(h.mean(-1, true));
      return centred.div(centred.square().mean(-1, true).add(1e-3).sqrt());
    };
    const { maxRelativeError } = gradCheck(block, [{ shape: [2, 4], classes: 5 }, { shape: [5, 3] }, { shape: [3, 3] }, { shape: [3, 3] }]);
    expect(maxRelativeError).toBeLessThan(1e-6);
    const second = gradCheck(block, [{ shape: [2, 4], classes: 5 }, { shape: [5, 3] }, { shape: [3, 3] }, { shape: [3, 3] }], { order: 2 });
    expect(second.maxRelativeError).toBeLessThan(1e-5);
  });
});
