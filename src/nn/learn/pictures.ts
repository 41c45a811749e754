/**
 * Pictures of graphs without native tools: Graphviz compiled to WebAssembly
 * (@hpcc-js/wasm-graphviz), the same in Node and in a page. Loaded on first use, so code that
 * draws nothing never loads it.
 */
import type { ExplainPage } from './explain.ts';

let graphviz: ReturnType<typeof loadGraphviz> | null = null;
const loadGraphviz = () => import('@hpcc-js/wasm-graphviz').then(({ Graphviz }) => Graphviz.load());

/**
 * DOT (e.g. `g.toDot(outputs)`, forward and backward pass as clusters) laid out as an SVG string.
 *
 * @example
 * writeFileSync('gradients.svg', await renderDot(g.toDot([loss, ...grad(loss, g.parameters)])));
 */
export async function renderDot(dot: string, engine: 'dot' | 'neato' | 'fdp' | 'circo' | 'twopi' = 'dot'): Promise<string> {
  graphviz ??= loadGraphviz();
  const svg = (await graphviz).layout(dot, 'svg', engine);
  // The XML prologue and doctype are for a file of its own; inside a page only <svg> is wanted.
  return svg.slice(svg.indexOf('<svg'));
}

/** The explain page with its gradient graph drawn (from the page's DOT) where the page leaves room for it. */
export async function withGraphPicture(page: ExplainPage): Promise<
  ExplainPage & {
    /** The gradient graph drawn as SVG (also inside `html`). */
    svg: string;
  }
> {
  const svg = await renderDot(page.dot);
  return { ...page, svg, html: page.html.replace(GRAPH_PICTURE, `<div class="graph">${svg}</div>`) };
}

/** Where explainBackprop's page takes the picture of its gradient graph. */
export const GRAPH_PICTURE = '<!-- gradient graph picture -->';
