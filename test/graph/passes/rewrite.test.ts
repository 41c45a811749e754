import { describe, expect, it } from 'vitest';
import { Graph, type Node, type Tensor } from '../../../src/index.ts';
import { ops } from '../../../src/ops/index.ts';
import { optimize } from '../../../src/graph/passes/index.ts';
import { countReaders } from '../../../src/graph/passes/readers.ts';
import { capture, either, op, replace, rewrite, withOp, type Captures, type Scope } from '../../../src/graph/passes/rewrite.ts';

/** A graph of x, y [2, 3] and w [3, 3], and the scope to match in, once `roots` are known. */
function setup() {
  const g = new Graph();
  const x = g.input('x', [2, 3]);
  const y = g.input('y', [2, 3]);
  const w = g.input('w', [3, 3]);
  const readers = (...roots: Tensor[]) => countReaders(g.ir().nodes, { outputs: roots.map((t) => t.id), updates: [] });
  const scope = (...roots: Tensor[]): Scope => ({ ir: g.ir(), once: readers(...roots).once });
  return { g, x, y, w, scope, readers };
}

const names = (captures: Record<string, { id: number }> | undefined) => captures && Object.fromEntries(Object.entries(captures).map(([k, n]) => [k, n.id]));

describe('rewrite kit: patterns', () => {
  it('matches a commutative op in either operand order, and only in the order given otherwise', () => {
    const { g, x, w, scope } = setup();
    const s = g.input('s', []);
    const scaled = op(ops.mul, op(ops.matMul).as('product'), capture('scale'));
    const productFirst = x.matMul(w).mul(s);
    const scaleFirst = s.mul(x.matMul(w));
    for (const t of [productFirst, scaleFirst]) {
      expect(names(scaled.commutes().match(t.id, scope(t))?.captures)).toEqual({ product: x.matMul(w).id, scale: s.id });
    }
    expect(scaled.match(productFirst.id, scope(productFirst))).not.toBeNull();
    expect(scaled.match(scaleFirst.id, scope(scaleFirst))).toBeNull();
  });

  it('requires a name captured twice to be the same node, backtracking to the order where it is', () => {
    const { x, y, scope } = setup();
    const square = op(ops.mul, capture('a'), capture('a'));
    expect(names(square.match(x.mul(x).id, scope())?.captures)).toEqual({ a: x.id });
    expect(square.match(x.mul(y).id, scope())).toBeNull();
    // The first order binds a = −x, and neg(a) then fails on x: the swapped order is tried.
    const timesNegated = op(ops.mul, capture('a'), op(ops.neg, capture('a'))).commutes();
    expect(names(timesNegated.match(x.neg().mul(x).id, scope())?.captures)).toEqual({ a: x.id });
  });

  it('tries `either` alternatives in order, and tests captures with `where`', () => {
    const { g, x, y, scope } = setup();
    const oneMinus = either(op(ops.sub, op(ops.constant).as('one'), capture('v')), op(ops.add, op(ops.neg, capture('v')), op(ops.constant).as('one')).commutes());
    for (const t of [g.constant(1).sub(x), x.neg().add(1)]) expect(names(oneMinus.match(t.id, scope())?.captures)?.v).toBe(x.id);
    const sameShape = op(ops.add, capture('a'), capture('b')).where((_, { a, b }) => a.shape.join() === b.shape.join());
    expect(sameShape.match(x.add(y).id, scope())).not.toBeNull();
    expect(sameShape.match(x.add(1).id, scope())).toBeNull();
  });

  it('matches under `once()` only a node with one reader in the program, and says so without reader counts', () => {
    const { x, w, scope } = setup();
    const product = x.matMul(w);
    const relu = product.relu();
    const fusable = op(ops.relu, op(ops.matMul).once());
    expect(fusable.match(relu.id, scope(relu))?.swallowed).toEqual([product.id]);
    expect(fusable.match(relu.id, scope(relu, product))).toBeNull(); // the product is an output too
    expect(() => fusable.match(relu.id, { ir: scope().ir })).toThrow(/once\(\) but the scope has no reader counts/);
  });
});

describe('rewrite kit: applying replacements', () => {
  it('returns the very same IR when nothing matches, or no replacement is given', () => {
    const { g, x, y, readers: count } = setup();
    const out = x.add(y);
    const [ir, readers] = [g.ir(), count(out)];
    expect(rewrite(ir, readers.needed, readers, [{ pattern: op(ops.matMul), to: (_, n) => n }])).toBe(ir);
    expect(replace(ir, new Map())).toBe(ir);
    expect(optimize(ir, { outputs: [out.id], updates: [] })).toBe(ir);
  });

  it('swaps in the built node at its id, keeps the others shared, and leaves what a fusion swallowed', () => {
    const { g, x, w, readers: count } = setup();
    const relu = x.matMul(w).relu();
    const [ir, readers] = [g.ir(), count(relu)];
    const rules = [
      { pattern: op(ops.relu, op(ops.matMul, capture('a'), capture('b')).once()), to: ({ a, b }: Captures, n: Node) => withOp(n, ops.neg, [a.id, b.id]) },
      // Would fire on the product, were it not swallowed by the rule above.
      { pattern: op(ops.matMul), to: (_: Captures, n: Node) => withOp(n, ops.add, n.inputs) },
    ];
    const after = rewrite(ir, readers.needed, readers, rules);
    const changed = after.nodes.filter((n, i) => n !== ir.nodes[i]);
    expect(changed.map((n) => [n.id, n.op, n.inputs])).toEqual([[relu.id, 'neg', [x.id, w.id]]]);
    expect(after.nodes[relu.id]).toMatchObject({ shape: relu.shape, dtype: 'float' });
    expect(ir.nodes[relu.id].op).toBe('relu'); // the input is untouched
  });
});
