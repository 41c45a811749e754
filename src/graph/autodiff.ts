/**
 * Reverse-mode automatic differentiation that returns more graph. `grad(loss, wrt)` walks back
 * from the loss over the nodes that lie on a path to `wrt`, asks each op's vjp rule for the
 * gradients of its inputs as graph nodes, and sums fan-in. Because the result is graph, it can be
 * printed, compiled, and differentiated again (Hessian-vector products).
 */
import { GraphError } from '../core/errors.ts';
import { describeNode } from '../core/ir.ts';
import { formatShape, sameShape, type Shape } from '../core/shape.ts';
import { callSite } from '../core/site.ts';
import { getOp } from '../ops/index.ts';
import { broadcastAxesOf } from '../ops/reduce.ts';
import { backwardNodes, labelNode, markBackward } from './labels.ts';
import { Tensor } from './tensor.ts';

/** Options of {@link grad}. */
export interface GradOptions {
  /**
   * The gradient flowing into `y` (its shape); required when `y` is not a scalar, as the
   * gradient of a non-scalar is a vector-Jacobian product and needs the vector.
   */
  seed?: Tensor;
}

/**
 * Gradients of `y` with respect to each tensor of `wrt`, as new tensors of the same graph. A
 * tensor `y` does not depend on gets a zero gradient.
 *
 * @example
 * const [dw, db] = grad(loss, [w, b]);
 * const step = compile(g, { outputs: [loss], updates: [[w, w.sub(dw.mul(0.1))], [b, b.sub(db.mul(0.1))]] });
 */
export function grad(y: Tensor, wrt: readonly Tensor[], options: GradOptions = {}): Tensor[] {
  const g = y.graph;
  for (const w of wrt) {
    if (!(w instanceof Tensor) || w.graph !== g) throw new GraphError('grad: every wrt tensor must belong to the graph of y', callSite());
    if (w.dtype !== 'float') throw new GraphError(`grad: cannot differentiate with respect to int tensor ${describeNode(w.node)}`, callSite());
  }
  const before = g.size;
  const seed = seedOf(y, options.seed);

  // Nodes on a path from a wrt tensor to y: reachable from wrt (forward) and reaching y (backward).
  const ir = g.ir();
  const forward = new Uint8Array(ir.nodes.length);
  for (const w of wrt) forward[w.id] = 1;
  const first = Math.min(...wrt.map((w) => w.id), y.id);
  for (let id = first; id <= y.id; id++) {
    if (!forward[id] && ir.nodes[id].inputs.some((i) => forward[i])) forward[id] = 1;
  }

  const contributions = new Map<number, Tensor[]>([[y.id, [seed]]]);
  for (let id = y.id; id >= first; id--) {
    const parts = contributions.get(id);
    if (!parts || !forward[id]) continue;
    const node = ir.nodes[id];
    if (node.inputs.length === 0) continue;
    // Every node made here is part of the gradient of node `id` (named by checkNumerics).
    g.gradientOf(id, () => {
      const dy = sumAll(parts);
      contributions.set(id, [dy]);
      const needed = node.inputs.map((i) => forward[i] === 1 && ir.nodes[i].dtype === 'float');
      if (!needed.some(Boolean)) return;
      const def = getOp(node.op);
      if (!def.vjp) {
        throw new GraphError(`grad: op '${node.op}' (${describeNode(node)}) has no gradient rule, and a gradient must flow through it`, node.site);
      }
      const inputs = node.inputs.map((i) => g.tensor(i));
      const grads = def.vjp({ dy, inputs, output: g.tensor(id), attrs: node.attrs });
      grads.forEach((d, k) => {
        if (!needed[k] || d === null || d === undefined) return;
        const input = inputs[k];
        const reduced = reduceToShape(d, input.shape);
        const list = contributions.get(input.id);
        if (list) list.push(reduced);
        else contributions.set(input.id, [reduced]);
      });
    });
  }

  const grads = wrt.map((w) => {
    const parts = contributions.get(w.id);
    return parts ? sumAll(parts) : zerosLike(w);
  });
  // For printing: what this pass made, and each result named as the derivative it is.
  markBackward(g, before, g.size);
  const backward = backwardNodes(g);
  grads.forEach((d, i) => {
    if (backward.has(d.id)) labelNode(d, `∂${y.name ?? 'C'}/∂${wrt[i].name ?? `%${wrt[i].id}`}`);
  });
  return grads;
}

/** Value and gradients together: `[y, grad(y, wrt)]`, as TensorFlow.js's valueAndGrads names it. */
export function valueAndGrad(y: Tensor, wrt: readonly Tensor[], options: GradOptions = {}): [Tensor, Tensor[]] {
  return [y, grad(y, wrt, options)];
}

/**
 * Sums a gradient of a broadcast result back to the shape of the input that was broadcast: the
 * leading axes the input lacked, then the axes where it had size 1. The one place autodiff
 * handles broadcasting, for every op.
 */
export function reduceToShape(d: Tensor, shape: Shape): Tensor {
  if (sameShape(d.shape, shape)) return d;
  const lead = d.rank - shape.length;
  if (lead < 0) throw new GraphError(`grad: a gradient of shape ${formatShape(d.shape)} cannot reduce to ${formatShape(shape)}`);
  let r = lead > 0 ? d.sum(Array.from({ length: lead }, (_, i) => i)) : d;
  const ones = shape.flatMap((dim, i) => (dim === 1 && r.shape[i] !== 1 ? [i] : []));
  if (ones.length > 0) r = r.sum(ones, true);
  return r;
}

function seedOf(y: Tensor, seed: Tensor | undefined): Tensor {
  if (seed) {
    if (seed.graph !== y.graph) throw new GraphError('grad: the seed belongs to another graph', callSite());
    if (!sameShape(seed.shape, y.shape)) {
      throw new GraphError(`grad: the seed has shape ${formatShape(seed.shape)} but y has ${formatShape(y.shape)}`, callSite());
    }
    return seed;
  }
  if (y.shape.some((d) => d !== 1)) {
    throw new GraphError(
      `grad: y ${describeNode(y.node)} has shape ${formatShape(y.shape)}, not a scalar; reduce it (e.g. y.sum()) or pass grad(y, wrt, { seed }) with the gradient flowing into y`,
      callSite(),
    );
  }
  return y.graph.constant([1], y.shape as number[]);
}

function sumAll(parts: readonly Tensor[]): Tensor {
  return parts.reduce((a, b) => a.add(b));
}

/** Zeros of t's shape (known once the batch size is), without reading t's values. */
function zerosLike(t: Tensor): Tensor {
  return broadcastAxesOf(t.graph.constant(0), t, t.shape.map((_, i) => i), false);
}
