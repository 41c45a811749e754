import { describe, expect, it } from 'vitest';
import { compile, defineOp, grad, gradCheck, Graph, GraphError, RuleError, ShapeError } from '../../src/index.ts';


// A user's op, defined exactly as the built-ins are: shape rule, kernel, gradient as graph.
const cube = defineOp({
  name: 'cube',
  arity: 1,
  shape: ([x]) => x,
  kernel: ({ inputs: [x], output }) => () => {
    for (let i = 0; i < output.length; i++) output[i] = x[i] * x[i] * x[i];
  },
  vjp: ({ dy, inputs: [x] }) => [dy.mul(x.square().mul(3))],
});

// One with attributes and a shape rule that can refuse its input.
const leakyRelu = defineOp<{ alpha: number }>({
  name: 'leakyReluTest',
  arity: 1,
  shape: ([x], { alpha }) => {
    if (!(alpha >= 0 && alpha < 1)) throw new RuleError(`alpha must be in [0, 1), got ${alpha}`);
    return x;
  },
  kernel: ({ inputs: [x], output, attrs: { alpha } }) => () => {
    for (let i = 0; i < output.length; i++) output[i] = x[i] > 0 ? x[i] : alpha * x[i];
  },
  vjp: ({ dy, inputs: [x], attrs: { alpha } }) => [dy.mul(x.step().mul(1 - alpha).add(alpha))],
});

describe('defineOp', () => {
  it('runs a custom op forward', () => {
    const g = new Graph();
    const x = g.input('x', [null, 2]);
    const y = cube(x).add(leakyRelu(x, { alpha: 0.1 }));
    expect(Array.from(compile(g, { outputs: [y], dtype: 'float64' }).run({ x: [2, -1] })[0])).toEqual([10, -1.1]);
  });

  it('differentiates through it, to first and second order', () => {
    expect(gradCheck((x) => cube(x).sigmoid(), [{ shape: [3, 4] }]).maxRelativeError).toBeLessThan(1e-6);
    expect(gradCheck((x) => cube(x).sigmoid(), [{ shape: [3, 4] }], { order: 2 }).maxRelativeError).toBeLessThan(1e-6);
    expect(gradCheck((x) => leakyRelu(x, { alpha: 0.2 }), [{ shape: [5], domain: 'awayFromZero' }]).maxRelativeError).toBeLessThan(1e-6);
    const g = new Graph();
    const x = g.input('x', [1]);
    const [d2] = grad(grad(cube(x).sum(), [x])[0].sum(), [x]);
    expect(compile(g, { outputs: [d2], dtype: 'float64' }).run({ x: [2] })[0][0]).toBe(12);
  });

  it('reports its shape rule as a ShapeError at the user line, and refuses duplicate names', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    expect(() => leakyRelu(x, { alpha: 2 })).toThrow(ShapeError);
    expect(() => leakyRelu(x, { alpha: 2 })).toThrow(/leakyReluTest: alpha must be in \[0, 1\), got 2; input shapes \[2\]\n {4}at .*define-op\.test\.ts:\d+/);
    expect(() => defineOp({ name: 'cube', arity: 1, shape: ([s]) => s, kernel: () => () => {} })).toThrow(GraphError);
    expect(() => cube([1 as never])).toThrow(/at least one input must be a Tensor/);
  });
});
