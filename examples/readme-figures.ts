/**
 * npm run readme:figures — runs `npm run mnist` (classic preset) for seeds 1, 2 and 3 and writes
 * what it printed into README.md: the output of seed 1 between the mnist-output markers and the
 * figures of the three runs between the mnist-figures markers. So the README's numbers are
 * always those of a real run of the current code (test/readme.test.ts checks their format).
 *
 *   npm run readme:figures             # seeds 1, 2, 3 (about a minute on two cores)
 *   npm run readme:figures -- --check  # only print what would be written
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface Run {
  seed: number;
  output: string;
  test: string;
  bestValidation: string;
  bestEpoch: string;
  seconds: number;
}

function runMnist(seed: number): Run {
  const out = mkdtempSync(path.join(tmpdir(), 'deltagraph-readme-'));
  try {
    const output = execFileSync(tsx, ['examples/mnist.ts', '--quiet', '--seed', String(seed), '--out', out], { cwd: root, encoding: 'utf8' });
    const test = /Test accuracy (\d+\.\d\d)%/.exec(output)![1];
    const best = /Best validation accuracy (\d+\.\d\d)% at epoch (\d+)/.exec(output)!;
    const seconds = Number(/after (\d+\.\d) s/.exec(output)![1]);
    return { seed, output: output.replaceAll(out, `runs/mnist-classic-seed${seed}`), test, bestValidation: best[1], bestEpoch: best[2], seconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The printed output as the README shows it: epochs 4 to 29 left out, the charts named. */
export function readmeBlock(output: string): string {
  const lines = output.trimEnd().split('\n');
  const kept: string[] = [];
  let elided = false;
  let charted = false;
  for (const line of lines) {
    const epoch = /^epoch +(\d+) /.exec(line);
    if (epoch && Number(epoch[1]) > 3 && Number(epoch[1]) < 30) {
      if (!elided) kept.push('…');
      elided = true;
      continue;
    }
    if (/^History and curves/.test(line) && !charted) {
      kept.push('      (terminal charts of loss and accuracy per epoch)');
      charted = true;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

function replaceBetween(text: string, marker: string, content: string): string {
  const pattern = new RegExp(`(<!-- ${marker}:start -->\\n)[\\s\\S]*?(<!-- ${marker}:end -->)`);
  if (!pattern.test(text)) throw new Error(`README.md has no ${marker} markers`);
  return text.replace(pattern, (_, start: string, end: string) => `${start}${content}\n${end}`);
}

function main(): void {
  const load = os.loadavg()[0];
  const runs = [1, 2, 3].map(runMnist);
  const [first] = runs;
  const seconds = runs.map((r) => r.seconds);
  const figures = [
    `Measured by \`npm run readme:figures\` (${new Date().toISOString().slice(0, 10)}, on the 2-core development machine at load ${load.toFixed(1)}): the classic`,
    `preset over seeds 1, 2, 3 ends at ${runs.map((r) => `${r.test}%`).join(', ')} test accuracy (best validation`,
    `${runs.map((r) => `${r.bestValidation}% at epoch ${r.bestEpoch}`).join(', ')}; the tutorial reports about 95%),`,
    `${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s per run.`,
  ].join('\n');
  const block = ['```', readmeBlock(first.output), '```'].join('\n');
  if (process.argv.includes('--check')) {
    console.log(`${block}\n\n${figures}`);
    return;
  }
  const file = path.join(root, 'README.md');
  let readme = readFileSync(file, 'utf8');
  readme = replaceBetween(readme, 'mnist-output', block);
  readme = replaceBetween(readme, 'mnist-figures', figures);
  writeFileSync(file, readme);
  console.log(`README.md updated: ${runs.map((r) => `seed ${r.seed} ${r.test}%`).join(', ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
