import { describe, expect, it } from 'vitest';
import { historySeries, historyToCsv, svgChart, terminalChart, type History } from '../../src/nn/index.ts';

const history: History = {
  epochs: [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, accuracy: 0.5 + epoch / 10, valLoss: 1.1 / epoch, valAccuracy: 0.45 + epoch / 10, learningRate: 0.1, msPerStep: 2, seconds: 1 })),
};

describe('charts and history files', () => {
  it('writes the history as CSV', () => {
    const csv = historyToCsv(history).trim().split('\n');
    expect(csv[0]).toBe('epoch,loss,accuracy,valLoss,valAccuracy,learningRate,msPerStep,seconds');
    expect(csv[1]).toBe('1,1,0.6,1.1,0.55,0.1,2,1');
    expect(csv).toHaveLength(4);
  });

  it('draws a terminal chart with the extremes labelled and a legend', () => {
    const { loss } = historySeries(history);
    const chart = terminalChart(loss, { height: 5 }).split('\n');
    expect(chart[0]).toMatch(/^ +1\.100 │○/);
    expect(chart[4]).toMatch(/^ +0\.3333 │ +[●○]$/); // the last series drawn wins a shared cell
    expect(chart[chart.length - 1]).toContain('● train loss   ○ validation loss');
  });

  it('draws an SVG chart with one path per series', () => {
    const svg = svgChart(historySeries(history).accuracy, { title: 'Accuracy <%>' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path d="M[\d.]+ [\d.]+L/g)).toHaveLength(2);
    expect(svg).toContain('Accuracy &lt;%&gt;');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
