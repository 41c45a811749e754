/**
 * Curves of a training run: a chart for the terminal and an SVG file, from named series of
 * numbers (one value per epoch), plus the history as CSV.
 */
import type { History } from './fit.ts';

/** One line of a chart: a name for the legend and a value per epoch. */
export interface Series {
  /** The legend's name. */
  name: string;
  /** One value per epoch (NaN: no point). */
  values: readonly number[];
}

/** The standard curves of a history: losses, and accuracies (in %). */
export function historySeries(history: History): {
  /** Training and validation loss per epoch. */
  loss: Series[];
  /** Training and validation accuracy per epoch, in %. */
  accuracy: Series[];
} {
  const col = (k: 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy', scale = 1) =>
    history.epochs.map((e) => (e[k] ?? NaN) * scale).filter((v) => !Number.isNaN(v));
  const keep = (s: Series[]) => s.filter((x) => x.values.length > 0);
  return {
    loss: keep([
      { name: 'train loss', values: col('loss') },
      { name: 'validation loss', values: col('valLoss') },
    ]),
    accuracy: keep([
      { name: 'train accuracy %', values: col('accuracy', 100) },
      { name: 'validation accuracy %', values: col('valAccuracy', 100) },
    ]),
  };
}

/** The history as CSV, one row per epoch. */
export function historyToCsv(history: History): string {
  const columns = ['epoch', 'loss', 'accuracy', 'valLoss', 'valAccuracy', 'learningRate', 'msPerStep', 'seconds'] as const;
  const rows = history.epochs.map((e) => columns.map((c) => (e[c] === undefined ? '' : String(e[c]))).join(','));
  return [columns.join(','), ...rows].join('\n') + '\n';
}

const marks = ['●', '○', '◆', '◇'];

/**
 * Round tick values for an axis from `lo` to `hi`: a step of 1, 2 or 5 times a power of ten giving
 * about `count` intervals (chosen as d3's ticks do), the axis widened to multiples of it, and the
 * decimals its labels need, so a chart reads 0.04, 0.06, … rather than 0.05301.
 *
 * @example
 * niceTicks(0.05301, 0.1344).values; // [0.04, 0.06, 0.08, 0.1, 0.12, 0.14]
 */
export function niceTicks(
  lo: number,
  hi: number,
  count = 4,
): {
  /** The axis's low end, a multiple of the step at or below `lo`. */
  lo: number;
  /** The axis's high end, a multiple of the step at or above `hi`. */
  hi: number;
  /** The distance between ticks. */
  step: number;
  /** Decimals the labels need. */
  decimals: number;
  /** The ticks, from `lo` to `hi`. */
  values: number[];
} {
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const raw = (hi - lo) / Math.max(1, count);
  const exponent = Math.floor(Math.log10(raw));
  const error = raw / 10 ** exponent;
  const mantissa = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1;
  const step = mantissa * 10 ** exponent;
  const decimals = Math.max(0, -(exponent + (mantissa === 10 ? 1 : 0)));
  // Multiples of the step, rounded to its decimals so 0.1 + 0.2 never shows as 0.30000000000000004.
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values = Array.from({ length: last - first + 1 }, (_, k) => Number(((first + k) * step).toFixed(decimals)));
  return { lo: values[0], hi: values[values.length - 1], step: Number(step.toFixed(decimals)), decimals, values };
}

/** Epochs to label on an axis of `length` epochs: 1, then multiples of a round step (5, 10, …). */
export function epochTicks(length: number, count = 8): number[] {
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((s) => length / s <= count) ?? Math.ceil(length / count);
  const ticks = [1];
  for (let e = step; e <= length; e += step) if (e > 1) ticks.push(e);
  return ticks;
}

/**
 * A line chart drawn with characters, `height` rows tall; each series gets its own mark.
 *
 * @param options.height - Rows of the plot (default 12).
 * @param options.title - A title line above it.
 */
export function terminalChart(series: readonly Series[], options: { height?: number; title?: string } = {}): string {
  const height = options.height ?? 12;
  const all = series.flatMap((s) => s.values);
  if (all.length === 0) return '(no data)';
  const length = Math.max(...series.map((s) => s.values.length));
  const axis = niceTicks(Math.min(...all), Math.max(...all));
  const { lo, hi } = axis;
  const step = Math.max(1, Math.ceil(length / 60));
  const columns = Math.ceil(length / step);
  const grid = Array.from({ length: height }, () => new Array<string>(columns).fill(' '));
  series.forEach((s, k) => {
    for (let c = 0; c < columns; c++) {
      const v = s.values[Math.min(s.values.length - 1, c * step)];
      if (v === undefined || c * step >= s.values.length) continue;
      const row = height - 1 - Math.round(((v - lo) / (hi - lo)) * (height - 1));
      grid[row][c] = marks[k % marks.length];
    }
  });
  const label = (v: number) => v.toFixed(axis.decimals).padStart(10);
  const lines = grid.map((row, r) => `${r === 0 ? label(hi) : r === height - 1 ? label(lo) : ' '.repeat(10)} │${row.join('')}`);
  lines.push(`${' '.repeat(10)} └${'─'.repeat(columns)}`);
  lines.push(`${' '.repeat(12)}epoch 1${' '.repeat(Math.max(1, columns - 14))}${length}`);
  lines.push(`${' '.repeat(12)}${series.map((s, k) => `${marks[k % marks.length]} ${s.name}`).join('   ')}`);
  return [...(options.title ? [options.title] : []), ...lines].join('\n');
}

const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

/**
 * An SVG line chart with axes, ticks and a legend.
 *
 * @param options.title - A title above the plot.
 * @param options.width - Width in pixels (default 640).
 * @param options.height - Height in pixels (default 360).
 * @param options.yLabel - The label of the y axis.
 */
export function svgChart(series: readonly Series[], options: { title?: string; width?: number; height?: number; yLabel?: string } = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const m = { left: 64, right: 16, top: 36, bottom: 44 };
  const all = series.flatMap((s) => s.values);
  const axis = niceTicks(all.length ? Math.min(...all) : 0, all.length ? Math.max(...all) : 1);
  const { lo, hi } = axis;
  const length = Math.max(2, ...series.map((s) => s.values.length));
  const x = (i: number) => m.left + (i / (length - 1)) * (width - m.left - m.right);
  const y = (v: number) => m.top + (1 - (v - lo) / (hi - lo)) * (height - m.top - m.bottom);
  const esc = (t: string) => t.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (options.title) parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  for (const v of axis.values) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(axis.decimals)}</text>`);
  }
  for (const epoch of epochTicks(length)) {
    parts.push(`<text x="${x(epoch - 1)}" y="${height - m.bottom + 16}" text-anchor="middle">${epoch}</text>`);
  }
  parts.push(`<text x="${(m.left + width - m.right) / 2}" y="${height - 8}" text-anchor="middle">epoch</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(14 ${height / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  parts.push(`<path d="M${m.left} ${m.top}V${height - m.bottom}H${width - m.right}" fill="none" stroke="black"/>`);
  series.forEach((s, k) => {
    const color = colors[k % colors.length];
    const d = s.values.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<rect x="${m.left + 10 + k * 170}" y="${m.top - 8}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${m.left + 26 + k * 170}" y="${m.top - 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
