import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineOp, Graph } from '../../src/index.ts';
import { adam, loadModel, Model, modelFromBytes, modelToBytes, ModelFileError, saveModel } from '../../src/nn/node/index.ts';
import { blobs, smallModel } from './helpers.ts';
import { reseal } from './model-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'deltagraph-io-'));
const data = blobs(200);

function trained(): Model {
  const model = smallModel({ dropout: 0.1 }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }), l2: 0.5 });
  model.fit(data, { epochs: 2, batchSize: 20, shuffle: false });
  return model;
}

describe('save and load', () => {
  it('round-trips exactly: predictions, weights, optimizer state, compile settings', () => {
    const model = trained();
    const file = path.join(dir, 'model.safetensors');
    saveModel(model, file);
    const loaded = loadModel(file);
    expect(Array.from(loaded.predict(data.x))).toEqual(Array.from(model.predict(data.x)));
    expect([...loaded.getWeights()]).toEqual([...model.getWeights()]);
    expect([...model.getWeights().keys()]).toContain('optimizer/step');
    expect(loaded.config!.loss).toBe('softmaxCrossEntropy');
    expect(loaded.config!.l2).toBe(0.5);
    expect(loaded.config!.optimizer.config).toEqual(model.config!.optimizer.config);
    expect(loaded.epochsTrained).toBe(2);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('resumes training exactly where it stopped', () => {
    const straight = smallModel().compile({ loss: 'quadratic', optimizer: adam({ learningRate: 0.01 }) });
    straight.fit(data, { epochs: 2, batchSize: 20, shuffle: false });
    const first = smallModel().compile({ loss: 'quadratic', optimizer: adam({ learningRate: 0.01 }) });
    first.fit(data, { epochs: 1, batchSize: 20, shuffle: false });
    const resumed = modelFromBytes(modelToBytes(first));
    resumed.fit(data, { epochs: 1, batchSize: 20, shuffle: false });
    expect([...resumed.getWeights()]).toEqual([...straight.getWeights()]);
  });

  it('is a safetensors file any reader can parse', () => {
    const bytes = modelToBytes(trained());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header['dense_1/kernel']).toEqual({ dtype: 'F32', shape: [12, 8], data_offsets: [expect.any(Number), expect.any(Number)] });
    expect(JSON.parse(header.__metadata__.deltagraph).format).toBe('deltagraph-model');
    expect((8 + n) % 8).toBe(0);
  });

  it('saves a model built with a custom op, and loads it once the op is defined', () => {
    const square2 = defineOp({ name: 'ioTestSquare', arity: 1, shape: ([s]) => s, kernel: ({ inputs: [x], output }) => () => output.set(x.map((v) => v * v)) });
    const g = new Graph();
    const x = g.input('x', [null, 12]);
    const model = new Model({ inputs: x, outputs: square2(g.dense(x, 3)) });
    const loaded = modelFromBytes(modelToBytes(model));
    expect(Array.from(loaded.predict(data.x))).toEqual(Array.from(model.predict(data.x)));
  });

  it('never leaves a half-written file: a failed save keeps the previous model', () => {
    const file = path.join(dir, 'keep.safetensors');
    saveModel(trained(), file);
    const before = readFileSync(file);
    mkdirSync(path.join(dir, 'blocked.safetensors'));
    expect(() => saveModel(trained(), path.join(dir, 'blocked.safetensors'))).toThrow(ModelFileError);
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  describe('refuses corrupt or mismatched files with a clear error', () => {
    const good = modelToBytes(trained());
    const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
    const write = (name: string, bytes: Uint8Array) => {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      return file;
    };
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['too short', () => good.subarray(0, 5), /bad1: not a deltagraph model file: it has only 5 bytes, starting with the bytes/],
      ['truncated header', () => good.subarray(0, 100), /bad2: byte 0: the header claims \d+ bytes but the file has 92/],
      ['truncated data', () => good.subarray(0, good.length - 40), /bad3: byte \d+: tensor '[^']+' has data offsets \[\d+, \d+\] beyond the \d+ bytes of data \(truncated\?\)/],
      ['garbage header', () => { const b = good.slice(); b[9] = 0x78; return b; }, /bad4: byte 8: the header is not valid JSON/],
      ['not deltagraph', () => { const h = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'); const b = new Uint8Array(8 + h.length + 4); new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true); b.set(h, 8); return b; }, /bad5: byte 8: no deltagraph model in the safetensors metadata/],
      ['a changed weight', () => { const b = good.slice(); new DataView(b.buffer).setFloat32(8 + headerLength, 0.5, true); return b; }, /bad6: byte \d+: tensor '.*' is corrupt: the CRC-32 of its bytes is [0-9a-f]+ but the file recorded [0-9a-f]+/],
    ];
    it.each(cases.map(([name, make, re], i) => [name, make, re, i] as const))('%s', (_, make, re, i) => {
      const file = write(`bad${i + 1}`, make());
      expect(() => loadModel(file)).toThrow(ModelFileError);
      expect(() => loadModel(file)).toThrow(re);
    });

    it('a missing file, and a graph with an op this process does not know', () => {
      expect(() => loadModel(path.join(dir, 'nope.safetensors'))).toThrow(/nope\.safetensors: file not found/);
      const g = new Graph();
      const x = g.input('x', [null, 12]);
      const renamed = modelToBytes(new Model({ inputs: x, outputs: g.dense(x, 3).sigmoid() }));
      const needle = '\\"op\\":\\"sigmoid';
      const at = Buffer.from(renamed).indexOf(needle);
      renamed[at + needle.length - 1] = 'q'.charCodeAt(0); // sigmoid → sigmoiq: same length, only the op name changes
      expect(() => modelFromBytes(renamed, 'x.safetensors')).toThrow(/x\.safetensors: byte 8: the model description is corrupt: its CRC-32 is/);
      expect(() => modelFromBytes(reseal(renamed), 'x.safetensors')).toThrow(
        /x\.safetensors: byte 8: the graph cannot be rebuilt at node \d+ \(sigmoiq\): unknown op 'sigmoiq'.*\(define custom ops with defineOp before loading\)/,
      );
    });

    it('setWeights refuses names and lengths that do not fit', () => {
      const model = smallModel();
      expect(() => model.setWeights({ 'dense_9/kernel': [1] })).toThrow(/no parameter named 'dense_9\/kernel'/);
      expect(() => model.setWeights({ 'dense_1/kernel': [1, 2] })).toThrow(/2 values for shape \[12,8\]/);
    });
  });
});
