/**
 * `Model.summary()`: a table of the layers (name and kind, output shape, parameters, trainable or
 * not, as Keras counts them) and the totals.
 */
import { ancestors } from '../core/ir.ts';
import { formatShape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import './layers.ts';

/** Ops that act on a layer's output elementwise as an activation (`g.dense(x, 8).sigmoid()`). */
const activations = new Set(['sigmoid', 'tanh', 'relu', 'softplus', 'softsign', 'softmax', 'logSoftmax']);

export function summarize(input: Tensor, output: Tensor): string {
  const g = output.graph;
  const needed = new Set(ancestors(g.ir().nodes, [output.id]));
  // What the output reads: optimizer state is not, batchNorm's moving statistics are (non-trainable).
  const params = g.parameters.filter((p) => needed.has(p.id));
  const trainable = params.filter((p) => p.node.attrs.trainable !== false);
  const count = (ps: readonly Tensor[]) => ps.reduce((s, p) => s + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);
  const nodes = g.ir().nodes;
  const readers = new Map<number, number[]>(); // node → the needed nodes that read it
  for (const node of nodes) {
    if (!needed.has(node.id)) continue;
    for (const i of node.inputs) readers.set(i, [...(readers.get(i) ?? []), node.id]);
  }
  // The activations applied to a layer's output, when they are all that reads it: what the graph computes.
  const appliedTo = (id: number): string[] => {
    const next = readers.get(id);
    if (next?.length !== 1 || !activations.has(nodes[next[0]].op)) return [];
    return [nodes[next[0]].op, ...appliedTo(next[0])];
  };
  const rows: [string, string, string][] = [[`${input.name} (input)`, formatShape(input.shape), '0']];
  for (const layer of g.layers) {
    if (!needed.has(layer.output.id)) continue;
    const own = params.filter((p) => p.name!.startsWith(`${layer.name}/`));
    const applied = appliedTo(layer.output.id);
    const kind = applied.length === 0 ? layer.kind : [layer.kind.replace(/ linear$/, ''), ...applied].join(' ');
    rows.push([`${layer.name} (${kind})`, formatShape(layer.output.shape), String(count(own))]);
  }
  const header = ['Layer', 'Output shape', 'Params'];
  const widths = [0, 1, 2].map((i) => Math.max(...[header[i], ...rows.map((r) => r[i])].map((c) => c.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('   ');
  const rule = '─'.repeat(widths[0] + widths[1] + widths[2] + 6);
  const fixed = count(params) - count(trainable);
  const totals = [`Total trainable parameters: ${count(trainable)}`, ...(fixed > 0 ? [`Non-trainable parameters: ${fixed}`] : [])];
  return [line(header), rule, ...rows.map(line), rule, ...totals].join('\n');
}
