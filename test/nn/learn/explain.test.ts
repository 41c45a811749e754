import { describe, expect, it } from 'vitest';
import { Graph } from '../../../src/index.ts';
import { Model, Rng, sgd } from '../../../src/nn/index.ts';
import { explainBackprop, renderDot } from '../../../src/nn/learn/index.ts';

describe('explainBackprop: one page with the network, the trace, the maths and the graph', () => {
  it('writes every traced quantity with its equation, difference and formula, and the DOT of both passes', () => {
    const g = new Graph({ seed: 2 });
    const x = g.input('x', [null, 6]);
    const out = g.dense(g.dense(x, 5, { activation: 'sigmoid' }), 4, { activation: 'sigmoid' });
    const model = new Model({ inputs: x, outputs: out }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 1 }) });
    const rng = new Rng(3);
    const { html, dot, trace } = explainBackprop(model, { x: Array.from({ length: 18 }, () => rng.next()), y: [0, 3, 1] }, { title: 'A <small> net' });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>A &lt;small&gt; net</title>');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).toMatch(/<td>δ2<\/td><td>BP1 \(a2 − y\) ⊙ σ′\(z2\) \/ m<\/td><td>3×4<\/td><td>[^<]+<\/td><td>\d\.\de-\d+<\/td><td class="math">\(a2 − y\) ⊙ a2 ⊙ \(1 − a2\) \/ m<\/td>/);
    expect(html).toMatch(/<td>∂C\/∂w1<\/td><td>BP4 a0ᵀ·δ1<\/td><td>6×5<\/td>/);
    expect(html).toContain('# backward pass (autodiff)');
    expect(html).toContain(`Largest difference from the reference: ${trace.maxDifference!.toExponential(1)}.`);
    expect(dot).toContain('subgraph cluster_backward');
    expect(html).toContain('subgraph cluster_forward');
    model.dispose();
  });
});

describe('pictures: Graphviz in WebAssembly', () => {
  it('renderDot lays DOT out as an SVG (no native tools), clusters and labels kept', async () => {
    const svg = await renderDot('digraph { subgraph cluster_f { label="forward pass"; a -> b } b -> c [label="∂C/∂w1"] }');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('forward pass');
    expect(svg).toContain('∂C/∂w1');
    expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(3);
  });
});
