import { describe, expect, it } from 'vitest';
import { epochTicks, historySeries, historyToCsv, niceTicks, svgChart, terminalChart, type History } from '../../src/nn/index.ts';

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

  it('draws a terminal chart with the axis widened to round numbers and labelled, and a legend', () => {
    const { loss } = historySeries(history); // from 0.3333 to 1.1
    const chart = terminalChart(loss, { height: 5 }).split('\n');
    expect(chart[0]).toMatch(/^ +1\.2 │/);
    expect(chart[4]).toMatch(/^ +0\.2 │/);
    expect(chart[chart.length - 1]).toContain('● train loss   ○ validation loss');
  });

  it('puts ticks at round numbers: steps of 1, 2 or 5 times a power of ten, epochs 1 and multiples of 5, 10, …', () => {
    expect(niceTicks(0.05301, 0.1344)).toEqual({ lo: 0.04, hi: 0.14, step: 0.02, decimals: 2, values: [0.04, 0.06, 0.08, 0.1, 0.12, 0.14] });
    expect(niceTicks(82.21, 97.06).values).toEqual([80, 85, 90, 95, 100]);
    expect(niceTicks(0, 1).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1).decimals).toBe(1);
    expect(niceTicks(0, 1000).values).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(niceTicks(3, 3).values).toEqual([2, 2.5, 3, 3.5, 4]);
    expect(epochTicks(30)).toEqual([1, 5, 10, 15, 20, 25, 30]);
    expect(epochTicks(14)).toEqual([1, 2, 4, 6, 8, 10, 12, 14]);
    expect(epochTicks(3)).toEqual([1, 2, 3]);
    expect(epochTicks(200)).toEqual([1, 25, 50, 75, 100, 125, 150, 175, 200]);
    const svg = svgChart([{ name: 'loss', values: Array.from({ length: 30 }, (_, i) => 0.1344 - i * 0.0028) }]);
    const labels = [...svg.matchAll(/text-anchor="(?:end|middle)">([\d.]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['0.04', '0.06', '0.08', '0.10', '0.12', '0.14', '1', '5', '10', '15', '20', '25', '30']);
  });

  it('draws an SVG chart with one path per series', () => {
    const svg = svgChart(historySeries(history).accuracy, { title: 'Accuracy <%>' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<path d="M[\d.]+ [\d.]+L/g)).toHaveLength(2);
    expect(svg).toContain('Accuracy &lt;%&gt;');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});
