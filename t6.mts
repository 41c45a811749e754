import { create } from 'webgpu';
import { compile, Device, grad, Graph } from './src/index.ts';
import './src/webgpu.ts';
import { adam, randomNormal } from './src/nn/index.ts';
async function attention(device: Device | null, dtype: 'float32' | 'float64', gpu: boolean) {
  const length = 5;
  const g = new Graph({ seed: 3 });
  const ids = g.input('ids', [null, length], 'int');
  const targets = g.input('targets', [null, length], 'int');
  const rate = g.input('learningRate', []);
  const tokens = g.embedding(ids, { inputDim: 10, outputDim: 32 });
  const x = tokens.add(g.parameter('positions', [length, 32], randomNormal(0.5)));
  const [q, k, v] = ['query', 'key', 'value'].map((name) => g.dense(x, 32, { useBias: false, name }));
  const weights = q.matMul(k, false, true).mul(1 / Math.sqrt(32)).softmax(-1);
  const V = process.env.V ?? '';
  const h0 = x.add(weights.matMul(v));
  const h = V.includes('noln') ? h0 : g.layerNorm(h0);
  const logits = g.dense(g.dense(h, 64, { activation: 'relu' }), 10);
  const loss = logits.softmaxCrossEntropy(targets).mean();
  const params = g.trainableParameters;
  const gs = grad(loss, params);
  const updates = V.includes('sgd') ? params.map((p, i) => [p, p.sub(gs[i].mul(rate))] as [any, any]) : adam({ learningRate: 0.01, epsilon: Number(process.env.EPS ?? 1e-8) }).updates(params, gs, rate);
  const train = compile(g, { outputs: [loss], updates, training: true, ...(device ? { device } : { dtype }) });
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const losses: number[] = [];
  for (let s = 0; s < 50; s++) {
    const xs = Int32Array.from({ length: 64 * length }, () => Math.floor(next() * 10));
    const ys = xs.map((_, i) => xs[i - (i % length) + length - 1 - (i % length)]);
    const feeds = { ids: xs, targets: ys, learningRate: [0.01] };
    const [value] = gpu ? await train.runAsync(feeds) : train.run(feeds);
    losses.push(value[0]);
  }
  return losses;
}
const f64 = await attention(null, 'float64', false);
const wasm = await attention(null, 'float32', false);
const gpu = await attention(await Device.create({ backend: 'webgpu', gpu: create([]) }), 'float32', true);
const rel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));
console.log('wasm vs f64', rel(wasm, f64).toExponential(2), 'gpu vs f64', rel(gpu, f64).toExponential(2), 'gpu vs wasm', rel(gpu, wasm).toExponential(2));
console.log(gpu.map((x, i) => (Math.abs(x - f64[i]) / f64[i]).toExponential(1)).join(' '));
process.exit(0);
