/**
 * Random byte mutations of model files: every one must load identically or fail with a
 * ModelFileError — never another error, a hang, or a model that loads but differs.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import { Graph } from '../../src/index.ts';
import { adam, Model, modelFromBytes, ModelFileError, modelToBytes, momentum, stepDecay } from '../../src/nn/index.ts';
import { fuzzRuns, mutate, Tally } from '../fuzz.ts';
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

/** Where the structure is: the length, the header and the start of each tensor. */
function hotspots(bytes: Uint8Array): [number, number][] {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return [
    [0, 8 + n],
    [8 + n, Math.min(bytes.length, 8 + n + 64)],
  ];
}

describe('fuzz: mutated model files', () => {
  it('load identically or fail with a ModelFileError, never anything else', () => {
    const runs = fuzzRuns(600);
    const rng = new Rng(20261130);
    const tally = new Tally();
    const debugTrials: string[] = [];
    const originals = models().map((m) => {
      const bytes = modelToBytes(m);
      const print = fingerprint(modelFromBytes(bytes));
      return { bytes, print, spots: hotspots(bytes) };
    });
    for (let t = 0; t < runs; t++) {
      const { bytes, print, spots } = originals[t % originals.length];
      const mutated = mutate(bytes, rng, spots);
      tally.record(
        `trial ${t}`,
        () => {
          const model = modelFromBytes(mutated, 'fuzz.safetensors');
          const now = fingerprint(model);
          const same = now === print;
          if (!same && process.env.FUZZ_DEBUG) {
            let i = 0;
            while (i < now.length && now[i] === print[i]) i++;
            debugTrials.push(`trial ${t}: differs at ${i}: ${print.slice(i - 80, i + 40)} → ${now.slice(i - 80, i + 40)}`);
          }
          model.dispose();
          return same ? 'identical' : 'silent difference';
        },
        (e) => e instanceof ModelFileError && /^fuzz\.safetensors: /.test(e.message),
      );
    }
    console.log(tally.summary('model-file mutations'));
    if (process.env.FUZZ_DEBUG) for (const t of debugTrials) console.log(t);
    expect(tally.failures.slice(0, 5)).toEqual([]);
    expect(tally.counts['clean error']).toBeGreaterThan(runs / 2);
  }, 120_000);
});
