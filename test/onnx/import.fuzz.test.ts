/**
 * Random byte mutations of ONNX files (a deltagraph export with a conv layer and batchNorm, and
 * PyTorch's LeNet): every one imports and runs, or fails with a DeltaGraphError (OnnxError for
 * the file, ShapeError or GraphError for a graph it describes that does not fit together) —
 * never a TypeError or RangeError, a hang, or a memory blow-up. ONNX has no checksum, so a
 * mutated weight is a different valid model: what is checked is that nothing but clean errors
 * escape, not that every mutation is caught.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeltaGraphError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { compile, Graph } from '../../src/index.ts';
import { Model } from '../../src/nn/index.ts';
import { exportOnnx, importOnnx } from '../../src/onnx/index.ts';
import { fuzzRuns, mutate, Tally } from '../fuzz.ts';

function originals(): Uint8Array[] {
  const g = new Graph({ seed: 4 });
  const x = g.input('x', [null, 6, 6, 1]);
  const h = g.batchNorm(g.conv2d(x, 3, { kernelSize: 3, padding: 'same', activation: 'relu' }));
  const ours = exportOnnx(new Model({ inputs: x, outputs: g.dense(g.flatten(g.maxPool2d(h)), 4, { activation: 'softmax' }) }));
  const lenet = new Uint8Array(readFileSync(new URL('./fixtures/lenet.onnx', import.meta.url)));
  return [ours, lenet];
}

/** Imports and runs the model on a batch of 2 with every unknown dimension 2. */
function importAndRun(bytes: Uint8Array): void {
  const { graph, inputs, outputs } = importOnnx(bytes);
  const size = (t: (typeof inputs)[number]) => t.shape.reduce<number>((a, d) => a * (d ?? 2), 1);
  if (inputs.some((t) => size(t) > 1e6) || outputs.some((t) => t.shape.reduce<number>((a, d) => a * (d ?? 2), 1) > 1e7)) return; // a shape edit made it huge: importing was the test
  const program = compile(graph, { outputs, training: false });
  try {
    program.run(Object.fromEntries(inputs.map((t) => [t.name!, new Float32Array(size(t)).fill(t.dtype === 'int' ? 1 : 0.5)])));
  } finally {
    program.device.dispose();
  }
}

describe('fuzz: mutated ONNX files', () => {
  it('import (and run) or fail with a DeltaGraphError, never anything else, in bounded time and memory', () => {
    const runs = fuzzRuns(300);
    const rng = new Rng(20261206);
    const tally = new Tally();
    const files = originals();
    const heap = process.memoryUsage().heapUsed;
    let peak = 0;
    for (let t = 0; t < runs; t++) {
      const bytes = files[t % files.length];
      const mutated = mutate(bytes, rng, [[0, Math.min(bytes.length, 400)]]);
      tally.record(
        `trial ${t}`,
        () => {
          importAndRun(mutated);
          return 'identical'; // imported and ran: a valid (perhaps different) model
        },
        (e) => e instanceof DeltaGraphError,
      );
      peak = Math.max(peak, process.memoryUsage().heapUsed - heap);
    }
    console.log(`${tally.summary('ONNX mutations').replace('identical', 'imported and ran')}; heap grew at most ${(peak / 2 ** 20).toFixed(0)} MB`);
    expect(tally.failures.slice(0, 5)).toEqual([]);
    expect(tally.counts['clean error']).toBeGreaterThan(runs / 10);
    expect(peak).toBeLessThan(512 * 2 ** 20);
  }, 120_000);
});
