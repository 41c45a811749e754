/**
 * npm run readme:figures — runs `npm run mnist` for seeds 1, 2 and 3 of a preset and writes what
 * it printed into docs/training.md: for the classic preset, the output of seed 1 between the
 * mnist-output markers and the figures of the three runs between the mnist-figures markers; for
 * another preset, its figures between the mnist-<preset>-figures markers; then the README's
 * headline figures from them (scripts/doc-blocks.ts). So the guide's and the README's numbers are
 * always those of a real run of the current code (test/readme.test.ts checks their format).
 *
 *   npm run readme:figures                      # classic, seeds 1, 2, 3 (about a minute on two cores)
 *   npm run readme:figures -- --preset conv     # the conv net (several minutes a seed)
 *   npm run readme:figures -- --check           # only print what would be written
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { replaceBetween, writeReadmeBlocks } from '../scripts/doc-blocks.ts';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface Run {
  seed: number;
  output: string;
  test: string;
  bestValidation: string;
  bestEpoch: string;
  seconds: number;
  peakMB: number;
}

function runMnist(preset: string, seed: number): Run {
  const out = mkdtempSync(path.join(tmpdir(), 'deltagraph-readme-'));
  try {
    const output = execFileSync(tsx, ['examples/mnist.ts', '--preset', preset, '--quiet', '--seed', String(seed), '--out', out], { cwd: root, encoding: 'utf8' });
    const test = /Test accuracy (\d+\.\d\d)%/.exec(output)![1];
    const best = /Best validation accuracy (\d+\.\d\d)% at epoch (\d+)/.exec(output)!;
    const seconds = Number(/after (\d+\.\d) s/.exec(output)![1]);
    const peakMB = Number(/Peak memory (\d+) MB/.exec(output)![1]);
    return { seed, output: output.replaceAll(out, `runs/mnist-${preset}-seed${seed}`), test, bestValidation: best[1], bestEpoch: best[2], seconds, peakMB };
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

function main(): void {
  const at = process.argv.indexOf('--preset');
  const preset = at > 0 ? process.argv[at + 1] : 'classic';
  const load = os.loadavg()[0];
  const runs = [1, 2, 3].map((seed) => runMnist(preset, seed));
  const [first] = runs;
  const seconds = runs.map((r) => r.seconds);
  const peak = Math.max(...runs.map((r) => r.peakMB));
  const common = [
    `${runs.map((r) => `${r.bestValidation}% at epoch ${r.bestEpoch}`).join(', ')}`,
    `${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s per run, peak memory (resident set) at most ${peak} MB.`,
  ];
  const figures = [
    `Measured by \`npm run readme:figures${preset === 'classic' ? '' : ` -- --preset ${preset}`}\` (${new Date().toISOString().slice(0, 10)}, on the 2-core development machine at load ${load.toFixed(1)}): the ${preset}`,
    `preset over seeds 1, 2, 3 ends at ${runs.map((r) => `${r.test}%`).join(', ')} test accuracy (best validation`,
    `${common[0]}${preset === 'classic' ? '; the tutorial reports about 95%' : ''}),`,
    common[1],
  ].join('\n');
  const block = ['```', readmeBlock(first.output), '```'].join('\n');
  if (process.argv.includes('--check')) {
    console.log(preset === 'classic' ? `${block}\n\n${figures}` : figures);
    return;
  }
  const file = path.join(root, 'docs/training.md');
  let guide = readFileSync(file, 'utf8');
  if (preset === 'classic') {
    guide = replaceBetween(guide, 'mnist-output', block, 'docs/training.md');
    guide = replaceBetween(guide, 'mnist-figures', figures, 'docs/training.md');
  } else {
    guide = replaceBetween(guide, `mnist-${preset}-figures`, figures, 'docs/training.md');
  }
  writeFileSync(file, guide);
  writeReadmeBlocks();
  console.log(`docs/training.md and the README's headline updated: ${runs.map((r) => `seed ${r.seed} ${r.test}% in ${r.seconds} s`).join(', ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
