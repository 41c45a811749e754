import { describe, expect, it } from 'vitest';
import { earlyStopping, progressBar, sgd, type EpochLogs } from '../../src/nn/index.ts';
import { blobs, smallModel } from './helpers.ts';

describe('earlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best weights', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });
    const stopper = earlyStopping({ monitor: 'valAccuracy', patience: 2 });
    const values = [0.5, 0.7, 0.6, 0.65, 0.9];
    let bestWeights: Map<string, Float64Array> | null = null;
    const fake = {
      onEpochEnd(logs: EpochLogs, m: typeof model) {
        logs.valAccuracy = values[logs.epoch - 1]; // scripted validation accuracy
        if (logs.epoch === 2) bestWeights = m.getWeights();
      },
    };
    const history = model.fit(blobs(40), { epochs: 5, batchSize: 10, callbacks: [fake, stopper] });
    expect(history.epochs).toHaveLength(4);
    expect(stopper.bestEpoch).toBe(2);
    expect(stopper.best).toBe(0.7);
    expect(stopper.stoppedEpoch).toBe(4);
    expect([...model.getWeights()]).toEqual([...bestWeights!]);
  });

  it('needs the monitored value', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    expect(() => model.fit(blobs(10), { callbacks: [earlyStopping()] })).toThrow(/'valAccuracy' is not in the epoch logs/);
  });
});

describe('progressBar', () => {
  it('draws a bar with ETA and running loss on a terminal, and a line per epoch', () => {
    let text = '';
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    model.fit(blobs(40), { epochs: 2, batchSize: 10, validationData: blobs(20), callbacks: [progressBar({ stream: { write: (t) => (text += t), isTTY: true }, width: 10 })] });
    expect(text).toMatch(/\r█{10} 4\/4 {2}ETA 0s {2}loss \d\.\d{4} /);
    expect(text).toMatch(/epoch 1 {2}loss \d\.\d{4} {2}acc \d+\.\d\d% {2}val loss \d\.\d{4} {2}val acc \d+\.\d\d% {2}\d+\.\d{3} ms\/step {2}\d+\.\d s\n/);
    let plain = '';
    model.fit(blobs(40), { epochs: 1, batchSize: 10, callbacks: [progressBar({ stream: { write: (t) => (plain += t) } })] });
    expect(plain).not.toContain('█');
    expect(plain.split('\n')).toHaveLength(2);
  });
});
