/**
 * npm run example:bitmaps -- <train-folder> [<test-folder>] — the other classic exercise: digits
 * as 32x32 text bitmaps (32 lines of 32 characters '0'/'1', files named <label>_<seq>.txt), a
 * [1024, 16, 16, 10] sigmoid net with squared error and per-sample SGD at α = 0.01, the loss per
 * epoch. Without a folder it writes a small synthetic set first (blurred, shifted strokes of
 * the ten digits) so the example runs as is.
 *
 *   npm run example:bitmaps                                  # synthetic digits
 *   npm run example:bitmaps -- trainingDigits testDigits     # your folders
 *   options: --epochs N (default 200) --init normal|uniform|zeros
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Graph, type Initializer } from 'deltagraph';
import { historySeries, loadBitmapFolder, type Callback, type Dataset, Model, progressBar, randomNormal, randomUniform, Rng, sgd, terminalChart } from 'deltagraph/nn';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { epochs: { type: 'string', default: '200' }, init: { type: 'string', default: 'normal' } },
});

// N(0,1), U[0,1) and all-zero initialisation: the exercise compares the three.
const inits: Record<string, Initializer> = { normal: randomNormal(1), uniform: randomUniform(0, 1), zeros: 'zeros' };
const init = inits[args.init!];
if (!init) throw new Error(`--init must be normal, uniform or zeros, got '${args.init}'`);

const made = positionals.length > 0 ? null : synthetic();
const [trainDir, testDir] = made ? [path.join(made, 'train'), path.join(made, 'test')] : positionals;
let train: Dataset;
let test: Dataset | undefined;
try {
  train = loadBitmapFolder(trainDir);
  test = testDir ? loadBitmapFolder(testDir) : undefined;
} finally {
  if (made) rmSync(made, { recursive: true, force: true }); // loaded: the synthetic files are not needed any more
}
console.log(`${train.count} training bitmaps from ${made ? 'a synthetic set' : trainDir}${test ? `, ${test.count} test bitmaps from ${made ? 'a synthetic set' : testDir}` : ''}`);

const g = new Graph({ seed: 1 });
const x = g.input('x', [null, 1024]);
let h = g.dense(x, 16, { activation: 'sigmoid', kernelInitializer: init, biasInitializer: init });
h = g.dense(h, 16, { activation: 'sigmoid', kernelInitializer: init, biasInitializer: init });
const out = g.dense(h, 10, { activation: 'sigmoid', kernelInitializer: init, biasInitializer: init });
const model = new Model({ inputs: x, outputs: out }).compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 0.01 }) });
console.log(model.summary());

const every = Math.max(1, Math.floor(Number(args.epochs) / 10));
const history = model.fit(train, {
  epochs: Number(args.epochs),
  batchSize: 1, // per-sample SGD, as the exercise does it
  validationData: test,
  callbacks: [everyNth(every, progressBar({ stream: { write: (t: string) => process.stdout.write(t) } }))],
});
console.log(terminalChart(historySeries(history).loss, { title: 'Loss per epoch', height: 10 }));
console.log(`Training accuracy ${(100 * model.evaluate(train).accuracy).toFixed(2)}%${test ? `, test accuracy ${(100 * model.evaluate(test).accuracy).toFixed(2)}%` : ''}`);

/** Passes only every n-th epoch's end to `callback` (a line per epoch would be 200 lines). */
function everyNth(n: number, callback: Callback): Callback {
  return { ...callback, onEpochEnd: (logs, m) => logs.epoch % n === 0 && callback.onEpochEnd?.(logs, m) };
}

/** Writes ten blurred digit shapes with random shifts as bitmap files (train/ and test/); returns their folder. */
function synthetic(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'deltagraph-bitmaps-'));
  const rng = new Rng(3);
  // 5x7 seven-segment-like glyphs of the digits 0–9, scaled up to 32x32.
  const glyphs = ['111101101101111', '010110010010111', '111001111100111', '111001111001111', '101101111001001', '111100111001111', '111100111101111', '111001001001001', '111101111101111', '111101111001111'];
  const write = (dir: string, count: number) => {
    mkdirSync(dir);
    for (let i = 0; i < count; i++) {
      const label = i % 10;
      const dx = rng.int(7) - 3;
      const dy = rng.int(5) - 2;
      const lines: string[] = [];
      for (let r = 0; r < 32; r++) {
        let line = '';
        for (let c = 0; c < 32; c++) {
          const gr = Math.floor((r - 3 - dy) / 5.2);
          const gc = Math.floor((c - 8 - dx) / 5.4);
          const on = gr >= 0 && gr < 5 && gc >= 0 && gc < 3 && glyphs[label][gr * 3 + gc] === '1';
          line += on !== rng.next() < 0.03 ? '1' : '0';
        }
        lines.push(line);
      }
      writeFileSync(path.join(dir, `${label}_${Math.floor(i / 10)}.txt`), lines.join('\n') + '\n');
    }
  };
  write(path.join(root, 'train'), 300);
  write(path.join(root, 'test'), 100);
  return root;
}
