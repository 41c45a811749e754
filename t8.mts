import { create } from 'webgpu';
import { compile, Device, grad, Graph } from './src/index.ts';
import './src/webgpu.ts';
import { adam, randomNormal } from './src/nn/index.ts';
const steps = Number(process.env.STEPS ?? 3);
async function run(device: Device | null) {
  const length = 5;
  const g = new Graph({ seed: 3 });
  const ids = g.input('ids', [null, length], 'int');
  const targets = g.input('targets', [null, length], 'int');
  const rate = g.input('learningRate', []);
  const tokens = g.embedding(ids, { inputDim: 10, outputDim: 32 });
  const x = tokens.add(g.parameter('positions', [length, 32], randomNormal(0.5)));
  const [q, k, v] = ['query', 'key', 'value'].map((name) => g.dense(x, 32, { useBias: false, name }));
  const weights = q.matMul(k, false, true).mul(1 / Math.sqrt(32)).softmax(-1);
  const h = x.add(weights.matMul(v));
  const logits = g.dense(g.dense(h, 64, { activation: 'relu' }), 10);
  const loss = logits.softmaxCrossEntropy(targets).mean();
  const params = g.trainableParameters;
  const updates = adam({ learningRate: 0.01, epsilon: 1e-3 }).updates(params, grad(loss, params), rate);
  const train = compile(g, { outputs: [loss], updates, training: true, ...(device ? { device } : { dtype: (process.env.DT ?? 'float64') as 'float64' }) });
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let s = 0; s < steps; s++) {
    const xs = Int32Array.from({ length: 64 * length }, () => Math.floor(next() * 10));
    const ys = xs.map((_, i) => xs[i - (i % length) + length - 1 - (i % length)]);
    const feeds = { ids: xs, targets: ys, learningRate: [0.01] };
    if (device) await train.runAsync(feeds); else train.run(feeds);
  }
  const out = new Map<string, Float64Array>();
  for (const p of g.parameters) out.set(p.name!, device ? await device.readAsync(p.name!) : train.device.read(p.name!));
  return out;
}
const f64 = await run(null);
const gpu = await run(await Device.create({ backend: 'webgpu', gpu: create([]) }));
for (const [name, a] of f64) {
  const b = gpu.get(name)!;
  const scale = Math.max(...Array.from(a, Math.abs), 1e-12);
  const d = Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]))) / scale;
  if (!name.startsWith('optimizer/')) console.log(name.padEnd(28), d.toExponential(2));
}
process.exit(0);
