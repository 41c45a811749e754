/** The tables the benchmarks write into docs/performance.md with `--readme` (between their markers). */
import { loadavg } from 'node:os';

/**
 * A table of GFLOP/s from benny entries named "<what> 1 thread" and "<what> 2 threads": one row
 * per `what`, with the command that measured it, the date, Node and the machine's load.
 */
export function gflopsTable(title: string, gflops: ReadonlyMap<string, number>): string {
  const rows = new Map<string, string[]>();
  for (const [name, value] of gflops) {
    const [what, threads] = name.split(/ (?=\d threads?$)/);
    const row = rows.get(what) ?? ['', ''];
    row[threads.startsWith('1') ? 0 : 1] = value.toFixed(1);
    rows.set(what, row);
  }
  return [
    `Measured by \`${command()}\` (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, load ${loadavg()[0].toFixed(1)} at the end):`,
    '',
    `| ${title}, GFLOP/s | 1 thread | 2 threads |`,
    '|---|---|---|',
    ...[...rows].map(([what, [one, two]]) => `| ${what} | ${one} | ${two} |`),
  ].join('\n');
}

/** How this benchmark was run, as a reader would type it. */
export function command(): string {
  return `npx tsx ${process.argv[1].replace(/^.*\/(bench\/)/, '$1')} ${process.argv.slice(2).join(' ')}`.trim();
}
