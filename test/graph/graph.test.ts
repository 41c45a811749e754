import { describe, expect, it } from 'vitest';
import { Graph, GraphError, ShapeError } from '../../src/index.ts';
import { initialValues } from '../../src/graph/initializers.ts';

/** The line of the caller, to check that errors point at the user's line. */
function currentLine(): number {
  const frame = new Error().stack!.split('\n')[2];
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]);
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('Graph builder', () => {
  it('builds the fluent network of the issue with the right shapes', () => {
    const g = new Graph();
    const x = g.input('x', [null, 784]);
    const y = g.input('y', [null, 10]);
    const h = g.dense(x, 30).sigmoid();
    const out = g.dense(h, 10).sigmoid();
    const loss = out.sub(y).square().sum(1).mean().mul(0.5);
    expect(h.shape).toEqual([null, 30]);
    expect(out.shape).toEqual([null, 10]);
    expect(loss.shape).toEqual([]);
    expect(g.parameters.map((p) => [p.name, p.shape])).toEqual([
      ['dense_1/kernel', [784, 30]],
      ['dense_1/bias', [30]],
      ['dense_2/kernel', [30, 10]],
      ['dense_2/bias', [10]],
    ]);
  });

  it('throws a ShapeError naming the op, the shapes, the rule and the user line', () => {
    const g = new Graph();
    const x = g.input('x', [null, 784]);
    const w = g.parameter('w', [30, 10]);
    const [e, line] = [thrown(() => x.matMul(w)), currentLine()];
    expect(e).toBeInstanceOf(ShapeError);
    const err = e as ShapeError;
    expect(err.op).toBe('matMul');
    expect(err.inputShapes).toEqual([[null, 784], [30, 10]]);
    expect(err.message).toContain('matMul: inner dimensions must agree: a has 784 columns, b has 30 rows');
    expect(err.message).toContain('input shapes [null,784], [30,10]');
    expect(err.site).toMatch(new RegExp(`graph\\.test\\.ts:${line}:\\d+$`));
    expect(err.message).toContain(`graph.test.ts:${line}:`);
  });

  it('reports broadcasting, axis, reshape, transpose and dense errors at build time', () => {
    const g = new Graph();
    const a = g.input('a', [3, 4]);
    expect(thrown(() => a.add(g.input('b', [5]))).message).toMatch(/^add: shapes \[3,4\] and \[5\] do not broadcast \(4 vs 5/);
    expect(thrown(() => a.sum(2)).message).toContain('sum: axis 2 is out of range for rank 2');
    expect(thrown(() => a.reshape([5, -1])).message).toContain('reshape: cannot reshape 12 elements into [5,-1]');
    expect(thrown(() => a.transpose([0, 0])).message).toContain('transpose: perm [0,0] is not a permutation');
    expect(thrown(() => g.dense(a, 0))).toBeInstanceOf(GraphError);
    expect(thrown(() => a.softmaxCrossEntropy(g.input('l', [4], 'int'))).message).toContain('softmaxCrossEntropy: labels must be int class ids of shape [3]');
  });

  it('keeps a null dimension unknown and refuses to broadcast it against a number other than 1', () => {
    const g = new Graph();
    const x = g.input('x', [null, 3]);
    expect(x.add(g.input('row', [3])).shape).toEqual([null, 3]);
    expect(x.add(g.input('col', [null, 1])).shape).toEqual([null, 3]);
    expect(x.sum(0).shape).toEqual([3]);
    expect(x.reshape([-1]).shape).toEqual([null]);
  });

  it('shares identical nodes (hash-consing) and small constants', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    expect(x.add(1).id).toBe(x.add(1).id);
    expect(x.mul(0.5).id).toBe(x.mul(0.5).id);
    expect(x.add(1).id).not.toBe(x.add(2).id);
    expect(g.constant(3).id).toBe(g.constant(3).id);
  });

  it('requires unique names and tensors of the same graph', () => {
    const g = new Graph();
    g.input('x', [2]);
    expect(thrown(() => g.parameter('x', [2])).message).toContain("the name 'x' is already used");
    const other = new Graph().input('z', [2]);
    expect(thrown(() => g.get('x').add(other)).message).toContain('belongs to another graph');
    expect(g.get('x').name).toBe('x');
  });

  it('draws parameters from the seeded RNG: same seed same values, other seed other values', () => {
    const values = (seed: number) => {
      const g = new Graph({ seed });
      g.dense(g.input('x', [null, 5]), 3);
      return initialValues(g.ir().init.get(g.parameters[0].id)!);
    };
    expect(values(3)).toEqual(values(3));
    expect(values(3)).not.toEqual(values(4));
  });

  it('accepts given initial values and checks their count', () => {
    const g = new Graph();
    const w = g.parameter('w', [2, 2], [1, 2, 3, 4]);
    expect(Array.from(initialValues(g.ir().init.get(w.id)!))).toEqual([1, 2, 3, 4]);
    expect(thrown(() => g.parameter('v', [2, 2], [1, 2])).message).toContain("parameter 'v': 2 initial values for shape [2,2]");
  });

  it('prints the graph as an SSA listing with names, shapes, attributes and sites', () => {
    const g = new Graph();
    const x = g.input('x', [null, 4]);
    g.dense(x, 3, { activation: 'relu' });
    const lines = g.toString().split('\n');
    expect(lines[0]).toMatch(/^%0 'x': \[null,4\] = input\(\)  # .*graph\.test\.ts:\d+:\d+$/);
    expect(lines).toContainEqual(expect.stringMatching(/^%2: \[null,3\] = matMul\(%0, %1\)  # /));
    expect(lines[lines.length - 1]).toMatch(/^%5: \[null,3\] = relu\(%4\)/);
  });

  it('prints only what given tensors depend on, and draws DOT', () => {
    const g = new Graph();
    const x = g.input('x', [null, 4]);
    const a = x.exp();
    const b = x.sigmoid();
    expect(g.toString([a]).split('\n')).toHaveLength(2);
    expect(g.toString([a])).not.toContain('sigmoid');
    const dot = g.toDot([b]);
    expect(dot).toContain('digraph deltagraph {');
    expect(dot).toContain('n0 [label="%0 x\\n[null,4]", shape=ellipse];');
    expect(dot).toContain('n2 [label="%2\\nsigmoid [null,4]", shape=box, style="rounded,filled", fillcolor="white"];');
    expect(dot).toContain('n0 -> n2;');
    expect(dot).not.toContain('exp');
  });

  it('freezes the IR snapshot', () => {
    const g = new Graph();
    g.input('x', [2]).exp();
    const ir = g.ir();
    expect(Object.isFrozen(ir.nodes[1])).toBe(true);
    expect(() => ((ir.nodes[1] as { op: string }).op = 'log')).toThrow();
  });
});
