/**
 * Edited model files (fast-check properties, shrunk to the smallest failing edit): every one must
 * load identically or fail with a ModelFileError — never another error, a hang, or a model that
 * loads but differs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Graph } from '../../src/index.ts';
import { adam, Model, modelFromBytes, ModelFileError, modelToBytes, momentum, stepDecay } from '../../src/nn/index.ts';
import { applyEdits, edits, fuzzParameters, fuzzRuns, Outcomes, timed } from '../fuzz.ts';
import { blobs } from './helpers.ts';

const data = blobs(30, 4, 2, 3);

function models(): Model[] {
  const g = new Graph({ seed: 4 });
  const x = g.input('x', [null, 4]);
  const h = g.dropout(g.dense(x, 5, { activation: 'relu' }), 0.2);
  const a = new Model({ inputs: x, outputs: g.dense(h, 2).mul(g.constant([1.5, -2], [2])), threads: false }).compile({
    loss: 'softmaxCrossEntropy',
    optimizer: adam({ learningRate: stepDecay({ initial: 0.01, factor: 0.5, every: 2 }) }),
    l2: 0.1,
  });
  a.fit(data, { epochs: 1, batchSize: 10 });
  const g2 = new Graph({ seed: 5 });
  const x2 = g2.input('x', [null, 4]);
  const b = new Model({ inputs: x2, outputs: g2.dense(x2, 2, { activation: 'sigmoid' }), dtype: 'float64', threads: false }).compile({
    loss: 'binaryCrossEntropy',
    optimizer: momentum({ learningRate: 0.1, nesterov: true }),
  });
  const g3 = new Graph({ seed: 6 });
  const x3 = g3.input('x', [null, 4]);
  const c = new Model({ inputs: x3, outputs: g3.dense(x3, 3).tanh(), threads: false }); // not compiled
  return [a, b, c];
}

/** Everything a load gives: weights, settings, and what the model computes. */
function fingerprint(model: Model): string {
  const weights = [...model.getWeights()].map(([k, v]) => `${k}=${Array.from(v).join(',')}`);
  const config = model.config ? JSON.stringify({ loss: model.config.loss, l2: model.config.l2, optimizer: model.config.optimizer.config }) : 'none';
  return [weights.join(';'), config, model.epochsTrained, model.device.dtype, Array.from(model.predict(data.x)).join(','), model.graph.toString().replace(/ *# .*$/gm, '')].join('|');
}

describe('fuzz: edited model files (fast-check)', () => {
  it('load identically or fail with a ModelFileError, never anything else', () => {
    const originals = models().map((m) => {
      const bytes = modelToBytes(m);
      return { bytes, print: fingerprint(modelFromBytes(bytes)) };
    });
    // Where the structure is: the length, the header and the start of the tensors.
    const hot = Math.max(...originals.map(({ bytes }) => 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) + 64));
    const outcomes = new Outcomes();
    fc.assert(
      fc.property(fc.nat({ max: originals.length - 1 }), edits(hot), (which, list) => {
        const { bytes, print } = originals[which];
        const mutated = applyEdits(bytes, list);
        timed(5000, () => {
          let model: Model;
          try {
            model = modelFromBytes(mutated, 'fuzz.safetensors');
          } catch (e) {
            if (e instanceof ModelFileError && /^fuzz\.safetensors: /.test(e.message)) return outcomes.add('clean error');
            throw e;
          }
          try {
            expect(fingerprint(model), 'loaded without an error but differs').toBe(print);
            outcomes.add('identical');
          } finally {
            model.dispose();
          }
        });
      }),
      fuzzParameters(600, 20261130),
    );
    console.log(outcomes.summary('model-file edits'));
    expect(outcomes.get('clean error')).toBeGreaterThan(fuzzRuns(600) / 2);
  }, 120_000);
});
