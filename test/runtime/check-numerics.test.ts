import { afterEach, describe, expect, it } from 'vitest';
import { compile, grad, Graph, GraphError, NumericsError } from '../../src/index.ts';
import { sgd } from '../../src/nn/index.ts';
import { blobs, smallModel } from '../nn/helpers.ts';

const here = 'test/runtime/check-numerics.test.ts';

/** x [2,2] · w [2,1] with w = [1, 1]: row 0 of x is zeros, so the product is [0, 3]. */
function product() {
  const g = new Graph();
  const x = g.input('x', [null, 2]);
  const w = g.parameter('w', [2, 1], [1, 1]);
  return { g, x, w, p: x.matMul(w) };
}
const feeds = { x: [0, 0, 1, 2] };

function numericsError(run: () => unknown): NumericsError {
  try {
    run();
  } catch (e) {
    if (e instanceof NumericsError) return e;
    throw e;
  }
  throw new Error('no NumericsError');
}

describe('checkNumerics names the first op that made a NaN or an infinity', () => {
  it('log(0) in the forward pass: the op, the node, the input range, a hint and the user line', () => {
    const { g, p } = product();
    const loss = p.log().mean(); // line of the log: the site below
    const e = numericsError(() => compile(g, { outputs: [loss], checkNumerics: true }).run(feeds));
    expect(e.op).toBe('log');
    expect(e.value).toBe(-Infinity);
    expect(e.message).toMatch(/^checkNumerics: log \(%\d+ log\) produced -Infinity at index 0 of its \[2,1\] output: the first NaN or infinity in this run/);
    expect(e.message).toMatch(/inputs: %\d+ matMul \[2,1\] in \[0, 3\]/);
    expect(e.message).toMatch(/hint: log\(0\) is -Infinity/);
    expect(e.site).toMatch(new RegExp(`${here}:30:`));
    // Off (the default), the same program gives the NaN-free-looking -Infinity mean without a word.
    expect(compile(g, { outputs: [loss] }).run(feeds)[0][0]).toBe(-Infinity);
  });

  it('a NaN in a gradient: the gradient op, the forward op it came from and both lines', () => {
    const { g, w, p } = product();
    const s = p.sqrt().sum(); // sqrt(0) = 0 is fine; its gradient 1 / (2·sqrt(0)) is not
    const [dw] = grad(s, [w]);
    const e = numericsError(() => compile(g, { outputs: [s, dw], checkNumerics: true }).run(feeds));
    expect(e.message).toMatch(new RegExp(`^checkNumerics: div \\(%\\d+ div\\), in the gradient of %\\d+ sqrt \\(built at ${here}:44:\\d+\\), produced Infinity`));
    expect(e.gradientOf).toMatch(/sqrt/);
    expect(e.site).toMatch(new RegExp(`${here}:45:`)); // the grad call
    expect(Array.from(compile(g, { outputs: [dw] }).run(feeds)[0]).every(Number.isNaN)).toBe(true); // silent when off
  });

  it.each([
    ['x / 0', (p: ReturnType<typeof product>['p']) => p.add(1).div(p), 'div', Infinity],
    ['sqrt(-1)', (p: ReturnType<typeof product>['p']) => p.sub(1).sqrt(), 'sqrt', NaN],
    ['exp(100) in float32', (p: ReturnType<typeof product>['p']) => p.add(100).exp(), 'exp', Infinity],
  ])('%s', (_, build, op, value) => {
    const { g, p } = product();
    const e = numericsError(() => compile(g, { outputs: [build(p).sum()], checkNumerics: true }).run(feeds));
    expect(e.op).toBe(op);
    expect(e.value).toBe(value);
  });

  it('changes nothing when every value is finite', () => {
    const { g, w, p } = product();
    const loss = p.add(1).log().sum();
    const [dw] = grad(loss, [w]);
    const checked = compile(g, { outputs: [loss, dw], checkNumerics: true }).run(feeds).map((a) => Array.from(a));
    expect(checked).toEqual(compile(g, { outputs: [loss, dw] }).run(feeds).map((a) => Array.from(a)));
  });
});

describe('checkNumerics from fit and from the environment', () => {
  afterEach(() => {
    delete process.env.DELTAGRAPH_CHECK_NUMERICS;
  });

  it('fit({ checkNumerics: true }) names the op at the step where training blows up; without it, fit replays the epoch checking, and names it too', () => {
    const data = blobs(40);
    const make = () => smallModel({ activation: 'relu', output: 'softmax' }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1e30 }) });
    const model = make();
    const e = numericsError(() => model.fit(data, { epochs: 3, batchSize: 10 }));
    expect(e.message).toMatch(
      /^fit: the loss became NaN at epoch \d+, step \d+: training diverged \(try a lower learning rate\); the weights are back as they were at the start of epoch \d+\. Replayed with checkNumerics, the first NaN or infinity: checkNumerics: \w+ \(%\d+ \w+/,
    );
    for (const w of model.getWeights().values()) expect(w.every(Number.isFinite)).toBe(true);
    expect(() => make().fit(data, { epochs: 3, batchSize: 10, checkNumerics: true })).toThrow(/^fit \(epoch \d+, step \d+\): checkNumerics: \w+ \(%\d+ \w+/);
    expect(() => make().fit(data, { epochs: 3, batchSize: 10, checkNumerics: true })).toThrow(NumericsError);
  });

  it('when the replay does not reproduce the NaN (it came from an augmentation), fit says to fit again with checkNumerics', () => {
    const data = blobs(40);
    const model = smallModel().compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.1 }) });
    model.fit(data, { epochs: 1, batchSize: 10 });
    const start = model.getWeights(); // the weights at the start of epoch 2
    let calls = 0;
    // A buggy augmentation puts a NaN in the third batch of epoch 2; the replay leaves augmentation out, so it runs clean.
    const augment = (x: Float32Array | Float64Array) => {
      if (++calls === 3) x[0] = NaN;
    };
    let error: unknown;
    try {
      model.fit(data, { epochs: 1, batchSize: 10, augment });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphError);
    expect(error).not.toBeInstanceOf(NumericsError);
    expect((error as Error).message).toBe(
      'fit: the loss became NaN at epoch 2, step 3: training diverged (try a lower learning rate); the weights are back as they were at the start of epoch 2; fit again with { checkNumerics: true } (or DELTAGRAPH_CHECK_NUMERICS=1) to name the op that made the first NaN or infinity',
    );
    // The replay trained two steps on its way; the weights are those of the epoch's start all the same.
    expect(model.getWeights()).toEqual(start);
  });

  it('DELTAGRAPH_CHECK_NUMERICS=1 turns it on for every program', () => {
    const { g, p } = product();
    const loss = p.log().mean();
    process.env.DELTAGRAPH_CHECK_NUMERICS = '1';
    expect(() => compile(g, { outputs: [loss] }).run(feeds)).toThrow(NumericsError);
    expect(compile(g, { outputs: [loss], checkNumerics: false }).run(feeds)[0][0]).toBe(-Infinity);
  });
});
