/**
 * npm run special-values — what every op's kernels give for NaN, +∞ and −∞, one special value at
 * a time in every position of 1–9 and 17 elements: the documented rule's values there, then for
 * the wasm float32 kernel's vector lanes and scalar tail, the JS kernel in float32 and in float64,
 * "ok" if every position gave what the rule says. "finite" is any finite number (a value that
 * depends on the neighbours; several values: it depends on their signs); "—" means the op has no
 * wasm kernel for these shapes (the JS kernel runs). Exits 1 if any kernel departs from the rule.
 */
import { kinds, observe, specialCases, specialValues } from '../src/testing/special-values.ts';

const name = (v: number) => (Number.isNaN(v) ? 'NaN' : v > 0 ? '+∞' : '−∞');
const header = ['op', ...specialValues.flatMap((v) => [`${name(v)} → rule`, ...kinds])];
let departures = 0;
const rows = specialCases().map((c) => [
  c.label,
  ...specialValues.flatMap((v) => {
    const o = observe(c, v);
    return [
      [...o.rule].join(', '),
      ...kinds.map((k) => {
        const r = o.kernels[k];
        if (r === 'none') return '—';
        if (r === 'as the rule') return 'ok';
        departures++;
        return `✗ ${[...r].join(', ')}`;
      }),
    ];
  }),
]);
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
console.log(`\n${rows.length} cases × NaN, +∞, −∞: ${departures === 0 ? 'every kernel as its rule, in every position' : `${departures} departures from the rule`}`);
process.exitCode = departures === 0 ? 0 : 1;
