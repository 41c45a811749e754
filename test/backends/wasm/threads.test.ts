import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeModule } from '../../../src/backends/wasm/emit.ts';
import { matMulFunctions } from '../../../src/backends/wasm/matmul.ts';
import { elementwiseFunctions } from '../../../src/backends/wasm/elementwise.ts';
import { matMulDriver, matMulScratch, skippableSides, SPLIT_MACS, type MatMulExports } from '../../../src/backends/wasm/matmul-driver.ts';
import { JOB } from '../../../src/backends/wasm/gemm-sparse.ts';
import { startHelper, type Helper, type HelperOptions, type HelperStats } from '../../../src/backends/wasm/threads.ts';
import { Rng, wasmFeatures } from '../../../src/index.ts';

// The caller-runs protocol: a half the helper has not claimed is taken back and run by the caller
// on its own instance, and a half not offered at all (the helper asleep, or a product backing
// off) runs as it is queued; every way, the result must be the bits one thread gives. Each path
// is forced here: a helper that never claims (the caller takes back every half), a caller that
// waits for the helper's claim (the helper runs every half), a caller that never offers.

const available = wasmFeatures().threads;
const PAGES = 256;
const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
const module = new WebAssembly.Module(encodeModule([...matMulFunctions(wasmFeatures().fma), ...elementwiseFunctions()], { minimumPages: 1, shared: true, maximumPages: PAGES }));
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as MatMulExports;
const f32 = new Float32Array(memory.buffer);

const helpers: Helper[] = [];
const helper = (options: HelperOptions) => {
  const h = startHelper(module, memory, exports, options);
  if (h) helpers.push(h);
  return h;
};
afterAll(() => helpers.forEach((h) => h.terminate()));

const [A, B, C, S] = [0, 1 << 18, 1 << 19, 3 << 19];

/** Fills A, B (and C when it accumulates) from a seed, runs `run`, and returns C's bits and the 4 floats past it. */
function product(run: () => void, m: number, k: number, n: number, accumulate: boolean, seed: number, [densityA, densityB] = [1, 1]): number[] {
  const rng = new Rng(seed);
  for (let i = 0; i < m * k; i++) f32[A + i] = rng.uniform() < densityA ? rng.normal() : 0;
  for (let i = 0; i < k * n; i++) f32[B + i] = rng.uniform() < densityB ? rng.normal() : 0;
  for (let i = 0; i < m * n; i++) f32[C + i] = accumulate ? rng.normal() : 12345;
  f32.fill(12345, C + m * n, C + m * n + 4);
  f32.fill(-7, S, S + matMulScratch(m, n, k, true, true, accumulate) + 1024); // stale scratch
  run();
  return Array.from(new Uint32Array(memory.buffer, 4 * C, m * n + 4));
}

// [name, m, k, n, transposeA, transposeB, accumulate]: every way a product is split.
const cases = [
  ...[false, true].flatMap((acc) =>
    [[false, false], [true, false], [false, true], [true, true]].map(([tA, tB]) => [`packed by panels${acc ? ', accumulating' : ''} (tA ${tA}, tB ${tB})`, 64, 300, 90, tA, tB, acc] as const),
  ),
  ...[false, true].flatMap((acc) =>
    [[false, false], [true, false], [false, true], [true, true]].map(([tA, tB]) => [`packed by rows, taller than wide${acc ? ', accumulating' : ''} (tA ${tA}, tB ${tB})`, 203, 150, 40, tA, tB, acc] as const),
  ),
  ['along K, few rows (W1 forward)', 10, 784, 30, false, false, false] as const,
  ['along K, 7 rows', 7, 3000, 40, false, false, false] as const,
  ['by rows, N < 16', 300, 170, 12, false, false, false] as const,
  ['by rows, N < 16, Aᵀ·B', 300, 170, 12, true, false, false] as const,
  ['by rows, accumulating (W1 update Aᵀ·B)', 784, 10, 30, true, false, true] as const,
  ['by rows, accumulating, N < 16', 300, 170, 12, false, false, true] as const,
  ['by rows, A·Bᵀ (gemmNT)', 200, 100, 12, false, true, false] as const,
  // an operand 80% zeros: the zero-skipping path, by rows (of C, or of Cᵀ for B's zeros)
  ['skipping A\'s zeros, by rows (W2 forward)', 128, 784, 160, false, false, false, [0.2, 1]] as const,
  ['skipping A\'s zeros, by rows, accumulating (W2 update Aᵀ·B)', 300, 128, 130, true, false, true, [0.2, 1]] as const,
  ['skipping B\'s zeros, accumulating (conv filter gradient Aᵀ·B)', 500, 300, 40, true, false, true, [1, 0.2]] as const,
  ['skipping A\'s zeros of A·Bᵀ (conv input gradient)', 300, 40, 500, false, true, false, [0.2, 1]] as const,
];

describe.skipIf(!available)('helper thread: caller-runs hand-off', () => {
  const single = matMulDriver(exports, null);
  const stealing = helper({ force: 'steal' })!;
  const helping = helper({ force: 'helper' })!;
  const auto = helper({})!;
  const keeping = helper({ force: 'keep' })!;

  it.each(cases)('%s: the same bits whether the caller takes the half back, the helper runs it, the caller keeps it, or any', (_, m, k, n, transposeA, transposeB, accumulate, densities?: readonly [number, number]) => {
    expect(m * n * k).toBeGreaterThanOrEqual(SPLIT_MACS);
    const spec = { a: 4 * A, b: 4 * B, c: 4 * C, scratch: 4 * S, m, n, k, transposeA, transposeB, accumulate };
    const run = (driver: typeof single) => {
      const call = driver(spec);
      return product(() => call(-0.25), m, k, n, accumulate, m * 7 + k * 3 + n, densities && [...densities]);
    };
    const want = run(single);
    expect(want.slice(-4)).toEqual(Array(4).fill(new Uint32Array(new Float32Array([12345]).buffer)[0]));
    const before = [stealing.stats(), helping.stats(), keeping.stats()];
    const stolen = run(matMulDriver(exports, stealing));
    const helped = run(matMulDriver(exports, helping));
    const kept = run(matMulDriver(exports, keeping));
    const either = run(matMulDriver(exports, auto));
    const delta = (h: Helper, s: HelperStats) => {
      const now = h.stats();
      return { posted: now.posted - s.posted, helped: now.helped - s.helped, stolen: now.stolen - s.stolen, kept: now.kept - s.kept };
    };
    // each path really was taken: one post, taken back; one post, run by the helper
    expect(delta(stealing, before[0])).toEqual({ posted: 1, helped: 0, stolen: 1, kept: 0 });
    expect(delta(helping, before[1])).toEqual({ posted: 1, helped: 1, stolen: 0, kept: 0 });
    expect(delta(keeping, before[2])).toEqual({ posted: 0, helped: 0, stolen: 0, kept: 1 });
    expect(stolen).toEqual(want);
    expect(helped).toEqual(want);
    expect(kept).toEqual(want);
    expect(either).toEqual(want);
  });

  it('a product whose halves keep being taken back keeps the next 1, 2, 4, … runs to itself, with the same bits', () => {
    const [m, k, n] = [64, 300, 90];
    const spec = { a: 4 * A, b: 4 * B, c: 4 * C, scratch: 4 * S, m, n, k, transposeA: false, transposeB: false, accumulate: false };
    const want = product(() => matMulDriver(exports, null)(spec)(), m, k, n, false, 5);
    const call = matMulDriver(exports, stealing)(spec);
    const s0 = stealing.stats();
    const posts: number[] = [];
    for (let run = 1; run <= 12; run++) {
      const before = stealing.stats().posted;
      expect(product(() => call(), m, k, n, false, 5)).toEqual(want);
      if (stealing.stats().posted > before) posts.push(run);
    }
    expect(posts).toEqual([1, 3, 6, 11]);
    const s = stealing.stats();
    expect([s.posted - s0.posted, s.stolen - s0.stolen, s.kept - s0.kept]).toEqual([4, 4, 8]);
  });

  it('left to itself (halves offered, claimed, taken back or kept as it goes), 300 runs give the same bits', () => {
    const [m, k, n] = [10, 784, 30];
    const spec = { a: 4 * A, b: 4 * B, c: 4 * C, scratch: 4 * S, m, n, k, transposeA: false, transposeB: false, accumulate: false };
    const want = product(() => matMulDriver(exports, null)(spec)(), m, k, n, false, 9);
    const call = matMulDriver(exports, auto)(spec);
    const s0 = auto.stats();
    for (let run = 0; run < 300; run++) expect(product(() => call(), m, k, n, false, 9)).toEqual(want);
    const s = auto.stats();
    expect(s.posted - s0.posted + s.kept - s0.kept).toBe(300);
    expect(s.helped - s0.helped + s.stolen - s0.stolen).toBe(s.posted - s0.posted);
  });

  it("a zero-skipping product's chunks of rows go to whichever thread claims them, with the same bits", () => {
    const [m, k, n] = [128, 784, 160];
    const spec = { a: 4 * A, b: 4 * B, c: 4 * C, scratch: 4 * S, m, n, k, transposeA: false, transposeB: false, accumulate: false };
    const want = product(() => matMulDriver(exports, null)(spec)(), m, k, n, false, 11, [0.2, 1]);
    const job = S + skippableSides(m, n, k, false, false, false).find((s) => s.side === 'A')!.jobAt;
    // chunks run by the caller's call and by the helper's (which the caller runs when it takes it back)
    const ran = () => Array.from(new Int32Array(memory.buffer, 4 * (job + JOB.RUN), 2));
    for (const h of [helping, stealing, auto]) {
      const call = matMulDriver(exports, h)(spec);
      let byHelper = 0;
      for (let run = 0; run < 20; run++) {
        const posted = h.stats().posted;
        expect(product(() => call(), m, k, n, false, 11, [0.2, 1])).toEqual(want);
        const [caller, helper] = ran();
        // every chunk once: 8 when offered to the helper, else one chunk of all the rows
        expect(caller + helper).toBe(h.stats().posted > posted ? 8 : 1);
        byHelper += helper;
      }
      if (h === helping) expect(byHelper).toBeGreaterThan(0); // the helper did share the work
    }
  });

  it('stands aside while other processes take the cores: the caller then runs every product alone', async () => {
    const [m, k, n] = [128, 256, 512]; // halves of ~0.3 ms, offered to an idle helper
    const spec = { a: 4 * A, b: 4 * B, c: 4 * C, scratch: 4 * S, m, n, k, transposeA: false, transposeB: false, accumulate: false };
    const want = product(() => matMulDriver(exports, null)(spec)(), m, k, n, false, 3);
    const h = helper({})!;
    const call = matMulDriver(exports, h)(spec);
    const hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    try {
      const deadline = Date.now() + 20_000;
      while (h.stats().busy === 0 && Date.now() < deadline) {
        expect(product(() => call(), m, k, n, false, 3)).toEqual(want);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(h.stats().busy).toBeGreaterThan(0);
      // standing aside now (it looks again every 100 ms, and the hogs still run): nothing offered
      const s0 = h.stats();
      for (let run = 0; run < 20; run++) expect(product(() => call(), m, k, n, false, 3)).toEqual(want);
      const s = h.stats();
      expect([s.posted - s0.posted, s.kept - s0.kept]).toEqual([0, 20]);
    } finally {
      hogs.forEach((p) => p.kill('SIGKILL'));
    }
  }, 30_000);

  it('judges the cores by what others do while it works, not while it slept: after a busy spell, it helps again at once', async () => {
    const [m, k, n] = [128, 256, 512];
    const spec = { a: 4 * A, b: 4 * B, c: 4 * C, scratch: 4 * S, m, n, k, transposeA: false, transposeB: false, accumulate: false };
    const want = product(() => matMulDriver(exports, null)(spec)(), m, k, n, false, 3);
    const h = helper({})!;
    const call = matMulDriver(exports, h)(spec);
    for (let run = 0; run < 5; run++) expect(product(() => call(), m, k, n, false, 3)).toEqual(want);
    await new Promise((r) => setTimeout(r, 300)); // the helper naps, then sleeps
    // Two processes take both cores for over a second while it sleeps, and are gone when work comes.
    const hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 1200);'], { stdio: 'ignore' }));
    await Promise.all(hogs.map((p) => new Promise((r) => p.on('exit', r))));
    const s0 = h.stats();
    for (let run = 0; run < 50; run++) expect(product(() => call(), m, k, n, false, 3)).toEqual(want);
    const s = h.stats();
    expect(s.busy - s0.busy).toBe(0);
    expect(s.helped - s0.helped).toBeGreaterThan(0);
  }, 30_000);

  it('refuses a hand-off it cannot carry', () => {
    const h = keeping.handoff();
    expect(() => h.queue('noSuchExport', 1)).toThrow(/cannot queue/);
    for (let i = 0; i < 4; i++) h.queue('packB', 0, 0, 0, 0, 1, 1); // four empty packings
    expect(() => h.queue('packB', 0, 0, 0, 0, 1, 1)).toThrow(/at most 4 calls/);
    h.post();
    h.finish();
  });
});
