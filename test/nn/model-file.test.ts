import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/index.ts';
import { adam, loadModel, Model, modelFromBytes, modelToBytes, ModelFileError, momentum, saveModel, sgd } from '../../src/nn/node/index.ts';
import { blobs } from './helpers.ts';
import { craft, disassemble, relayout, type ModelFileParts } from './model-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'deltagraph-model-file-'));
const root = fileURLToPath(new URL('../..', import.meta.url));

function small(): Model {
  const g = new Graph({ seed: 2 });
  const x = g.input('x', [null, 4]);
  const out = g.dense(g.dense(x, 3, { activation: 'tanh' }), 2, { activation: 'sigmoid' }).mul(g.constant([0.5, 2], [2]));
  const model = new Model({ inputs: x, outputs: out }).compile({ loss: 'quadratic', optimizer: adam({ learningRate: 0.01 }) });
  model.fit(blobs(20, 4, 2, 7), { epochs: 1, batchSize: 5, shuffle: false });
  return model;
}

const good = modelToBytes(small());
const load = (bytes: Uint8Array) => () => modelFromBytes(bytes, 'm.safetensors');

/** Points tensor `a` at the bytes of `b` (same size), dropping a's own bytes so that nothing else changes. */
function overlap(p: ModelFileParts, a: string, b: string): void {
  relayout(p, Object.keys(p.header).filter((n) => n !== a)); // a last
  const [begin] = p.header[a].data_offsets;
  p.data = p.data.slice(0, begin);
  p.header[a].data_offsets = [...p.header[b].data_offsets];
}

describe('model files: the layout of the data', () => {
  it('refuses overlapping offsets (two tensors reading the same bytes)', () => {
    const bad = craft(good, (p) => overlap(p, 'dense_2/bias', 'optimizer/dense_2/bias/m'));
    expect(load(bad)).toThrow(/m\.safetensors: byte \d+: tensor '[^']+' \[\d+, \d+\] overlaps tensor '[^']+'/);
  });

  it('refuses a gap, bytes after the last tensor, and a misaligned tensor', () => {
    const gap = craft(good, (p) => {
      relayout(p, []);
      const first = Object.values(p.header).find((e) => e.data_offsets[0] === 0)!;
      for (const e of Object.values(p.header)) if (e !== first) e.data_offsets = [e.data_offsets[0] + 8, e.data_offsets[1] + 8];
      const data = new Uint8Array(p.data.length + 8);
      data.set(p.data.subarray(0, first.data_offsets[1]));
      data.set(p.data.subarray(first.data_offsets[1]), first.data_offsets[1] + 8);
      p.data = data;
    });
    expect(load(gap)).toThrow(/8 bytes of data before tensor '[^']+' belong to no tensor/);
    const trailing = craft(good, (p) => {
      p.data = Uint8Array.from([...p.data, 1, 2, 3, 4, 5, 6, 7, 8]);
    });
    expect(load(trailing)).toThrow(/8 bytes after the last tensor belong to no tensor \(trailing garbage\?\)/);
    // An F32 tensor of 3 values first puts every F64 tensor after it at 12 bytes: misaligned.
    const misaligned = craft(good, (p) => relayout(p, ['dense_1/bias']));
    expect(load(misaligned)).toThrow(/tensor '[^']+' F64 starts at data byte \d+, not a multiple of 8 \(misaligned\)/);
  });

  it('refuses a shape that disagrees with the model, an unknown dtype, an extra tensor, a missing one', () => {
    const shape = craft(good, ({ header }) => {
      header['dense_1/kernel'].shape = [3, 4];
    });
    expect(load(shape)).toThrow(/tensor 'dense_1\/kernel' has shape \[3,4\] but its node is \[4,3\]/);
    const dtype = craft(good, ({ header }) => {
      header['dense_1/kernel'].dtype = 'I32';
    });
    expect(load(dtype)).toThrow(/tensor 'dense_1\/kernel': dtype is 'I32' \(a string\); F32 or F64 expected/);
    const extra = craft(good, (p) => {
      p.header.extra = { dtype: 'F64', shape: [1], data_offsets: [p.data.length, p.data.length + 8] };
      p.data = Uint8Array.from([...p.data, 0, 0, 0, 0, 0, 0, 0, 0]);
    });
    expect(load(extra)).toThrow(/tensor 'extra' is not part of the model/);
    const missing = craft(good, (p) => {
      delete p.header['dense_2/bias'];
      relayout(p, []);
    });
    expect(load(missing)).toThrow(/tensor 'dense_2\/bias' is missing/);
  });

  it('detects a changed byte in any tensor by its checksum', () => {
    const { header } = disassemble(good);
    const base = good.length - disassemble(good).data.length;
    for (const [name, entry] of Object.entries(header)) {
      const bad = good.slice();
      bad[base + entry.data_offsets[0]] ^= 0x10;
      expect(load(bad)).toThrow(new RegExp(`byte ${base + entry.data_offsets[0]}: tensor '${name}' is corrupt: the CRC-32`));
    }
  });
});

describe('model files: the header and the model description', () => {
  it('says "not a deltagraph model file" for garbage, and names the version it reads', () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    expect(load(garbage)).toThrow(/^m\.safetensors: not a deltagraph model file: a model file \(safetensors\) is 8 bytes giving the header length, then a JSON header starting with '\{'; this file starts with the bytes [0-9a-f ]+…$/);
    expect(load(new TextEncoder().encode('hello, world!\n'))).toThrow(
      "m.safetensors: not a deltagraph model file: a model file (safetensors) is 8 bytes giving the header length, then a JSON header starting with '{'; this file starts with the text \"hello, world!\\n\"",
    );
    expect(load(new Uint8Array(0))).toThrow('m.safetensors: not a deltagraph model file: the file is empty');
    const newer = craft(good, ({ saved }) => {
      saved.version = 3;
    });
    expect(load(newer)).toThrow(/the file is format version 3, newer than this deltagraph reads \(versions 1 to 2\); update deltagraph to load it/);
    const text = craft(good, ({ saved }) => {
      saved.version = '2';
    });
    expect(load(text)).toThrow(/the format version is '2' \(a string\); this deltagraph reads versions 1 to 2/);
  });

  it('refuses a __proto__ key anywhere in the header or the description', () => {
    const inHeader = craft(good, () => {}, { headerText: (json) => json.replace('{"__metadata__"', '{"__proto__":{"polluted":1},"__metadata__"') });
    expect(load(inHeader)).toThrow(/the header is not valid JSON \(it has a key '__proto__'\)/);
    const inAttrs = craft(good, ({ saved }) => {
      (saved.nodes as { attrs: Record<string, unknown> }[])[2].attrs = JSON.parse('{"__proto__":{"polluted":1}}');
    });
    expect(load(inAttrs)).toThrow(/the model description is not valid JSON \(it has a key '__proto__'\)/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['epochsTrained', '5', /the model description's epochsTrained must be a whole number ≥ 0, got '5' \(a string\)/],
    ['epochsTrained', -3, /epochsTrained must be a whole number ≥ 0, got -3/],
    ['epochsTrained', 2.5, /epochsTrained must be a whole number ≥ 0, got 2\.5/],
    ['dtype', 'float16', /the model description's dtype must be 'float32' or 'float64', got 'float16'/],
    ['input', 99, /the model description's input must be a node index \(< \d+\), got 99/],
    ['nodes', {}, /the model description's nodes must be a non-empty list, got an object/],
  ])('refuses %s = %j in the description', (field, value, re) => {
    expect(load(craft(good, ({ saved }) => void (saved[field] = value)))).toThrow(re);
  });

  it('refuses bad nodes, a bad loss, and optimizer settings no optimizer accepts', () => {
    const edit = (f: (saved: Record<string, any>) => void) => load(craft(good, ({ saved }) => f(saved)));
    expect(edit((s) => (s.nodes[3].inputs = [7]))).toThrow(/nodes\[3\]\.inputs must be a list of earlier node indices \(< 3\), got an array \[7\]/);
    expect(edit((s) => (s.nodes[0].shape = [null, '4']))).toThrow(/nodes\[0\]\.shape must be a list of whole numbers or null/);
    expect(edit((s) => (s.nodes[2].shape = [4, 4]))).toThrow(/(node 2 \(\w+\) rebuilds as|has shape \[4,4\] but its node)/);
    expect(edit((s) => (s.compile.loss = 'hinge'))).toThrow(/compile\.loss must be one of quadratic, binaryCrossEntropy, softmaxCrossEntropy, got 'hinge'/);
    expect(edit((s) => (s.compile.optimizer.beta1 = 5))).toThrow(/compile\.optimizer is invalid: adam: beta1 must be a number in \[0, 1\), got 5/);
    expect(edit((s) => (s.compile.optimizer.learningRate = '0.1'))).toThrow(/compile\.optimizer is invalid: optimizer config: learningRate must be a number or a step or cosine schedule, got '0\.1'/);
  });

  it('refuses optimizer state no training makes: a negative second moment, a fractional step', () => {
    const negative = craft(good, ({ header, data }) => {
      new DataView(data.buffer).setFloat32(header['optimizer/dense_1/kernel/v'].data_offsets[0] + 4, -1e-3, true);
    });
    expect(load(negative)).toThrow(/tensor 'optimizer\/dense_1\/kernel\/v' \(Adam's second moment\) has -0\.00100000\d+ at index 1; it is a mean of squares, never negative/);
    const step = craft(good, ({ header, data }) => {
      const e = header['optimizer/step'];
      if (e.dtype === 'F64') new DataView(data.buffer).setFloat64(e.data_offsets[0], 2.5, true);
      else new DataView(data.buffer).setFloat32(e.data_offsets[0], 2.5, true);
    });
    expect(load(step)).toThrow(/tensor 'optimizer\/step' \(Adam's step count\) has 2\.5 at index 0/);
    const nan = craft(good, ({ header, data }) => {
      new DataView(data.buffer).setFloat32(header['dense_1/kernel'].data_offsets[0], NaN, true);
    });
    expect(load(nan)).toThrow(/tensor 'dense_1\/kernel' has NaN at index 0/);
  });

  it('still loads version 1 files (no checksums, tensors in any order), with the same predictions', () => {
    const file = path.join(root, 'test/nn/fixtures/model-v1.safetensors');
    const model = loadModel(file);
    // Printed by the version 1 code (main c637342) that wrote the fixture.
    const expected = [0.23558244109153748, 0.6534503102302551, 0.23861044645309448, 0.5680599808692932, 0.23561835289001465, 0.702905535697937];
    expect(Array.from(model.predict(blobs(20, 4, 2, 7).x.subarray(0, 12)))).toEqual(expected);
    expect(model.epochsTrained).toBe(2);
    expect(model.config!.optimizer.name).toBe('adam');
    // A version 1 file is still checked for its layout.
    const bytes = new Uint8Array(readFileSync(file));
    const overlapping = craft(bytes, (p) => overlap(p, 'dense_2/bias', 'optimizer/dense_2/bias/m'));
    expect(load(overlapping)).toThrow(/overlaps tensor/);
    model.dispose();
  });
});

describe('saving never loses data', () => {
  it('refuses parameter names the file cannot hold, before touching the old file', () => {
    const file = path.join(dir, 'reserved.safetensors');
    saveModel(small(), file);
    const before = readFileSync(file);
    for (const name of ['__metadata__', '__proto__', 'constant:1']) {
      const g = new Graph();
      const x = g.input('x', [null, 2]);
      const model = new Model({ inputs: x, outputs: x.matMul(g.parameter(name, [2, 2])) });
      expect(() => saveModel(model, file)).toThrow(ModelFileError);
      expect(() => saveModel(model, file)).toThrow(new RegExp(`reserved\\.safetensors: parameter '${name}' cannot be saved: .*; give it another name`));
      model.dispose();
    }
    expect(readFileSync(file)).toEqual(before);
  });

  it('removes temporary files that killed saves left behind, but not those of a save in progress elsewhere', () => {
    const file = path.join(dir, 'stale.safetensors');
    const dead = `stale.safetensors.tmp-999999999-${Date.now()}`; // no process has this id (Linux caps ids at 4194304)
    const ours = `stale.safetensors.tmp-${process.pid}-1`;
    const live = `stale.safetensors.tmp-${process.ppid}-1`; // the parent runs: its save may be in progress
    const unrelated = 'stale.safetensors.tmp-notes';
    for (const name of [dead, ours, live, unrelated]) writeFileSync(path.join(dir, name), 'partial');
    saveModel(small(), file);
    const left = readdirSync(dir).filter((f) => f.startsWith('stale.'));
    expect(left.sort()).toEqual(['stale.safetensors', live, unrelated].sort());
    expect(loadModel(file).epochsTrained).toBe(1);
  });

  it('a size limit mid-write (like a full disk) fails the save and keeps the previous file whole', () => {
    const file = path.join(dir, 'limited.safetensors');
    const script = path.join(dir, 'big-save.ts');
    writeFileSync(
      script,
      `import { Graph } from ${JSON.stringify(path.join(root, 'src/index.ts'))};
       import { Model, saveModel } from ${JSON.stringify(path.join(root, 'src/nn/node/index.ts'))};
       const g = new Graph({ seed: Number(process.argv[2]) });
       const x = g.input('x', [null, 400]);
       const model = new Model({ inputs: x, outputs: g.dense(x, 400), threads: false });
       try { saveModel(model, ${JSON.stringify(file)}); console.log('saved'); } catch (e) { console.log(String(e)); }
       model.dispose();`,
    );
    const tsx = path.join(root, 'node_modules/.bin/tsx');
    expect(execFileSync(tsx, [script, '1'], { encoding: 'utf8' })).toMatch(/saved/);
    const before = readFileSync(file);
    expect(before.length).toBeGreaterThan(600_000);
    // ulimit -f 300: no file may grow past 300 KiB; a write beyond gets fewer bytes, then EFBIG.
    const limited = spawnSync('bash', ['-c', `ulimit -f 300 && exec ${tsx} ${script} 2`], { encoding: 'utf8' });
    expect(limited.stdout).toMatch(/ModelFileError: .*limited\.safetensors: could not be written \(.*\); the previous file, if any, is unchanged/);
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.startsWith('limited.safetensors.tmp'))).toEqual([]);
  }, 60_000);
});

describe('loading reads regular files only', () => {
  it('refuses a folder and a FIFO without blocking', () => {
    const folder = path.join(dir, 'a-folder.safetensors');
    mkdirSync(folder);
    expect(() => loadModel(folder)).toThrow(/a-folder\.safetensors: is a folder, not a regular file/);
    const fifo = path.join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    expect(existsSync(fifo)).toBe(true);
    // In a child with a time limit: a loader that opens a FIFO blocking would hang for ever.
    const script = path.join(dir, 'load-fifo.ts');
    writeFileSync(
      script,
      `import { loadModel } from ${JSON.stringify(path.join(root, 'src/nn/node/index.ts'))};
       try { loadModel(${JSON.stringify(fifo)}); console.log('loaded'); } catch (e) { console.log(String(e)); }`,
    );
    const out = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.stdout).toMatch(/pipe\.safetensors: is a FIFO \(named pipe\), not a regular file/);
  }, 60_000);
});

describe('optimizer options are checked for type', () => {
  it.each([
    [() => sgd({ learningRate: '0.1' as never }), /sgd: learningRate must be a positive number or a schedule \(stepDecay, cosineDecay\), got '0\.1' \(a string\)/],
    [() => (sgd as () => unknown)(), /^sgd: learningRate must be a positive number or a schedule \(stepDecay, cosineDecay\), got undefined$/],
    [() => (momentum as () => unknown)(), /^momentum: learningRate must be a positive number or a schedule \(stepDecay, cosineDecay\), got undefined$/],
    [() => sgd({ learningRate: 0.1, momentum: 0.9 } as never), /sgd: unknown option 'momentum'; the options are learningRate/],
    [() => adam({ beta1: 5 }), /adam: beta1 must be a number in \[0, 1\), got 5/],
    [() => adam({ epsilon: '1e-8' as never }), /adam: epsilon must be a positive number, got '1e-8' \(a string\)/],
  ])('%#', (make, re) => {
    expect(make).toThrow(re);
  });
});

describe('what a loaded model remembers', () => {
  it('summary() lists the same layers after loadModel', () => {
    const model = small();
    const loaded = modelFromBytes(modelToBytes(model));
    expect(loaded.summary()).toBe(model.summary());
    expect(loaded.summary()).toMatch(/dense_1 \(dense tanh\)\s+\[null,3\]\s+15/);
    loaded.dispose();
  });
});
