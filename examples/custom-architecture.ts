/**
 * npm run example:custom — a deeper network with mixed activations, a skip connection and an op
 * defined by the user (a "swish" activation x·σ(βx) with its own kernel and gradient), trained on
 * MNIST. The custom op's gradient is checked against finite differences first.
 *
 *   npm run example:custom -- [--epochs 3] [--limit 10000]
 */
import { parseArgs } from 'node:util';
import { defineOp, Graph, gradCheck, type Tensor } from 'deltagraph';
import { adam, loadMnist, Model, progressBar } from 'deltagraph/nn';

// A user-defined op: shape rule, kernel and gradient side by side, as the built-ins are written.
const swish = defineOp<{ beta: number }>({
  name: 'swish',
  arity: 1,
  doc: 'x·σ(βx)',
  shape: ([x]) => x,
  kernel: ({ inputs: [x], output, attrs: { beta } }) => () => {
    for (let i = 0; i < output.length; i++) output[i] = x[i] / (1 + Math.exp(-beta * x[i]));
  },
  // d/dx x·σ(βx) = σ(βx) + βx·σ(βx)(1 − σ(βx)), written with graph ops so it differentiates again.
  vjp: ({ dy, inputs: [x], attrs: { beta } }) => {
    const s = x.mul(beta).sigmoid();
    return [dy.mul(s.add(x.mul(beta).mul(s).mul(s.neg().add(1))))];
  },
});

const { values: args } = parseArgs({ options: { epochs: { type: 'string', default: '3' }, limit: { type: 'string', default: '20000' } } });

const check = gradCheck((x) => swish(x, { beta: 1.5 }), [{ shape: [4, 5] }], { order: 2 });
console.log(`swish: second-order finite-difference check, max relative error ${check.maxRelativeError.toExponential(2)}`);

const g = new Graph({ seed: 7 });
const x = g.input('x', [null, 784]);
const a = g.dense(x, 128, { activation: 'relu', kernelInitializer: 'heNormal' });
const b = g.recordLayer('swish_1', 'swish', swish(g.dense(a, 64, { kernelInitializer: 'heNormal' }), { beta: 1.5 }));
const c = g.dense(b, 64, { activation: 'tanh' });
// A skip connection: the tanh block learns a correction to b.
const skip: Tensor = g.recordLayer('skip', 'b + c', b.add(c));
const logits = g.dense(g.dropout(skip, 0.1), 10);

const model = new Model({ inputs: x, outputs: logits }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.002 }) });
console.log(model.summary());
const data = loadMnist({ limit: Number(args.limit) });
model.fit(data.train, { epochs: Number(args.epochs), batchSize: 64, validationData: data.validation, callbacks: [progressBar()] });
console.log(`Test accuracy ${(100 * model.evaluate(data.test).accuracy).toFixed(2)}%`);
