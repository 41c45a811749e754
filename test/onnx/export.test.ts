/**
 * exportOnnx against ONNX Runtime (onnxruntime-node): every exported model's outputs equal
 * deltagraph's float32 predictions within 1e-5 of the output's largest magnitude, on random and
 * MNIST inputs, at several batch sizes through one session (the batch dimension is dynamic).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../src/index.ts';
import { loadMnist, type Model } from '../../src/nn/node/index.ts';
import { decodeModel, exportOnnx, OnnxError, ONNX_OPSET } from '../../src/onnx/index.ts';
import { attentionModel, batchNormNet, mnistPreset, ort, randomImages, randomizeWeights, relativeDifference, runGraph, runOrt } from './models.ts';

let mnist: Float32Array;
beforeAll(() => {
  mnist = Float32Array.from(loadMnist({ limit: 100 }).test.x.subarray(0, 64 * 784));
});

/** The largest relative difference between deltagraph and ONNX Runtime over the given batches. */
async function agreement(model: Model, batches: Float32Array[]): Promise<number> {
  const bytes = exportOnnx(model);
  const imageShape = model.input.shape.slice(1) as number[];
  let worst = 0;
  for (const x of batches) {
    const n = x.length / model.features;
    const theirs = await runOrt(bytes, { [model.input.name!]: new ort.Tensor('float32', x, [n, ...imageShape]) });
    worst = Math.max(worst, relativeDifference(model.predict(x), theirs));
  }
  return worst;
}

const cases: [string, () => Model][] = [
  ['the classic MLP preset (784-30-10 sigmoid)', () => mnistPreset('classic')],
  ['the improved preset (784-800-10 ReLU, dropout, softmax)', () => mnistPreset('improved')],
  ['the conv preset (two conv + max pool, dropout, dense)', () => mnistPreset('conv')],
  ['a batch-norm net (same padding, residual add, avg and global pooling, logSoftmax)', () => batchNormNet()],
];

describe('exportOnnx → ONNX Runtime', () => {
  it.each(cases)('%s: outputs agree within 1e-5 on random and MNIST inputs', async (name, make) => {
    const model = make();
    randomizeWeights(model, 5);
    const difference = await agreement(model, [randomImages(3, model.features, 1), randomImages(1, model.features, 2), mnist]);
    console.log(`ONNX Runtime vs deltagraph, ${name}: largest relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it("the attention example's model (int ids, embedding, batched matMul, layerNorm): outputs agree within 1e-5", async () => {
    const { graph, ids, logits } = attentionModel();
    const bytes = exportOnnx({ inputs: [ids], outputs: [logits], outputNames: ['logits'] });
    const feed = Int32Array.from({ length: 4 * 5 }, (_, i) => (i * 7) % 10);
    const theirs = await runOrt(bytes, { ids: new ort.Tensor('int64', BigInt64Array.from(feed, BigInt), [4, 5]) }, 'logits');
    const difference = relativeDifference(runGraph(graph, logits, { ids: feed }), theirs);
    console.log(`ONNX Runtime vs deltagraph, the attention model: largest relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThanOrEqual(1e-5);
  });

  it('writes opset 17 with a dynamic batch, the input in the deltagraph layout, parameters as initializers under their names', () => {
    const model = mnistPreset('conv');
    const m = decodeModel(exportOnnx(model));
    expect(m.opsets).toEqual([{ domain: '', version: ONNX_OPSET }]);
    expect(ONNX_OPSET).toBe(17);
    expect(m.graph!.inputs.map((i) => [i.name, i.shape])).toEqual([['x', ['batch', 28, 28, 1]]]);
    expect(m.graph!.outputs.map((o) => [o.name, o.shape])).toEqual([['output', ['batch', 10]]]);
    const initializers = new Map(m.graph!.initializers.map((t) => [t.name, t.dims]));
    for (const p of model.graph.parameters) expect(initializers.get(p.name!)).toEqual(p.shape);
    expect(initializers.size).toBe(model.graph.parameters.length);
    // Dropout is left out: no node reads a random mask.
    expect(m.graph!.nodes.map((n) => n.opType)).not.toContain('Dropout');
    model.dispose();
  });

  it('refuses an op without an ONNX form, naming the op, the node and the line that built it', () => {
    const g = new Graph();
    const x = g.input('x', [null, 3]);
    const y = x.oneHot(4); // no ONNX export
    let error: unknown;
    try {
      exportOnnx({ inputs: [x], outputs: [y] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OnnxError);
    expect((error as OnnxError).op).toBe('oneHot');
    expect((error as Error).message).toMatch(/oneHot/);
    expect((error as OnnxError).site).toMatch(/export\.test\.ts:\d+/);
  });

  it('exports a chain of 5,000 ops (no deep recursion), writing only the nodes the outputs need', async () => {
    const g = new Graph();
    const x = g.input('x', [null, 2]);
    let h = x;
    for (let i = 0; i < 5_000; i++) h = h.mul(1.0001);
    const unused = x.exp(); // not an output: not exported
    void unused;
    const bytes = exportOnnx({ inputs: [x], outputs: [h], outputNames: ['output'] });
    const m = decodeModel(bytes);
    expect(m.graph!.nodes.filter((n) => n.opType === 'Mul')).toHaveLength(5_000);
    expect(m.graph!.nodes.map((n) => n.opType)).not.toContain('Exp');
    const [y] = await runOrt(bytes, { x: new ort.Tensor('float32', Float32Array.of(1, 2), [1, 2]) });
    expect(y).toBeCloseTo(1.0001 ** 5_000, 2);
  }, 30_000);

  it('refuses outputs that read an input not exported', () => {
    const g = new Graph();
    const [a, b] = [g.input('a', [null, 2]), g.input('b', [null, 2])];
    expect(() => exportOnnx({ inputs: [a], outputs: [a.add(b)] })).toThrow(/input 'b'.*not among the exported inputs/);
  });
});
