/**
 * npx tsx bench/parameter-memory.ts [sgd|adam] [units] — what a large layer costs to build and
 * compile: g.dense(x, units) on a [null, 784] input (units = 1e6: 784 million parameters, 3.1 GB
 * as float32), a Model compiled with SGD or Adam, and its training step compiled (the parameters
 * placed and filled on the device). Prints the phases' times and the peak resident memory; a model
 * that cannot fit prints the error and how long it took to say it. Run it on a quiet machine with
 * memory to spare: the SGD case holds 3.1 GB.
 */
import { Graph } from '../src/index.ts';
import { adam, Model, sgd } from '../src/nn/index.ts';

const optimizer = process.argv[2] ?? 'sgd';
const units = Number(process.argv[3] ?? 1e6);
const peak = () => `${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(2)} GB peak RSS`;
const started = performance.now();
const at = () => `${((performance.now() - started) / 1000).toFixed(2)} s`;
try {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 784]);
  const out = g.dense(x, units);
  console.log(`built g.dense(x, ${units}): ${at()}, ${peak()}`);
  const model = new Model({ inputs: x, outputs: out, threads: false });
  console.log(`new Model (parameters placed and filled on the device): ${at()}, ${peak()}`);
  const compiling = performance.now();
  try {
    model.compile({ loss: 'softmaxCrossEntropy', optimizer: optimizer === 'adam' ? adam() : sgd({ learningRate: 0.01 }) });
  } finally {
    console.log(`model.compile took ${(performance.now() - compiling).toFixed(1)} ms`);
  }
  model.trainingStep(32);
  console.log(`training step compiled with ${optimizer}: ${at()}, ${peak()}`);
} catch (e) {
  console.log(`${String(e)}\n(after ${at()}, ${peak()})`);
}
