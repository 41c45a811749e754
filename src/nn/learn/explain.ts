/**
 * One HTML page that explains a network's backprop on one batch: the network, the BP1–BP4 trace
 * (autodiff beside the hand reference), the gradients read as maths, and the gradient graph as a
 * listing and as Graphviz DOT, drawn by withGraphPicture (pictures.ts: Graphviz in WebAssembly).
 * Plain HTML, no script: it opens anywhere.
 */
import type { Model } from '../model.ts';
import { GRAPH_PICTURE } from './pictures.ts';
import { BackpropTracer, modelToTrace, type BackpropTrace, type GraphToTrace, type TraceBatch } from './trace.ts';

/** What {@link explainBackprop} returns. */
export interface ExplainPage {
  /** The page. */
  readonly html: string;
  /** The gradient graph of the traced quantities in DOT, also inside the page. */
  readonly dot: string;
  /** The trace the page shows. */
  readonly trace: BackpropTrace;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const num = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(2));

/** A sketch of the layers as columns of neurons (at most 12 drawn per layer). */
function networkSvg(sizes: readonly number[], activations: readonly string[]): string {
  const shown = sizes.map((n) => Math.min(n, 12));
  const width = 160 * sizes.length;
  const height = 40 + 26 * Math.max(...shown);
  const x = (l: number) => 80 + 160 * l;
  const y = (l: number, i: number) => 30 + 26 * i + (26 * (Math.max(...shown) - shown[l])) / 2;
  const parts: string[] = [];
  for (let l = 1; l < sizes.length; l++) {
    for (let i = 0; i < shown[l - 1]; i++) for (let j = 0; j < shown[l]; j++) parts.push(`<line x1="${x(l - 1)}" y1="${y(l - 1, i)}" x2="${x(l)}" y2="${y(l, j)}" stroke="#ccc" stroke-width="0.5"/>`);
  }
  sizes.forEach((n, l) => {
    for (let i = 0; i < shown[l]; i++) parts.push(`<circle cx="${x(l)}" cy="${y(l, i)}" r="8" fill="${l === 0 ? '#dde8f5' : '#fff3cf'}" stroke="#555"/>`);
    const label = l === 0 ? `a0 = x: ${n}` : `layer ${l}: ${n} ${activations[l - 1]}`;
    parts.push(`<text x="${x(l)}" y="16" text-anchor="middle" font-size="12">${escape(label)}${n > shown[l] ? ' (12 drawn)' : ''}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif">${parts.join('')}</svg>`;
}

/**
 * The page for a compiled Model (or a graph of dense layers) and one batch.
 *
 * @example
 * const { html, dot } = explainBackprop(model, { x: train.x.subarray(0, 7840), y: train.y.subarray(0, 10) });
 * writeFileSync('explain.html', html);
 *
 * @param options.title - The page's title.
 */
export function explainBackprop(source: Model | GraphToTrace, batch: TraceBatch, options: { title?: string } = {}): ExplainPage {
  const graphSource = 'trainingStep' in source ? modelToTrace(source) : source;
  const tracer = new BackpropTracer(graphSource);
  let trace: BackpropTrace;
  try {
    trace = tracer.trace(batch, graphSource.weights);
  } finally {
    tracer.dispose();
  }
  const g = graphSource.loss.graph;
  const roots = tracer.tensors.flatMap((t) => [t.delta, t.weightGradient, ...(t.biasGradient ? [t.biasGradient] : [])]);
  const dot = g.toDot([graphSource.loss, ...roots]);
  const listing = g.toString([graphSource.loss, ...roots]);
  const title = options.title ?? `Backprop of [${trace.sizes.join(', ')}] on one batch of ${trace.m}`;
  const rows = trace.layers
    .flatMap((l) =>
      l.quantities.map(
        (q) =>
          `<tr${q.name.startsWith('z') ? ' class="first"' : ''}><td>${escape(q.name)}</td><td>${escape(q.equation)}</td><td>${q.value.rows}×${q.value.cols}</td><td>${escape(
            [...q.value.data.subarray(0, 4)].map(num).join(' '),
          )}${q.value.data.length > 4 ? ' …' : ''}</td><td>${q.maxDifference === undefined ? '' : q.maxDifference.toExponential(1)}</td><td class="math">${escape(q.formula ?? '')}</td></tr>`,
      ),
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 2em; max-width: 70em; color: #222; }
table { border-collapse: collapse; font-size: 14px; } td, th { padding: 3px 10px; text-align: left; }
tr.first td { border-top: 1px solid #999; } th { border-bottom: 2px solid #555; }
.graph svg { max-width: 100%; height: auto; }
.math, pre { font-family: Menlo, Consolas, monospace; } pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; }
</style></head><body>
<h1>${escape(title)}</h1>
<h2>The network</h2>
${networkSvg(trace.sizes, trace.layers.map((l) => l.activation))}
<p>Row form: z = a·w + b, one row per sample; the cost C is the mean over the batch${trace.cost ? ` (${escape(trace.cost)} cost)` : ''}. Loss C = ${trace.loss.toPrecision(8)}${trace.referenceLoss === undefined ? '' : `, reference ${trace.referenceLoss.toPrecision(8)}`}.</p>
<h2>BP1–BP4, traced</h2>
<p>Each quantity from deltagraph's autodiff graph (float64), the largest difference from the hand-derived reference on the same weights and batch, and the graph node read as maths.</p>
<table>
<tr><th>quantity</th><th>equation</th><th>shape</th><th>first entries</th><th>max |autodiff − reference|</th><th>in the gradient graph</th></tr>
${rows}
</table>
<p>${escape(trace.referenceNote ?? `Largest difference from the reference: ${trace.maxDifference!.toExponential(1)}.`)}</p>
<h2>The gradient graph</h2>
<p>The nodes the traced gradients depend on, forward pass and backward pass (autodiff) marked, gradients labelled.</p>
${GRAPH_PICTURE}
<pre>${escape(listing)}</pre>
<details><summary>Graphviz DOT (render with <code>dot -Tsvg</code>)</summary><pre>${escape(dot)}</pre></details>
</body></html>
`;
  return { html, dot, trace };
}
