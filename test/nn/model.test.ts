import { describe, expect, it } from 'vitest';
import { Graph, wasmFeatures } from '../../src/index.ts';
import { adam, DataError, Model, sgd, type EpochLogs } from '../../src/nn/index.ts';
import { blobs, smallModel } from './helpers.ts';

describe('Model', () => {
  const train = blobs(600);
  const test = blobs(300, 12, 3, 99);

  it('learns a small problem with fit, and evaluates and predicts', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });
    const before = model.evaluate(test);
    const history = model.fit(train, { epochs: 10, batchSize: 10, validationData: test });
    const after = model.evaluate(test);
    expect(history.epochs).toHaveLength(10);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBeGreaterThan(0.95);
    expect(history.epochs[9].valAccuracy).toBe(after.accuracy);
    const classes = model.predictClasses(test.x);
    const correct = classes.filter((c, i) => c === test.y[i]).length / test.count;
    expect(correct).toBe(after.accuracy);
    expect(model.predict(test.x.subarray(0, 24))).toHaveLength(6);
  });

  it('gives the same run twice under the same seed, bit for bit', () => {
    const run = () => {
      const model = smallModel({ seed: 3 }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
      const h = model.fit(train, { epochs: 2, batchSize: 16, seed: 9 });
      return [h.epochs.map((e) => e.loss), [...model.getWeights().values()].map((w) => Array.from(w))];
    };
    expect(run()).toEqual(run());
  });

  it('trains to the same bits with the helper thread as without (threads: false)', () => {
    const wide = blobs(120, 400, 3, 5);
    const train = (threads: boolean) => {
      const g = new Graph({ seed: 4 });
      const x = g.input('x', [null, 400]);
      const out = g.dense(g.dense(x, 400, { activation: 'sigmoid' }), 3, { activation: 'sigmoid' });
      const model = new Model({ inputs: x, outputs: out, threads }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
      model.fit(wide, { epochs: 1, batchSize: 10, seed: 2 }); // 10x400x400 products: split along K; updates: by rows
      return model;
    };
    const [split, alone] = [train(true), train(false)];
    if (wasmFeatures().threads) expect(split.device.shared).toBe(true);
    expect(alone.device.shared).toBe(false);
    expect([...split.getWeights()]).toEqual([...alone.getWeights()]);
  });

  it('takes given initial weights and follows them without shuffling', () => {
    const model = smallModel({ seed: 1 }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.5 }) });
    const other = smallModel({ seed: 2 }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.5 }) });
    other.setWeights(model.getWeights());
    model.fit(train, { epochs: 1, batchSize: 7, shuffle: false });
    other.fit(train, { epochs: 1, batchSize: 7, shuffle: false, seed: 1234 });
    expect([...other.getWeights()]).toEqual([...model.getWeights()]);
  });

  it('calls callbacks and can be stopped by one', () => {
    const seen: string[] = [];
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    const history = model.fit(train, {
      epochs: 5,
      batchSize: 100,
      callbacks: [
        {
          onTrainBegin: (info) => seen.push(`begin ${info.stepsPerEpoch}`),
          onBatchEnd: (logs) => logs.step === logs.steps && seen.push(`batch ${logs.epoch}`),
          onEpochEnd: (logs: EpochLogs, m) => {
            seen.push(`epoch ${logs.epoch}`);
            if (logs.epoch === 2) m.stopTraining = true;
          },
          onTrainEnd: (h) => seen.push(`end ${h.epochs.length}`),
        },
      ],
    });
    expect(seen).toEqual(['begin 6', 'batch 1', 'epoch 1', 'batch 2', 'epoch 2', 'end 2']);
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(model.epochsTrained).toBe(2);
  });

  it('applies dropout only while training', () => {
    const model = smallModel({ dropout: 0.5, hidden: 32 }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.1 }) });
    const x = test.x.subarray(0, 12 * 20);
    const a = model.predict(x);
    expect(Array.from(model.predict(x))).toEqual(Array.from(a)); // deterministic at inference
    // With the same weights and no dropout layer, inference gives the same outputs.
    const plain = smallModel({ hidden: 32 });
    plain.setWeights(new Map([...model.getWeights()].filter(([k]) => !k.startsWith('optimizer/'))));
    expect(Array.from(plain.predict(x))).toEqual(Array.from(a));
    // While training, dropout changes the outputs from step to step.
    const outs: number[][] = [];
    model.fit(blobs(20), {
      epochs: 2,
      batchSize: 20,
      shuffle: false,
      callbacks: [{ onEpochEnd: () => outs.push(Array.from(model.predict(x).subarray(0, 3))) }],
    });
    expect(outs[0]).not.toEqual(Array.from(a.subarray(0, 3)));
  });

  it('prints a summary with output shapes and parameter counts', () => {
    const summary = smallModel({ dropout: 0.2 }).summary().split('\n');
    expect(summary[0]).toMatch(/^Layer\s+Output shape\s+Params$/);
    expect(summary).toContainEqual(expect.stringMatching(/^dense_1 \(dense sigmoid\)\s+\[null,8\]\s+104$/));
    expect(summary).toContainEqual(expect.stringMatching(/^dropout_1 \(dropout 0.2\)\s+\[null,8\]\s+0$/));
    expect(summary).toContainEqual(expect.stringMatching(/^dense_2 \(dense sigmoid\)\s+\[null,3\]\s+27$/));
    expect(summary[summary.length - 1]).toBe('Total trainable parameters: 131');
  });

  it('shows in the summary the activations applied to a layer after it (g.dense(x, 8).sigmoid())', () => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 4]);
    const h = g.dense(x, 8).sigmoid();
    const skip = g.dense(h, 8); // read twice below: no single activation to show
    const out = g.dense(skip.add(skip.tanh()), 3).relu().softmax();
    const summary = new Model({ inputs: x, outputs: out }).summary().split('\n');
    expect(summary).toContainEqual(expect.stringMatching(/^dense_1 \(dense sigmoid\)\s+\[null,8\]\s+40$/));
    expect(summary).toContainEqual(expect.stringMatching(/^dense_2 \(dense linear\)\s+\[null,8\]\s+72$/));
    expect(summary).toContainEqual(expect.stringMatching(/^dense_3 \(dense relu softmax\)\s+\[null,3\]\s+27$/));
  });

  it('refuses bad data before training starts', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    const bad = blobs(10);
    bad.x[13] = NaN;
    expect(() => model.fit(bad)).toThrow(DataError);
    expect(() => model.fit(bad)).toThrow(/training data: sample 1, feature 1: input value is NaN/);
    const labels = blobs(10);
    labels.y[4] = 7;
    expect(() => model.fit(labels)).toThrow(/training data: sample 4: label is 7, expected an integer in 0..2/);
    expect(() => model.fit({ ...blobs(10, 6, 3), classes: 3 })).toThrow(/samples have 6 features but the model's input is \[null,12\]/);
    expect(() => model.fit(blobs(10), { batchSize: 0 })).toThrow(/batchSize must be a positive whole number/);
    expect(() => smallModel().fit(blobs(10))).toThrow(/call model.compile/);
    const wide = blobs(12, 12, 4);
    expect(() => model.fit(wide)).toThrow(/labels have 4 classes but the model's output is \[null,3\]/);
  });

  it('stops with a clear error when training diverges', () => {
    const g = new Graph();
    const x = g.input('x', [null, 12]);
    const model = new Model({ inputs: x, outputs: g.dense(x, 3) }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1e6 }) });
    let atEpochStart: Map<string, Float64Array> | null = null;
    const keep = { onEpochBegin: () => (atEpochStart = model.getWeights()) };
    expect(() => model.fit(train, { epochs: 5, callbacks: [keep] })).toThrow(
      /the loss became (NaN|Infinity) at epoch \d+, step \d+: training diverged .*the weights are back as they were at the start of epoch \d+/,
    );
    // Nothing is lost: the weights are finite, as they were when the failing epoch began.
    expect([...model.getWeights()]).toEqual([...atEpochStart!]);
    for (const w of model.getWeights().values()) expect(w.every(Number.isFinite)).toBe(true);
  });

  it('ends its device with dispose, after which it refuses to run', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    model.fit(train, { epochs: 1, batchSize: 50 });
    expect(model.predict(test.x).length).toBe(test.count * 3);
    model.dispose();
    expect(() => model.predict(test.x)).toThrow(/used after dispose/);
    expect(() => model.fit(train, { epochs: 1 })).toThrow(/used after dispose|disposed/);
  });

  it('finds its labels and learning rate as tensors, not by name: a graph may have its own input named labels', () => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 12]);
    g.input('labels', [null, 2]); // the user's own
    const model = new Model({ inputs: x, outputs: g.dense(x, 3) }).compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.5 }) });
    expect(model.labels.name).not.toBe('labels');
    const [first] = model.fit(train, { epochs: 2, batchSize: 50 }).epochs;
    expect(model.evaluate(test).loss).toBeLessThan(first.loss);
  });
});
