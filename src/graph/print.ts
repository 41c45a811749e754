/**
 * Printing a graph: an SSA listing (`%2: [null,8] = matMul(%0, %1) {…}  # file:line`) and
 * Graphviz DOT. `outputs` limits either to the nodes they depend on.
 */
import { ancestors, type IR, type Node } from '../core/ir.ts';
import { formatShape } from '../core/shape.ts';
import { hasTrait, isOp, ops } from '../ops/index.ts';

function idsOf(ir: IR, outputs?: readonly number[]): number[] {
  return outputs ? ancestors(ir.nodes, outputs) : ir.nodes.map((n) => n.id);
}

export function formatGraph(ir: IR, outputs?: readonly number[]): string {
  return idsOf(ir, outputs)
    .map((id) => formatNode(ir.nodes[id]))
    .join('\n');
}

export function graphToDot(ir: IR, outputs?: readonly number[]): string {
  const lines = ['digraph deltagraph {', '  rankdir=TB; node [fontname="Helvetica", fontsize=10];'];
  for (const id of idsOf(ir, outputs)) {
    const n = ir.nodes[id];
    const source = isOp(n, ops.input) || isOp(n, ops.parameter);
    const label = `${n.name ? `${n.name}\\n` : ''}${source ? '' : `${n.op} `}${formatShape(n.shape)}`;
    const shape = isOp(n, ops.input) ? 'ellipse' : isOp(n, ops.parameter) ? 'box' : isOp(n, ops.constant) ? 'plaintext' : 'box, style=rounded';
    lines.push(`  n${id} [label="${label.replace(/"/g, '\\"')}", shape=${shape}];`);
    for (const i of n.inputs) lines.push(`  n${i} -> n${id};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function formatNode(n: Node): string {
  const args = n.inputs.map((i) => `%${i}`).join(', ');
  const attrs = Object.entries(n.attrs)
    .filter(([k]) => !(k === 'shape' && hasTrait(n, 'source')))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  const label = n.name ? ` '${n.name}'` : '';
  const type = `${formatShape(n.shape)}${n.dtype === 'int' ? ' int' : ''}`;
  return `%${n.id}${label}: ${type} = ${n.op}(${args})${attrs ? ` {${attrs}}` : ''}${n.site ? `  # ${n.site}` : ''}`;
}
