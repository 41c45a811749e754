import { describe, expect, it } from 'vitest';
import { compile, Graph } from '../../src/index.ts';
import { sgd, type Dataset } from '../../src/nn/index.ts';
import { blobs, smallModel } from './helpers.ts';

const data = blobs(60);

describe('fit is never re-entered', () => {
  it('refuses fit and compile from a callback of the running fit, and trains normally afterwards', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.5 }) });
    const other = blobs(30, 12, 3, 9);
    const attempts: string[] = [];
    model.fit(data, {
      epochs: 2,
      batchSize: 20,
      callbacks: [
        {
          onEpochEnd: (_, m) => {
            for (const call of [() => m.fit(other, { epochs: 1 }), () => m.compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.1 }) })]) {
              try {
                call();
                attempts.push('ran');
              } catch (e) {
                attempts.push((e as Error).message);
              }
            }
          },
        },
      ],
    });
    expect(attempts).toHaveLength(4);
    expect(attempts[0]).toMatch(/fit: this model is already training \(fit was called from one of its callbacks\); call it after the running fit returns/);
    expect(attempts[1]).toMatch(/Model\.compile: the model is training \(compile was called from a fit callback\)/);
    expect(model.epochsTrained).toBe(2); // only the outer fit trained
    // The same two epochs without the callback give the same weights: nothing of `other` leaked in.
    const plain = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.5 }) });
    plain.fit(data, { epochs: 2, batchSize: 20 });
    expect([...model.getWeights()]).toEqual([...plain.getWeights()]);
    // After fit returns (also after a fit that threw), fit works again.
    expect(() => model.fit(data, { epochs: 1, batchSize: 0 })).toThrow(/batchSize/);
    expect(model.fit(other, { epochs: 1 }).epochs).toHaveLength(1);
  });

  it('refuses to evaluate no samples instead of returning NaN', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.5 }) });
    const empty: Dataset = { x: new Float32Array(0), y: new Int32Array(0), count: 0, features: 12, classes: 3 };
    expect(() => model.evaluate(empty)).toThrow(/evaluation data: no samples to evaluate/);
  });
});

describe('wrong types are named with the value quoted', () => {
  it.each([
    ['dense units', () => { const g = new Graph(); return g.dense(g.input('x', [null, 2]), '30' as never); }, /dense: units must be a positive whole number, got '30' \(a string\)/],
    ['mul', () => new Graph().input('x', [null, 2]).mul('0.5' as never), /mul: expected a Tensor or a number, got '0\.5' \(a string\)/],
    ['epochs', () => smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) }).fit(data, { epochs: '5' as never }), /fit: epochs must be a whole number, got '5' \(a string\)/],
    ['batchSize', () => smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) }).fit(data, { batchSize: '32' as never }), /fit: batchSize must be a positive whole number, got '32' \(a string\)/],
    ['l2', () => smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }), l2: '0.1' as never }), /l2 must be a number ≥ 0, got '0\.1' \(a string\)/],
  ])('%s', (_, make, re) => {
    expect(make).toThrow(re);
  });

  it('refuses misspelt option names instead of ignoring them', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    expect(() => model.fit(data, { epoch: 5 } as never)).toThrow(/fit: unknown option 'epoch'; the options are epochs, batchSize, shuffle, seed, validationData, callbacks, augment, checkNumerics/);
    expect(() => model.compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }), lr: 2 } as never)).toThrow(/Model\.compile: unknown option 'lr'/);
    expect(() => compile(model.graph, { output: [model.output] } as never)).toThrow(/compile: unknown option 'output'/);
    expect(() => compile(model.graph, undefined as never)).toThrow(/compile\(graph, \{ outputs \}\): the options are required/);
    expect(() => sgd({ learning_rate: 0.1 } as never)).toThrow(/sgd: unknown option 'learning_rate'; the options are learningRate/);
  });

  it('hints at class ids for one-hot labels and at a flat array for nested rows', () => {
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    const oneHot = Int32Array.from({ length: data.count * 3 }, (_, i) => (i % 3 === data.y[Math.floor(i / 3)] ? 1 : 0));
    expect(() => model.fit({ ...data, y: oneHot })).toThrow(/y has 180 labels, expected count = 60 \(one class id per sample\); y looks one-hot \(count x classes = 180\): give the class id of each sample instead \(0\.\.2\)/);
    const nested = Array.from({ length: data.count }, (_, r) => Array.from(data.x.subarray(r * 12, r * 12 + 12)));
    expect(() => model.fit({ ...data, x: nested as never })).toThrow(/x is a nested array; pass a flat Float32Array of count x features values/);
  });
});
