import { Graph } from 'deltagraph';
import { loadMnist, Model, sgd } from 'deltagraph/nn';
import { traceBackprop } from 'deltagraph/reference';

// Nielsen's first network: [784, 30, 10], sigmoid everywhere, quadratic cost, N(0, 1) weights.
const g = new Graph({ seed: 1 });
const x = g.input('x', [null, 784]);
const init = { kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' } as const;
const hidden = g.dense(x, 30, { activation: 'sigmoid', ...init });
const model = new Model({ inputs: x, outputs: g.dense(hidden, 10, { activation: 'sigmoid', ...init }) });
model.compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });

// One mini-batch of 10 MNIST images: z, a, δ (BP1, BP2), ∂C/∂b (BP3), ∂C/∂w (BP4) per layer,
// from the autodiff graph, beside the hand-derived reference on the same weights and batch.
const { train } = loadMnist({ limit: 10 });
const trace = traceBackprop(model, { x: train.x, y: train.y });
console.log(trace.toString());

// Every quantity is also an array: δ2 of the first image, one entry per output neuron.
console.log('δ2 of image 1:', Array.from(trace.layers[1].delta.data.subarray(0, 10), (v) => v.toFixed(4)).join(' '));
model.dispose();
