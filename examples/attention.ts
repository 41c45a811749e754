/**
 * npm run example:attention — a custom architecture beyond conv nets, written with the graph API
 * alone: a one-layer self-attention model (token and position embeddings, query/key/value
 * projections, batched products, softmax over the keys, a residual connection, layer norm) that
 * learns to reverse strings of digits. Its gradient is checked against finite differences first.
 *
 *   npm run example:attention -- [--steps 300] [--length 5]
 */
import { parseArgs } from 'node:util';
import { compile, grad, gradCheck, Graph, Rng, type Tensor } from 'deltagraph';
import { adam, randomNormal } from 'deltagraph/nn';

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '300' }, length: { type: 'string', default: '5' } } });
const steps = Number(args.steps);
const length = Number(args.length);
const digits = 10;
const width = 32;

/** Self-attention over vectors x [batch, steps, width]: softmax(q·kᵀ/√d)·v added back to x, then normalised. */
function attentionBlock(g: Graph, x: Tensor): Tensor {
  const d = x.shape[2] as number;
  const [q, k, v] = ['query', 'key', 'value'].map((name) => g.dense(x, d, { useBias: false, name }));
  const weights = q.matMul(k, false, true).mul(1 / Math.sqrt(d)).softmax(-1); // [batch, steps, steps]
  return g.layerNorm(x.add(weights.matMul(v)));
}

// The same block on tiny random inputs, in float64, against central differences.
const check = gradCheck(
  (x) => attentionBlock(x.graph, x).tanh(),
  [{ shape: [2, 3, 4] }],
);
console.log(`attention block: finite-difference check, max relative error ${check.maxRelativeError.toExponential(2)}`);

const g = new Graph({ seed: 3 });
const ids = g.input('ids', [null, length], 'int');
const targets = g.input('targets', [null, length], 'int');
const rate = g.input('learningRate', []);
const tokens = g.embedding(ids, { inputDim: digits, outputDim: width });
const positions = g.parameter('positions', [length, width], randomNormal(0.5)); // added to every sequence
const h = attentionBlock(g, tokens.add(positions));
const logits = g.dense(g.dense(h, 64, { activation: 'relu' }), digits); // [batch, steps, digits]
const loss = logits.softmaxCrossEntropy(targets).mean();

const params = g.trainableParameters;
const updates = adam({ learningRate: 0.01 }).updates(params, grad(loss, params), rate);
const train = compile(g, { outputs: [loss], updates, training: true });
const predict = compile(g, { outputs: [logits], device: train.device, training: false });

const rng = new Rng(11);
/** `count` random digit strings and their reversals. */
function batch(count: number): { ids: Int32Array; targets: Int32Array } {
  const x = Int32Array.from({ length: count * length }, () => rng.int(digits));
  const y = x.map((_, i) => x[i - (i % length) + length - 1 - (i % length)]);
  return { ids: x, targets: y };
}

const started = performance.now();
for (let step = 1; step <= steps; step++) {
  const { ids: x, targets: y } = batch(64);
  const [value] = train.run({ ids: x, targets: y, learningRate: [0.01] });
  if (step % 50 === 0) console.log(`step ${step}  loss ${value[0].toFixed(4)}`);
}
const seconds = (performance.now() - started) / 1000;

const test = batch(1000);
const [out] = predict.run({ ids: test.ids });
let tokensRight = 0;
let stringsRight = 0;
for (let s = 0; s < 1000; s++) {
  let all = true;
  for (let t = 0; t < length; t++) {
    const row = (s * length + t) * digits;
    let best = 0;
    for (let c = 1; c < digits; c++) if (out[row + c] > out[row + best]) best = c;
    const right = best === test.targets[s * length + t];
    tokensRight += right ? 1 : 0;
    all &&= right;
  }
  stringsRight += all ? 1 : 0;
}
console.log(`Reversing ${length}-digit strings, 1000 new ones: ${(100 * stringsRight / 1000).toFixed(1)}% exactly right, ${(100 * tokensRight / (1000 * length)).toFixed(1)}% of digits (${steps} steps in ${seconds.toFixed(1)} s)`);
train.device.dispose();
