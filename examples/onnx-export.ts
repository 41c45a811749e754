/**
 * npm run example:onnx — the MNIST conv preset's network, trained briefly, exported as ONNX and
 * run by ONNX Runtime (onnxruntime-node): the same digits, the same probabilities. Then the file
 * is imported back into deltagraph and evaluated again.
 *
 *   npm run example:onnx -- --limit 2000 --out conv.onnx
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Graph, type Tensor } from 'deltagraph';
import { loadMnist, Model, momentum } from 'deltagraph/nn';
import { exportOnnx, importOnnx } from 'deltagraph/onnx';

const { values: args } = parseArgs({ options: { limit: { type: 'string', default: '2000' }, out: { type: 'string', default: 'mnist-conv.onnx' } } });
const data = loadMnist({ limit: Number(args.limit) });

// The conv preset of npm run mnist: conv 5x5x20 → pool → conv 5x5x40 → pool → dense 100 (dropout) → 10.
const g = new Graph({ seed: 1 });
const x = g.input('x', [null, 28, 28, 1]);
let h: Tensor = x;
for (const filters of [20, 40]) h = g.maxPool2d(g.conv2d(h, filters, { kernelSize: 5, activation: 'relu', kernelInitializer: 'heNormal' }));
h = g.dropout(g.dense(g.flatten(h), 100, { activation: 'relu', kernelInitializer: 'heNormal' }), 0.5);
const model = new Model({ inputs: x, outputs: g.dense(h, 10, { activation: 'softmax', kernelInitializer: 'heNormal' }) });
model.compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.05, momentum: 0.9 }) });
model.fit(data.train, { epochs: 1, batchSize: 64, seed: 1 });
console.log(`deltagraph: test accuracy ${(100 * model.evaluate(data.test).accuracy).toFixed(2)}% after one epoch on ${data.train.count} images`);

const bytes = exportOnnx(model);
writeFileSync(args.out!, bytes);
console.log(`Exported ${args.out} (${(bytes.length / 1024).toFixed(0)} KB, opset 17): input 'x' [batch, 28, 28, 1] as in deltagraph, output 'output' [batch, 10]`);

// ONNX Runtime on the first 1000 test images, in batches of 250 (the batch dimension is dynamic).
const session = await ort.InferenceSession.create(bytes);
const count = 1000;
const ours = model.predict(data.test.x.subarray(0, count * 784));
const theirs = new Float32Array(count * 10);
for (let start = 0; start < count; start += 250) {
  const batch = Float32Array.from(data.test.x.subarray(start * 784, (start + 250) * 784));
  const result = await session.run({ x: new ort.Tensor('float32', batch, [250, 28, 28, 1]) });
  theirs.set(result.output.data as Float32Array, start * 10);
}
await session.release();
const argmax = (p: Float32Array, row: number) => p.subarray(row * 10, row * 10 + 10).reduce((best, v, i, a) => (v > a[best] ? i : best), 0);
let agree = 0;
let difference = 0;
for (let i = 0; i < count; i++) agree += argmax(ours, i) === argmax(theirs, i) ? 1 : 0;
for (let i = 0; i < ours.length; i++) difference = Math.max(difference, Math.abs(ours[i] - theirs[i]));
console.log(`ONNX Runtime ${ort.env.versions.common}: the same digit for ${agree} of ${count} test images; largest difference in a probability ${difference.toExponential(2)}`);

// And back: the ONNX file as a deltagraph model, parameters under their names.
const imported = importOnnx(bytes);
const back = new Model({ inputs: imported.inputs[0], outputs: imported.outputs[0] });
back.compile({ loss: 'softmaxCrossEntropy', optimizer: momentum({ learningRate: 0.05, momentum: 0.9 }) });
console.log(`Imported back: ${imported.parameters.length} parameters (${imported.parameters.map((p) => p.name).slice(0, 2).join(', ')}, …), test accuracy ${(100 * back.evaluate(data.test).accuracy).toFixed(2)}%`);
model.dispose();
back.dispose();
