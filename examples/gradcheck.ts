/**
 * npm run gradcheck — checks every op's gradient against central finite differences in float64
 * (random directions; Hessian-vector products for the second-order cases) and autodiff against
 * the hand-derived BP1–BP4 on the classic nets. Prints a table; exits 1 if anything is over
 * tolerance.
 */
import { gradCheck } from '../src/index.ts';
import { gradientCases, notDifferentiable } from '../src/testing/gradient-cases.ts';
import { compareWithReference, referenceNets, traceBackprop } from '../src/nn/reference/index.ts';
import { Graph, type Tensor } from '../src/index.ts';
import { loadMnist, Model, Rng, sgd, type LossName } from '../src/nn/node/index.ts';

const FD_TOLERANCE = 1e-6;
const BP_TOLERANCE = 1e-10;
let failures = 0;

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i])).join('  ');
}

console.log('Finite differences (float64, central, 4 random directions), tolerance', FD_TOLERANCE);
const cases = gradientCases();
// Columns as wide as their longest entry, so a long case (a conv2d's padding and strides) keeps the table straight.
const widths = [Math.max(2, ...cases.map((c) => c.op.length)), Math.max(4, ...cases.map((c) => c.label.length)), 5, 10, 4];
console.log(row(['op', 'case', 'order', 'max error', ''], widths));
const worstByOp = new Map<string, number>();
for (const c of cases) {
  const { maxRelativeError } = gradCheck(c.build, c.inputs, { order: c.order ?? 1, training: c.training });
  const ok = maxRelativeError <= FD_TOLERANCE;
  if (!ok) failures++;
  worstByOp.set(c.op, Math.max(worstByOp.get(c.op) ?? 0, maxRelativeError));
  console.log(row([c.op, c.label, String(c.order ?? 1), maxRelativeError.toExponential(2), ok ? 'ok' : 'FAIL'], widths));
}
console.log(`\nWorst per op: ${[...worstByOp].map(([op, e]) => `${op} ${e.toExponential(1)}`).join(', ')}`);
console.log(`No gradient by definition: ${notDifferentiable.join(', ')}`);

console.log('\nAutodiff vs hand-derived BP1–BP4 (float64, random N(0,1) parameters and batch), tolerance', BP_TOLERANCE);
const netWidths = [16, 8, 20, 10, 4];
console.log(row(['net', 'hidden', 'cost', 'max error', ''], netWidths));
for (const spec of referenceNets) {
  const { maxRelativeError } = compareWithReference(spec);
  const ok = maxRelativeError <= BP_TOLERANCE;
  if (!ok) failures++;
  console.log(row([`[${spec.sizes}]`, spec.hidden, spec.cost, maxRelativeError.toExponential(2), ok ? 'ok' : 'FAIL'], netWidths));
}

// traceBackprop: every z, a, δ, ∂C/∂b, ∂C/∂w of a real batch (10 MNIST images for the 784-input
// nets, 10 random rows otherwise) against the reference on the same N(0,1) weights.
console.log('\ntraceBackprop vs the reference, largest |difference| per quantity over the layers (float64), tolerance', BP_TOLERANCE);
const traceWidths = [16, 8, 20, 9, 9, 9, 9, 9, 9, 4];
console.log(row(['net', 'hidden', 'loss', 'C', 'z', 'a', 'δ', '∂C/∂b', '∂C/∂w', ''], traceWidths));
const mnist = loadMnist({ limit: 10, evalLimit: 0 }).train;
const traced: [number[], 'sigmoid' | 'relu', LossName][] = [
  [[784, 30, 10], 'sigmoid', 'quadratic'],
  [[784, 30, 10], 'sigmoid', 'binaryCrossEntropy'],
  [[784, 30, 10], 'relu', 'softmaxCrossEntropy'],
  [[20, 16, 16, 10], 'sigmoid', 'quadratic'],
];
for (const [sizes, hidden, loss] of traced) {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, sizes[0]]);
  let a: Tensor = x;
  for (let l = 1; l < sizes.length; l++) {
    const activation = l < sizes.length - 1 ? hidden : loss === 'softmaxCrossEntropy' ? 'linear' : 'sigmoid';
    a = g.dense(a, sizes[l], { activation, kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' });
  }
  const model = new Model({ inputs: x, outputs: a, dtype: 'float64' }).compile({ loss, optimizer: sgd({ learningRate: 1 }) });
  const rng = new Rng(2);
  const batch = sizes[0] === 784 ? { x: mnist.x, y: mnist.y } : { x: Float64Array.from({ length: 10 * sizes[0] }, () => rng.next()), y: Int32Array.from({ length: 10 }, () => rng.int(10)) };
  const trace = traceBackprop(model, batch);
  const worst = (k: number) => Math.max(...trace.layers.map((l) => l.quantities[k].maxDifference!));
  const ok = trace.maxDifference! <= BP_TOLERANCE;
  if (!ok) failures++;
  const cells = [Math.abs(trace.loss - trace.referenceLoss!), ...[0, 1, 2, 3, 4].map(worst)].map((v) => v.toExponential(1));
  console.log(row([`[${sizes}]`, hidden, loss, ...cells, ok ? 'ok' : 'FAIL'], traceWidths));
  model.dispose();
}

console.log(failures === 0 ? '\nAll gradients agree.' : `\n${failures} check(s) over tolerance.`);
process.exit(failures === 0 ? 0 : 1);
