/**
 * A Model on a WebGPU device: fitAsync trains it as fit trains one on wasm (the same epochs
 * within float32 tolerance), predictAsync and evaluateAsync answer, and a model file saved from
 * one backend loads on the other with the same predictions.
 */
import { describe, expect, it } from 'vitest';
import { Device, Graph } from '../../src/index.ts';
import { Model, modelFromBytes, modelToBytes, modelToBytesAsync, sgd, type Dataset } from '../../src/nn/index.ts';
import { Rng } from '../../src/core/rng.ts';
import { newGpuDevice } from '../backends/webgpu/gpu.ts';

function dataset(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: count * 64 }, () => rng.next());
  const y = Int32Array.from({ length: count }, (_, i) => (x[i * 64] + x[i * 64 + 1] > 1 ? 1 : 0) + (x[i * 64 + 2] > 0.5 ? 2 : 0));
  return { x, y, count, features: 64, classes: 4 };
}

function model(device: Device): Model {
  const g = new Graph({ seed: 2 });
  const x = g.input('x', [null, 64]);
  const out = g.dense(g.dense(x, 32, { activation: 'relu' }), 4);
  return new Model({ inputs: x, outputs: out, device }).compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.5 }) });
}

describe('a Model on WebGPU', { timeout: 120_000 }, () => {
  it('fitAsync trains as fit does on wasm; predict, evaluate and model files work across backends', async () => {
    const train = dataset(200, 1);
    const test = dataset(100, 2);
    const gpu = model(await newGpuDevice());
    const cpu = model(new Device());
    const options = { epochs: 3, batchSize: 16, seed: 5, validationData: test, readEvery: 5 };
    const a = await gpu.fitAsync(train, options);
    const b = cpu.fit(train, options);
    a.epochs.forEach((e, i) => {
      expect(e.loss).toBeCloseTo(b.epochs[i].loss, 3);
      expect(e.accuracy).toBeCloseTo(b.epochs[i].accuracy, 2);
      expect(e.valLoss!).toBeCloseTo(b.epochs[i].valLoss!, 3);
    });
    expect(a.epochs[2].loss).toBeLessThan(a.epochs[0].loss);

    // The sync methods say which async one to call.
    expect(() => gpu.fit(train)).toThrow(/use await fitAsync/);
    expect(() => gpu.predict(test.x)).toThrow(/use await model\.predictAsync\(x\)/);
    expect(() => gpu.evaluate(test)).toThrow(/evaluateAsync/);
    expect(() => gpu.getWeights()).toThrow(/getWeightsAsync/);
    expect(() => modelToBytes(gpu)).toThrow(/modelToBytesAsync/);

    const predicted = await gpu.predictAsync(test.x);
    const reference = cpu.predict(test.x);
    predicted.forEach((p, i) => expect(p).toBeCloseTo(reference[i], 3));
    expect((await gpu.evaluateAsync(test)).accuracy).toBeCloseTo(cpu.evaluate(test).accuracy, 2);

    // Trained on the GPU, loaded on wasm: the same predictions; and back onto a GPU device.
    const onCpu = modelFromBytes(await modelToBytesAsync(gpu));
    expect(onCpu.device.backend).toBe('wasm');
    onCpu.predict(test.x).forEach((p, i) => expect(p).toBeCloseTo(predicted[i], 5));
    const back = modelFromBytes(modelToBytes(onCpu), '<memory>', { device: await newGpuDevice() });
    (await back.predictAsync(test.x)).forEach((p, i) => expect(p).toBeCloseTo(predicted[i], 5));
    expect([...(await back.getWeightsAsync()).keys()]).toEqual([...onCpu.getWeights().keys()]);
  });

  it('a diverging fitAsync stops, names the step and puts the weights back', async () => {
    const g = new Graph({ seed: 2 });
    const x = g.input('x', [null, 64]);
    const m = new Model({ inputs: x, outputs: g.dense(x, 4), device: await newGpuDevice() }).compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 3e38 }) });
    const before = await m.getWeightsAsync();
    await expect(m.fitAsync(dataset(64, 3), { epochs: 2, batchSize: 8 })).rejects.toThrow(/the loss became (NaN|Infinity|-Infinity) at epoch 1, step \d+: training diverged.*train on a wasm device with \{ checkNumerics: true \}/);
    expect(await m.getWeightsAsync()).toEqual(before);
  });
});
