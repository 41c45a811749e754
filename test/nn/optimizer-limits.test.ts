/**
 * Model.compile refuses an optimizer whose state (Adam: two values per parameter) does not fit
 * beside the parameters, before anything of it is filled. The device limit is lowered to 65,536
 * values here, so the cases stay small.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/core/limits.ts', async (original) => ({ ...(await original<typeof import('../../src/core/limits.ts')>()), MAX_ELEMENTS: 65536 }));

const { Graph, GraphError } = await import('../../src/index.ts');
const { adam, momentum, Model, sgd } = await import('../../src/nn/index.ts');
const { blobs } = await import('./helpers.ts');

/** dense(x, 100) on 250 features: 25,100 parameters. */
function model() {
  const g = new Graph();
  const x = g.input('x', [null, 250]);
  return new Model({ inputs: x, outputs: g.dense(x, 100), threads: false });
}

describe('Model.compile: optimizer state beyond what a device holds', () => {
  it('adam is refused at compile, naming the layer, its line and the bytes; nothing of its state is placed', () => {
    const m = model();
    const before = m.device.size;
    expect(() => m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam() })).toThrow(GraphError);
    expect(() => m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam() })).toThrow(
      /^Model\.compile: adam keeps 2 values \(m, v\) beside each trainable parameter: 201 KB as float32 for its state, beside the 100 KB the device holds \(the parameters\), more than the 262 KB a device holds\. The largest layer: 'dense_1\/kernel' \[250,100\] \(test\/nn\/optimizer-limits\.test\.ts:18:\d+\), 100 KB and 200 KB of adam state\. sgd keeps no state; or make the layer smaller\. None of the state was allocated$/,
    );
    expect(m.device.size).toBe(before);
    expect(m.config).toBeNull(); // not compiled
  });

  it('momentum (one value per parameter) compiles; sgd compiles and trains', () => {
    expect(model().compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.1 }) }).config?.optimizer.name).toBe('momentum');
    const m = model().compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }) });
    expect(m.fit(blobs(20, 250, 3, 1), { epochs: 1, batchSize: 10 }).epochs).toHaveLength(1);
  });
});
