import { compile, grad, Graph } from 'deltagraph';

// A [4, 30, 3] sigmoid network with Nielsen's quadratic cost, as a graph.
const g = new Graph({ seed: 42 });
const x = g.input('x', [null, 4]); // null: the batch size, fixed when run
const y = g.input('y', [null, 3]);
const h = g.dense(x, 30).sigmoid(); // dense creates its kernel and bias parameters
const out = g.dense(h, 3).sigmoid();
const loss = out.sub(y).square().sum(1).mean().mul(0.5);

// Gradients are more graph: print them, compile them, differentiate them again.
const params = g.parameters;
const grads = grad(loss, params);

// One program = forward pass + backward pass + the update W ← W − η·dW.
const eta = 3.0;
const step = compile(g, {
  outputs: [loss],
  updates: params.map((p, i) => [p, p.sub(grads[i].mul(eta))] as const),
});

const xs = Float32Array.from([0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0]); // 3 samples
const ys = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
for (let epoch = 0; epoch <= 300; epoch++) {
  const [lossValue] = step.run({ x: xs, y: ys });
  if (epoch % 100 === 0) console.log(`epoch ${epoch}: loss ${lossValue[0].toFixed(4)}`);
}

// A second program on the same device sees the trained weights.
const predict = compile(g, { outputs: [out], device: step.device });
console.log('predictions', Array.from(predict.run({ x: xs })[0], (v) => v.toFixed(2)).join(' '));
