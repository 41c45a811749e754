/**
 * Rewrite 'stabilize': the plain, numerically unstable forms of the log-losses become their stable
 * forms, with the same value:
 *   −[y·ln σ(z) + (1 − y)·ln(1 − σ(z))]        → softplus(z) − z·y
 *   Σ_class −y·ln softmax(z)  (or −Σ_class …)  → softmaxCrossEntropy(z, ids), ids if y = oneHot(ids), else y
 *   ln softmax(z) → logSoftmax(z);  ln σ(z) → −softplus(−z);  ln(1 − σ(z)) → −softplus(z)
 * The whole forms are tried before the pieces, so a loss gets the form whose gradient is the
 * classic a − y (and which fuse-softmax-cross-entropy fuses).
 *
 * It works on the graph builder, before autodiff, not on the IR in `optimize`: a gradient is built
 * from the nodes its loss reads, so rewriting the loss after `grad` would leave the gradient of
 * the unstable form (1/σ(z) overflowing where σ(z) underflows). The unstable nodes stay in the
 * graph, unread, and are never scheduled.
 */
import { ancestors } from '../../core/ir.ts';
import { hasTrait, ops } from '../../ops/index.ts';
import { axesOf } from '../../ops/reduce.ts';
import { axisOf, isPlainOneHot, type OneHotAttrs } from '../../ops/softmax.ts';
import type { Tensor } from '../tensor.ts';
import { capture, either, op, type Captures, type Pattern, type Scope } from './rewrite.ts';

type Build = (t: Readonly<Record<string, Tensor>>, c: Captures) => Tensor;

const one = op(ops.constant).where((n, _, { ir }) => ir.data.get(n.id)?.every((v) => v === 1) ?? false);
const oneMinus = (x: Pattern) => either(op(ops.add, op(ops.neg, x), one).commutes(), op(ops.sub, one, x));
const sigmoid = op(ops.sigmoid, capture('z')).as('a');
const logSigmoidTerms = op(
  ops.add,
  op(ops.mul, capture('y'), op(ops.log, sigmoid)).commutes(),
  op(ops.mul, oneMinus(capture('y')), op(ops.log, oneMinus(sigmoid))).commutes(),
).commutes();

/** The sum over the last axis alone, of y·ln softmax(z) along that axis, y of z's shape. */
const classSum = (inner: Pattern) =>
  op(ops.sum, inner).where((sum, { z, p, y }) => {
    const rank = z.shape.length;
    // y of z's shape first: then the sum reads a tensor of z's rank, and its axes fit that rank.
    if (rank === 0 || y.shape.length !== rank || y.shape.some((d, i) => d !== z.shape[i])) return false;
    const axes = axesOf(sum.attrs as { axes: number | number[] | null }, rank);
    return !sum.attrs.keepDims && axes.length === 1 && axes[0] === rank - 1 && axisOf(p.attrs.axis as number, rank) === rank - 1;
  });
// Class ids stand for y only where y is plain 1/0 rows; other rows (smoothed) stay rows.
const plainOneHot = op(ops.oneHot, capture('ids')).where((n) => isPlainOneHot(n.attrs as OneHotAttrs));
const crossEntropyTerms = op(ops.mul, either(plainOneHot.as('y'), capture('y')), op(ops.log, op(ops.softmax, capture('z')).as('p'))).commutes();

const rules: readonly { pattern: Pattern; to: Build }[] = [
  { pattern: op(ops.neg, logSigmoidTerms), to: ({ z, y }) => z.softplus().sub(z.mul(y)) },
  {
    pattern: either(classSum(op(ops.neg, crossEntropyTerms)), op(ops.neg, classSum(crossEntropyTerms))),
    to: ({ z, ids, y }) => z.softmaxCrossEntropy(ids ?? y),
  },
  { pattern: op(ops.log, op(ops.softmax, capture('z')).as('p')), to: ({ z }, { p }) => z.logSoftmax(p.attrs.axis as number) },
  { pattern: op(ops.log, sigmoid), to: ({ z }) => z.neg().softplus().neg() },
  { pattern: op(ops.log, oneMinus(sigmoid)), to: ({ z }) => z.softplus().neg() },
];

function firstRule(id: number, scope: Scope): { build: Build; captures: Captures } | null {
  for (const { pattern, to } of rules) {
    const captures = pattern.match(id, scope)?.captures;
    if (captures) return { build: to, captures };
  }
  return null;
}

/**
 * `t` computed in the stable forms above: a tensor of the same graph and value, `t` itself when
 * nothing under it matches. Take gradients of what it returns.
 */
export function stabilize(t: Tensor): Tensor {
  const g = t.graph;
  const scope: Scope = { ir: g.ir() };
  const order = ancestors(scope.ir.nodes, [t.id]);
  // Readers first, so a whole loss is matched before its pieces; what a match captures is
  // rewritten in turn, what it covers is not (unless something else still reads it).
  const matched = new Map<number, { build: Build; captures: Captures }>();
  const reached = new Set([t.id]);
  for (const id of [...order].reverse()) {
    if (!reached.has(id)) continue;
    const match = firstRule(id, scope);
    if (match) matched.set(id, match);
    for (const next of match ? Object.values(match.captures).map((n) => n.id) : scope.ir.nodes[id].inputs) reached.add(next);
  }
  const done = new Map<number, Tensor>();
  for (const id of order.filter((i) => reached.has(i))) done.set(id, rebuilt(id));
  return done.get(t.id)!;

  function rebuilt(id: number): Tensor {
    const match = matched.get(id);
    if (match) return match.build(Object.fromEntries(Object.entries(match.captures).map(([k, n]) => [k, done.get(n.id)!])), match.captures);
    const node = scope.ir.nodes[id];
    const inputs = node.inputs.map((i) => done.get(i)!);
    // An impure node (a dropout mask) is kept: made again it would draw other numbers.
    if (inputs.every((x, k) => x.id === node.inputs[k]) || hasTrait(node, 'impure')) return g.tensor(id);
    return g.apply(node.op, inputs, node.attrs);
  }
}
