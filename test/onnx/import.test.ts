/**
 * importOnnx against PyTorch: models exported by torch.onnx.export (scripts/onnx-fixtures.py, run
 * with Debian's python3-torch; the small files are committed beside torch's outputs on fixed
 * inputs) predict what torch predicted within 1e-5; an imported conv net fine-tunes and passes
 * gradCheck; deltagraph → ONNX → deltagraph keeps predictions and parameters by name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gradCheck, Rng } from '../../src/index.ts';
import { adam, Model, modelFromBytes, modelToBytes } from '../../src/nn/index.ts';
import { exportOnnx, importOnnx } from '../../src/onnx/index.ts';
import { batchNormNet, mnistPreset, ort, randomImages, randomizeWeights, relativeDifference, runGraph, runOrt } from './models.ts';

interface Fixture {
  model: string;
  torch: string;
  opset: number;
  input: string;
  inputShape: number[];
  inputType: 'float32' | 'int64';
  inputValues: number[];
  outputShape: number[];
  outputValues: number[];
}

const fixtureDir = new URL('./fixtures/', import.meta.url);
const fixture = (name: string) => {
  const f = JSON.parse(readFileSync(new URL(`${name}.json`, fixtureDir), 'utf8')) as Fixture;
  return { ...f, bytes: new Uint8Array(readFileSync(new URL(f.model, fixtureDir))) };
};

const torchModels: [string, string][] = [
  ['mlp', 'an MLP (Gemm, Tanh, Softmax)'],
  ['lenet', 'a LeNet-style conv net (Conv, MaxPool, Pad + AveragePool, the Shape → Gather → Concat → Reshape chain of view(n, -1))'],
  ['resblock', 'a ResNet-style block (BatchNormalization, an Add skip connection, GlobalAveragePool, Flatten)'],
  ['transformer', 'a transformer block at opset 17 (Gather embedding, two-head attention, LayerNormalization, Erf GELU)'],
  ['transformer-opset13', 'the transformer block at opset 13 (LayerNorm as ReduceMean, Sub, Pow, Sqrt, Div)'],
];

describe('importOnnx: models exported by PyTorch', () => {
  it.each(torchModels)('%s, %s: predicts what torch did within 1e-5', (name) => {
    const f = fixture(name);
    const { graph, inputs, outputs } = importOnnx(f.bytes);
    expect(inputs.map((t) => t.shape)).toEqual([[null, ...f.inputShape.slice(1)]]);
    expect(outputs[0].shape.slice(1)).toEqual(f.outputShape.slice(1));
    const ours = runGraph(graph, outputs[0], { [f.input]: f.inputValues });
    const difference = relativeDifference(ours, f.outputValues);
    console.log(`torch ${f.torch} vs deltagraph, ${name} (opset ${f.opset}): largest relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThanOrEqual(1e-5);
  });

  it.each(torchModels)('%s: exported again, ONNX Runtime agrees with torch within 1e-5', async (name) => {
    const f = fixture(name);
    const { inputs, outputs } = importOnnx(f.bytes);
    const bytes = exportOnnx({ inputs, outputs, outputNames: ['output'] });
    const feed = f.inputType === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(f.inputValues, BigInt), f.inputShape) : new ort.Tensor('float32', Float32Array.from(f.inputValues), f.inputShape);
    const difference = relativeDifference(await runOrt(bytes, { [f.input]: feed }), f.outputValues);
    console.log(`torch vs ONNX Runtime on deltagraph's re-export, ${name}: largest relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThanOrEqual(1e-5);
  });

  it('initializers become parameters under their ONNX names, trainable but for BatchNormalization statistics; `trainable` freezes them', () => {
    const f = fixture('resblock');
    const { graph, parameters } = importOnnx(f.bytes);
    expect(parameters.map((p) => p.name)).toContain('conv1.weight');
    expect(graph.get('conv1.weight').shape).toEqual([8, 3, 3, 3]);
    const frozen = graph.parameters.filter((p) => p.node.attrs.trainable === false).map((p) => p.name).sort();
    expect(frozen).toEqual(['bn1.running_mean', 'bn1.running_var', 'bn2.running_mean', 'bn2.running_var']);
    expect(importOnnx(f.bytes, { trainable: false }).graph.trainableParameters).toEqual([]);
    const onlyHead = importOnnx(f.bytes, { trainable: (name) => name.startsWith('fc.') }).graph.trainableParameters.map((p) => p.name);
    expect(onlyHead.sort()).toEqual(['fc.bias', 'fc.weight']);
  });

  it('an imported conv net fine-tunes with Model.fit (its loss falls) and passes gradCheck', () => {
    const f = fixture('lenet');
    const { inputs, outputs } = importOnnx(f.bytes);
    const model = new Model({ inputs: inputs[0], outputs: outputs[0], threads: false }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
    // A task it can learn: the class is the quadrant of the 16×16 image made brighter.
    const rng = new Rng(4);
    const count = 64;
    const x = randomImages(count, 256, 9);
    const y = Int32Array.from({ length: count }, () => rng.int(4));
    y.forEach((q, n) => {
      for (let i = 0; i < 256; i++) if ((Math.floor(i / 16) >= 8 ? 2 : 0) + ((i % 16) >= 8 ? 1 : 0) === q) x[n * 256 + i] += 1;
    });
    const history = model.fit({ x, y, count, features: 256, classes: 10 }, { epochs: 8, batchSize: 16, seed: 1 });
    const losses = history.epochs.map((e) => e.loss);
    console.log(`fine-tuning the imported LeNet: loss ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)}`);
    expect(losses.at(-1)!).toBeLessThan(losses[0] / 2);
    // It saves in deltagraph's format and loads with the same predictions.
    expect(Array.from(modelFromBytes(modelToBytes(model)).predict(x.subarray(0, 256)))).toEqual(Array.from(model.predict(x.subarray(0, 256))));
    model.dispose();

    const check = gradCheck((image) => importOnnx(f.bytes, { graph: image.graph, inputs: { x: image } }).outputs[0], [{ shape: [2, 1, 16, 16] }]);
    console.log(`gradCheck of the imported LeNet: max relative error ${check.maxRelativeError.toExponential(2)}`);
    expect(check.maxRelativeError).toBeLessThan(1e-6);
  });
});

describe('round trip: deltagraph → ONNX → deltagraph', () => {
  it.each([
    ['the conv preset', () => mnistPreset('conv')],
    ['the batch-norm net', () => batchNormNet()],
  ] as const)('%s: the same predictions and the same parameters by name', (_, make) => {
    const model = make();
    randomizeWeights(model, 8);
    const { inputs, outputs, parameters } = importOnnx(exportOnnx(model));
    const back = new Model({ inputs: inputs[0], outputs: outputs[0] });
    const x = randomImages(5, model.features, 3);
    expect(Array.from(back.predict(x))).toEqual(Array.from(model.predict(x)));
    const before = model.getWeights();
    const after = back.getWeights();
    expect(parameters.map((p) => p.name).sort()).toEqual([...before.keys()].sort());
    for (const [name, values] of before) expect(Array.from(after.get(name)!), name).toEqual(Array.from(Float32Array.from(values)));
    // Trainable or not as before (batchNorm's moving statistics are not).
    const trainability = (m: Model) => m.graph.parameters.map((p) => `${p.name} ${p.node.attrs.trainable !== false}`).sort();
    expect(trainability(back)).toEqual(trainability(model));
    model.dispose();
    back.dispose();
  });
});
