/**
 * Printing a graph for people:
 *   - an SSA listing (`%39 (∂C/∂w2): [3,2] = matMul(%8, %36) {transposeA=true}  # file:line`),
 *     small constants written as their values in place, forward and backward pass marked;
 *   - Graphviz DOT, with node ids, labels, constant values and transpose flags, the forward and
 *     the backward pass as two clusters;
 *   - `formatMath`, one node as a formula, simplified for reading (x·1, x+0, −(−x), constants
 *     folded, broadcasts and the batch mean's count written as maths), so that the output error of
 *     a sigmoid net with quadratic cost reads `(a2 − y) ⊙ a2 ⊙ (1 − a2) / m` (BP1).
 * `outputs` limits the listing and the picture to the nodes they depend on (dead nodes omitted).
 * Labels and the backward marks come from labels.ts (autodiff and traceBackprop set them).
 */
import { ancestors, type IR, type Node } from '../core/ir.ts';
import { formatShape } from '../core/shape.ts';
import { hasTrait, isOp, ops } from '../ops/index.ts';
import { backwardNodes, labelsOf } from './labels.ts';
import type { Graph } from './graph.ts';
import type { Tensor } from './tensor.ts';

/** What printing knows beyond the IR: labels and which nodes the backward pass made. */
export interface PrintNotes {
  /** Names to print nodes by (`∂C/∂w1`), by node id. */
  readonly labels?: ReadonlyMap<number, string>;
  /** The ids of nodes the backward pass made, marked in the listing. */
  readonly backward?: ReadonlySet<number>;
}

/** The notes autodiff and traceBackprop left on a graph. */
export function notesOf(g: Graph): PrintNotes {
  return { labels: labelsOf(g), backward: backwardNodes(g) };
}

/** Constants of up to this many values are written in place where they are used. */
const INLINE_VALUES = 4;

function idsOf(ir: IR, outputs?: readonly number[]): number[] {
  return outputs ? ancestors(ir.nodes, outputs) : ir.nodes.map((n) => n.id);
}

const num = (v: number) => (Number.isInteger(v) || Math.abs(v) >= 1e-3 ? String(Number(v.toPrecision(6))) : v.toExponential(3));

function valuesText(values: Float64Array | undefined, shape: readonly (number | null)[]): string {
  if (!values) return '?';
  if (shape.length === 0) return num(values[0]);
  const shown = [...values.subarray(0, 6)].map(num).join(', ');
  return values.length <= 6 ? `[${shown}]` : `[${shown}, …] (${values.length} values)`;
}

function inlined(ir: IR, id: number): boolean {
  const n = ir.nodes[id];
  return isOp(n, ops.constant) && (ir.data.get(id)?.length ?? Infinity) <= INLINE_VALUES;
}

/**
 * The SSA listing of an IR (what `g.toString(outputs)` prints): only what `outputs` depend on, one
 * line per node with its shape, attributes and the line that built it.
 */
export function formatGraph(ir: IR, outputs?: readonly number[], notes: PrintNotes = {}): string {
  const lines: string[] = [];
  let section: 'forward' | 'backward' | null = null;
  for (const id of idsOf(ir, outputs)) {
    if (inlined(ir, id) && !outputs?.includes(id)) continue;
    if (notes.backward && notes.backward.size > 0) {
      const here = notes.backward.has(id) ? 'backward' : 'forward';
      if (here !== section) lines.push(here === 'forward' ? '# forward pass' : '# backward pass (autodiff)');
      section = here;
    }
    lines.push(formatNode(ir.nodes[id], ir, notes));
  }
  return lines.join('\n');
}

/** One line of the listing; with `ir`, small constant inputs are written as their values. */
export function formatNode(n: Node, ir?: IR, notes: PrintNotes = {}): string {
  const args = n.inputs.map((i) => (ir && inlined(ir, i) ? valuesText(ir.data.get(i), ir.nodes[i].shape) : `%${i}`)).join(', ');
  const body = isOp(n, ops.constant) && ir ? valuesText(ir.data.get(n.id), n.shape) : args;
  const attrs = Object.entries(n.attrs)
    .filter(([k, v]) => !(k === 'shape' && hasTrait(n, 'source')) && v !== false)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  const label = notes.labels?.get(n.id);
  const name = `${n.name ? ` '${n.name}'` : ''}${label && label !== n.name ? ` (${label})` : ''}`;
  const type = `${formatShape(n.shape)}${n.dtype === 'int' ? ' int' : ''}`;
  return `%${n.id}${name}: ${type} = ${n.op}(${body})${attrs ? ` {${attrs}}` : ''}${n.site ? `  # ${n.site}` : ''}`;
}

function dotText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * Graphviz DOT: inputs as ellipses, parameters as boxes, constants as plain text with their
 * values, ops as rounded boxes with id, label, op, shape and flags; the forward and the backward
 * pass in two clusters, labelled nodes filled (gradients yellow, forward quantities blue).
 */
export function graphToDot(ir: IR, outputs?: readonly number[], notes: PrintNotes = {}): string {
  const ids = idsOf(ir, outputs);
  const backward = notes.backward ?? new Set<number>();
  const split = ids.some((id) => backward.has(id));
  const lines = ['digraph deltagraph {', '  rankdir=TB; node [fontname="Helvetica", fontsize=10]; edge [color="#555555"];'];
  const nodeLine = (n: Node) => {
    const label = notes.labels?.get(n.id);
    const title = [`%${n.id}`, n.name ? n.name : '', label && label !== n.name ? label : ''].filter(Boolean).join(' ');
    const flags = Object.entries(n.attrs)
      .filter(([k, v]) => v !== false && !(k === 'shape' && hasTrait(n, 'source')) && k !== 'keepDims')
      .map(([k, v]) => (v === true ? k : `${k}=${JSON.stringify(v)}`));
    const body = isOp(n, ops.input) || isOp(n, ops.parameter) ? formatShape(n.shape) : isOp(n, ops.constant) ? valuesText(ir.data.get(n.id), n.shape) : `${n.op} ${formatShape(n.shape)}`;
    const text = [title, body, ...flags].join('\n');
    const shape = isOp(n, ops.input) ? 'ellipse' : isOp(n, ops.parameter) ? 'box' : isOp(n, ops.constant) ? 'plaintext' : 'box, style="rounded,filled"';
    // Labelled nodes stand out: gradients (∂C/∂w1, δ2) in yellow, forward quantities (z1, a1) in blue.
    const fill = isOp(n, ops.input) || isOp(n, ops.parameter) || isOp(n, ops.constant) ? '' : !label ? ', fillcolor="white"' : backward.has(n.id) ? ', fillcolor="#ffe9a8"' : ', fillcolor="#dde8f5"';
    return `    n${n.id} [label="${dotText(text).replace(/\n/g, '\\n')}", shape=${shape}${fill}];`;
  };
  const cluster = (name: string, title: string, color: string, members: number[]) => {
    lines.push(`  subgraph cluster_${name} {`, `    label="${title}"; style=dashed; color="${color}"; fontname="Helvetica";`);
    for (const id of members) lines.push(nodeLine(ir.nodes[id]));
    lines.push('  }');
  };
  if (split) {
    cluster('forward', 'forward pass', '#3b6ea8', ids.filter((id) => !backward.has(id)));
    cluster('backward', 'backward pass (autodiff)', '#b0413e', ids.filter((id) => backward.has(id)));
  } else {
    for (const id of ids) lines.push(nodeLine(ir.nodes[id]).slice(2));
  }
  for (const id of ids) for (const i of ir.nodes[id].inputs) lines.push(`  n${i} -> n${id};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// formatMath: one node as a formula
// ---------------------------------------------------------------------------

/** A rendered subexpression and how tightly it binds (0 sum, 1 product, 2 atom). */
interface Expr {
  text: string;
  level: 0 | 1 | 2;
  /** A number, when the subexpression is a known scalar constant. */
  value?: number;
}

/** Renders node ids; `named` says whether a node is written by a name (label, name, or `where`). */
interface Renderer {
  render(id: number): Expr;
  named(id: number): boolean;
}

/**
 * `t` as a formula in the graph's own labels (`a2`, `δ2`, parameter and input names), simplified
 * for reading: scalar constants folded, x·1, x + 0 and −(−x) gone, broadcasts left implicit as in
 * maths, the element count of a batch written m. Subexpressions used more than once are written
 * once, under `where`.
 *
 * @example
 * const [dz] = grad(softmaxCrossEntropy(z, labels), [z]);
 * formatMath(dz); // '(softmax(x·w + b) − onehot(labels)) / m'
 */
export function formatMath(t: Tensor, notes: PrintNotes = notesOf(t.graph)): string {
  const ir = t.graph.ir();
  const leafName = (id: number): string | undefined => (id === t.id ? undefined : notes.labels?.get(id) ?? ir.nodes[id].name);
  // Subexpressions used more than once get a name of their own.
  const uses = new Map<number, number>();
  const count = (id: number) => {
    uses.set(id, (uses.get(id) ?? 0) + 1);
    if (uses.get(id)! > 1 || leafName(id) !== undefined) return;
    const n = ir.nodes[id];
    // count reads only the shape of its input, broadcastAxes only that of its second input.
    for (const i of isOp(n, ops.count) ? [] : isOp(n, ops.broadcastAxes) ? n.inputs.slice(0, 1) : n.inputs) count(i);
  };
  count(t.id);
  // Scalars (a 1/m, a constant) are short: written in place, never under `where`.
  const scalar = (id: number): boolean => {
    const n = ir.nodes[id];
    return isOp(n, ops.broadcastAxes) ? scalar(n.inputs[0]) : n.shape.every((d) => d === 1);
  };
  const shared = new Set([...uses].filter(([id, k]) => k > 1 && leafName(id) === undefined && !scalar(id)).map(([id]) => id));
  const names = new Map<number, string>();
  const where: string[] = [];
  const renderer: Renderer = {
    named: (id) => leafName(id) !== undefined || shared.has(id),
    render: (id) => {
      const name = leafName(id) ?? names.get(id);
      if (name !== undefined) return { text: name, level: 2 };
      if (shared.has(id)) {
        const text = `%${id}`;
        names.set(id, text);
        where.push(`${text} = ${expression(ir.nodes[id], ir, renderer).text}`);
        return { text, level: 2 };
      }
      return expression(ir.nodes[id], ir, renderer);
    },
  };
  const main = expression(ir.nodes[t.id], ir, renderer).text;
  return where.length === 0 ? main : `${main}\n  where ${where.join('\n        ')}`;
}

/** A product as a scale, the factors above and the factors below the fraction bar. */
interface Product {
  scale: number;
  top: string[];
  bottom: string[];
}

/** The factors of `mul`, `div`, `neg` and broadcasts walked through, constants folded into one scale. */
function factors(n: Node, ir: IR, r: Renderer): Product {
  const p: Product = { scale: 1, top: [], bottom: [] };
  const walk = (id: number, up: boolean) => {
    const m = ir.nodes[id];
    if (r.named(id)) (up ? p.top : p.bottom).push(r.render(id).text);
    else if (isOp(m, ops.mul)) (walk(m.inputs[0], up), walk(m.inputs[1], up));
    else if (isOp(m, ops.div)) (walk(m.inputs[0], up), walk(m.inputs[1], !up));
    else if (isOp(m, ops.neg)) (p.scale = -p.scale, walk(m.inputs[0], up));
    else if (isOp(m, ops.broadcastAxes)) walk(m.inputs[0], up);
    else {
      const e = r.render(id);
      if (e.value !== undefined) p.scale = up ? p.scale * e.value : p.scale / e.value;
      else (up ? p.top : p.bottom).push(e.level === 0 ? `(${e.text})` : e.text);
    }
  };
  if (isOp(n, ops.neg)) {
    p.scale = -1;
    walk(n.inputs[0], true);
  } else {
    walk(n.inputs[0], true);
    walk(n.inputs[1], isOp(n, ops.mul));
  }
  return p;
}

/** A product written out; `sign: false` leaves the sign of the scale to the caller (a sum). */
function productText(p: Product, sign = true): Expr {
  const scale = sign ? p.scale : Math.abs(p.scale);
  if (p.top.length === 0 && p.bottom.length === 0) return { text: num(scale), level: 2, value: scale };
  let text = p.top.length > 0 ? p.top.join(' ⊙ ') : '1';
  if (scale === -1) text = `−${text}`;
  else if (scale !== 1) text = `${num(scale)} · ${text}`;
  if (p.bottom.length > 0) text += ` / ${p.bottom.length === 1 ? p.bottom[0] : `(${p.bottom.join(' ⊙ ')})`}`;
  return { text, level: p.top.length === 1 && p.bottom.length === 0 && scale === 1 ? 2 : 1 };
}

/**
 * A sum: `add`, `sub`, `neg` and broadcasts walked through, constants folded into one term, and
 * a divisor or scale every term shares taken out: `(a2 − y) / m`, not `a2 / m − y / m`.
 */
function sum(n: Node, ir: IR, r: Renderer): Expr {
  let constant = 0;
  const terms: Product[] = [];
  const walk = (id: number, sign: 1 | -1) => {
    const m = ir.nodes[id];
    if (r.named(id)) terms.push({ scale: sign, top: [r.render(id).text], bottom: [] });
    else if (isOp(m, ops.add) || isOp(m, ops.sub)) (walk(m.inputs[0], sign), walk(m.inputs[1], isOp(m, ops.sub) ? (-sign as 1 | -1) : sign));
    else if (isOp(m, ops.broadcastAxes)) walk(m.inputs[0], sign);
    else if (isOp(m, ops.mul) || isOp(m, ops.div) || isOp(m, ops.neg)) {
      const p = factors(m, ir, r);
      if (p.top.length === 0 && p.bottom.length === 0) constant += sign * p.scale;
      else terms.push({ ...p, scale: sign * p.scale });
    } else {
      const e = r.render(id);
      if (e.value !== undefined) constant += sign * e.value;
      else terms.push({ scale: sign, top: [e.level === 0 ? `(${e.text})` : e.text], bottom: [] });
    }
  };
  walk(n.inputs[0], 1);
  walk(n.inputs[1], isOp(n, ops.sub) ? -1 : 1);
  if (terms.length === 0) return { text: num(constant), level: 2, value: constant };
  // Take out what every term shares (only without a constant term, which shares nothing).
  let shared: Product = { scale: 1, top: [], bottom: [] };
  if (constant === 0 && terms.length > 1) {
    const bottom = terms[0].bottom.join('/');
    if (bottom !== '' && terms.every((t) => t.bottom.join('/') === bottom)) shared = { ...shared, bottom: terms[0].bottom };
    const scale = Math.abs(terms[0].scale);
    if (scale !== 1 && terms.every((t) => Math.abs(t.scale) === scale)) shared.scale = scale;
  }
  const inner = terms.map((t) => ({ ...t, scale: t.scale / shared.scale, bottom: shared.bottom.length > 0 ? [] : t.bottom }));
  // Positive terms first and a constant before them: 1 − a, a − y.
  const ordered = [...(constant !== 0 ? [{ scale: constant, top: [], bottom: [] }] : []), ...inner.filter((t) => t.scale > 0), ...inner.filter((t) => t.scale < 0)];
  const text = ordered.map((t, i) => `${t.scale < 0 ? (i === 0 ? '−' : ' − ') : i === 0 ? '' : ' + '}${productText(t, false).text}`).join('');
  if (shared.scale === 1 && shared.bottom.length === 0) return { text, level: ordered.length > 1 ? 0 : 1 };
  return productText({ scale: shared.scale, top: [ordered.length > 1 ? `(${text})` : text], bottom: shared.bottom });
}

function product(n: Node, ir: IR, r: Renderer): Expr {
  return productText(factors(n, ir, r));
}

const functionNames: Record<string, string> = { sigmoid: 'σ', log: 'ln', oneHot: 'onehot' };

function expression(n: Node, ir: IR, r: Renderer): Expr {
  const arg = (k: number) => r.render(n.inputs[k]);
  const atom = (e: Expr) => (e.level === 2 ? e.text : `(${e.text})`);
  if (isOp(n, ops.constant)) {
    const values = ir.data.get(n.id);
    if (values && values.length > 0 && values.every((v) => v === values[0])) return { text: num(values[0]), level: 2, value: values[0] };
    return { text: valuesText(values, n.shape), level: 2 };
  }
  if (isOp(n, ops.input) || isOp(n, ops.parameter)) return { text: n.name ?? `%${n.id}`, level: 2 };
  if (isOp(n, ops.mul) || isOp(n, ops.div) || isOp(n, ops.neg)) return product(n, ir, r);
  if (isOp(n, ops.add) || isOp(n, ops.sub)) return sum(n, ir, r);
  if (isOp(n, ops.broadcastAxes) || isOp(n, ops.reshape)) return arg(0);
  if (isOp(n, ops.count)) {
    // The count of a batch mean: the batch size m when every counted axis is the batch.
    const input = ir.nodes[n.inputs[0]];
    const axes = n.attrs.axes === null || n.attrs.axes === undefined ? input.shape.map((_, i) => i) : ([] as number[]).concat(n.attrs.axes as number | number[]);
    const dims = axes.map((a) => input.shape[a < 0 ? a + input.shape.length : a]);
    if (dims.every((d) => d === null)) return { text: 'm', level: 2 };
    if (dims.every((d) => d !== null)) {
      const v = (dims as number[]).reduce((a, b) => a * b, 1);
      return { text: num(v), level: 2, value: v };
    }
    return { text: `count(${arg(0).text})`, level: 2 };
  }
  if (isOp(n, ops.matMul)) {
    const t = (e: Expr, flag: unknown) => `${atom(e)}${flag ? 'ᵀ' : ''}`;
    return { text: `${t(arg(0), n.attrs.transposeA)}·${t(arg(1), n.attrs.transposeB)}`, level: 1 };
  }
  if (isOp(n, ops.sum)) {
    const input = ir.nodes[n.inputs[0]];
    const axes = n.attrs.axes === null || n.attrs.axes === undefined ? null : ([] as number[]).concat(n.attrs.axes as number | number[]);
    const over = axes === null ? '' : axes.length === 1 && axes[0] === 0 && input.shape.length === 2 ? '_rows' : `_{axis ${axes.join(',')}}`;
    return { text: `Σ${over} ${atom(arg(0))}`, level: 1 };
  }
  if (isOp(n, ops.square)) return { text: `${atom(arg(0))}²`, level: 2 };
  if (isOp(n, ops.transpose)) return { text: `${atom(arg(0))}ᵀ`, level: 2 };
  if (isOp(n, ops.softmaxCrossEntropy)) return { text: `CE(softmax(${arg(0).text}), ${arg(1).text})`, level: 2 };
  const name = functionNames[n.op] ?? n.op;
  return { text: `${name}(${n.inputs.map((_, k) => arg(k).text).join(', ')})`, level: 2 };
}
