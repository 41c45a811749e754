/**
 * npm run explain -- [options] — one HTML page explaining backprop on one MNIST batch: the
 * network, the BP1–BP4 trace (autodiff beside the hand reference), the gradients as maths, and
 * the gradient graph (a picture, a listing, and its DOT beside the page).
 *
 *   npm run explain                                   # Nielsen's [784,30,10] sigmoid, quadratic cost
 *   npm run explain -- --preset relu-softmax          # [784,30,10] ReLU, softmax cross-entropy
 *   npm run explain -- --model my.safetensors         # a saved model (dense layers)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Graph } from 'deltagraph';
import { loadMnist, loadModel, Model, sgd, type LossName } from 'deltagraph/nn';
import { explainBackprop, withGraphPicture } from 'deltagraph/reference';

const presets: Record<string, { hidden: 'sigmoid' | 'relu'; output: 'sigmoid' | 'linear'; loss: LossName; describe: string }> = {
  classic: { hidden: 'sigmoid', output: 'sigmoid', loss: 'quadratic', describe: "Nielsen's first network: sigmoid, quadratic cost" },
  'cross-entropy': { hidden: 'sigmoid', output: 'sigmoid', loss: 'binaryCrossEntropy', describe: 'sigmoid, cross-entropy cost' },
  'relu-softmax': { hidden: 'relu', output: 'linear', loss: 'softmaxCrossEntropy', describe: 'ReLU hidden layer, softmax cross-entropy' },
};

const usage = `Usage: npm run explain -- [options]
  --preset NAME   ${Object.keys(presets).join(' | ')} (default classic): a [784,30,10] net with N(0,1) weights
  --model FILE    explain a saved model instead (it must be compiled with a loss, or pass --loss)
  --loss NAME     the loss for --model: quadratic | binaryCrossEntropy | softmaxCrossEntropy
  --batch N       images in the batch, the first N of the training set (default 10)
  --out FILE      the page to write (default explain.html; the DOT goes beside it as .dot)`;

const { values: args } = parseArgs({
  options: { preset: { type: 'string', default: 'classic' }, model: { type: 'string' }, loss: { type: 'string' }, batch: { type: 'string', default: '10' }, out: { type: 'string', default: 'explain.html' }, help: { type: 'boolean' } },
});
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const m = Number(args.batch);
if (!Number.isInteger(m) || m < 1) {
  console.error(`--batch must be a whole number ≥ 1, got ${args.batch}\n${usage}`);
  process.exit(1);
}

let model: Model;
let title: string;
if (args.model) {
  model = loadModel(args.model);
  if (args.loss) model.compile({ loss: args.loss as LossName, optimizer: sgd({ learningRate: 0.1 }) });
  title = `Backprop of ${args.model} on ${m} MNIST images`;
} else {
  const preset = presets[args.preset!];
  if (!preset) {
    console.error(`unknown preset '${args.preset}'; choose ${Object.keys(presets).join(', ')}\n${usage}`);
    process.exit(1);
  }
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 784]);
  const init = { kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' } as const;
  const hidden = g.dense(x, 30, { activation: preset.hidden, ...init });
  model = new Model({ inputs: x, outputs: g.dense(hidden, 10, { activation: preset.output, ...init }) });
  model.compile({ loss: preset.loss, optimizer: sgd({ learningRate: 0.1 }) });
  title = `Backprop of [784, 30, 10] (${preset.describe}) on ${m} MNIST images`;
}

const { train } = loadMnist({ limit: m });
// The page, with its gradient graph drawn by Graphviz in WebAssembly.
const { html, dot, trace } = await withGraphPicture(explainBackprop(model, { x: train.x, y: train.y }, { title }));
const dotFile = args.out!.replace(/\.html?$/, '') + '.dot';
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, html);
writeFileSync(dotFile, dot);
console.log(`${title}: loss ${trace.loss.toPrecision(6)}, largest difference from the hand reference ${trace.maxDifference?.toExponential(1) ?? `(${trace.referenceNote})`}`);
console.log(`wrote ${args.out} (the trace and the gradient graph drawn) and ${dotFile} (its DOT)`);
model.dispose();
