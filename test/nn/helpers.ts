import { Graph } from '../../src/index.ts';
import { Model, Rng, type Dataset } from '../../src/nn/index.ts';

/** A small learnable problem: class = which of `classes` blocks of features has the largest mean. */
export function blobs(count: number, features = 12, classes = 3, seed = 5): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(count * features);
  const y = new Int32Array(count);
  const block = features / classes;
  for (let i = 0; i < count; i++) {
    const label = rng.int(classes);
    y[i] = label;
    for (let f = 0; f < features; f++) x[i * features + f] = rng.next() * 0.5 + (Math.floor(f / block) === label ? 0.5 : 0);
  }
  return { x, y, count, features, classes };
}

export function smallModel(options: { seed?: number; hidden?: number; activation?: 'sigmoid' | 'relu'; output?: 'sigmoid' | 'softmax'; dropout?: number } = {}) {
  const g = new Graph({ seed: options.seed ?? 1 });
  const x = g.input('x', [null, 12]);
  let h = g.dense(x, options.hidden ?? 8, { activation: options.activation ?? 'sigmoid' });
  if (options.dropout) h = g.dropout(h, options.dropout);
  const out = g.dense(h, 3, { activation: options.output ?? 'sigmoid' });
  return new Model({ inputs: x, outputs: out });
}
