/**
 * npm run bench:sparse — where skipping zeros pays: ms of each product of W2 and W3 dense and
 * zero-skipping (matmul-driver.ts, skipZeros 'never' and 'always'), on one thread, with op(A) at
 * densities from 5% to 70% of nonzeros (MNIST's pixels: about 19%; a ReLU layer: about 50%).
 * Zeros are placed at random, the worst case for gemmSparse's skipping of zero groups (real
 * images cluster them). Prints, per shape, the ratio skipping/dense at each density, the density
 * where they cross, and densityLimit(n), the limit the driver applies for the shape's N.
 *
 *   npm run bench:sparse [-- --threads]      (--threads: with the helper thread)
 */
import { loadavg } from 'node:os';
import { createWasmMemory, wasmKernels } from '../src/backends/index.ts';
import { densityLimit, matMulScratch, sparseLayout, type MatMulSpec } from '../src/backends/wasm/matmul-driver.ts';
import { Rng } from '../src/index.ts';

const threads = process.argv.includes('--threads');
const shapes: { name: string; m: number; k: number; n: number; transposeA: boolean; accumulate: boolean }[] = [
  { name: 'W2 x·W1', m: 128, k: 784, n: 800, transposeA: false, accumulate: false },
  { name: 'W2 W1 − η·xᵀ·δ', m: 784, k: 128, n: 800, transposeA: true, accumulate: true },
  { name: 'W3 dense h·W3', m: 64, k: 640, n: 100, transposeA: false, accumulate: false },
  { name: 'W3 W3 − η·hᵀ·δ', m: 640, k: 64, n: 100, transposeA: true, accumulate: true },
  { name: 'W3 conv1 windows·f', m: 36864, k: 25, n: 20, transposeA: false, accumulate: false },
  { name: 'W3 conv1 windowsᵀ·dy', m: 25, k: 36864, n: 20, transposeA: true, accumulate: true },
  { name: 'W3 conv2 windows·f', m: 2048, k: 500, n: 40, transposeA: false, accumulate: false },
  { name: 'W3 conv2 windowsᵀ·dy', m: 500, k: 2048, n: 40, transposeA: true, accumulate: true },
];
const densities = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7];

const memory = createWasmMemory(4096, threads); // 256 MiB
const wasm = wasmKernels(memory, { threads })!;
const f32 = new Float32Array(memory.buffer);
const rng = new Rng(1);

/** Median ms of `fn` over runs filling about 0.3 s. */
function time(fn: () => void): number {
  fn();
  let start = performance.now();
  fn();
  const once = Math.max(performance.now() - start, 0.01);
  const runs = Math.max(5, Math.min(200, Math.round(300 / once)));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}

console.log(`zero-skipping vs dense products, ${threads ? 'two threads' : 'one thread'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${'product (m×k×n)'.padEnd(40)} ${'dense ms'.padStart(9)}  skipping/dense at density ${densities.map((d) => `${Math.round(d * 100)}%`.padStart(6)).join('')}   crosses  limit`);
for (const { name, m, k, n, transposeA, accumulate } of shapes) {
  const [a, b, c] = [0, 4 * m * k + 64, 4 * (m * k + k * n) + 128].map((x) => Math.ceil(x / 64) * 64);
  const scratch = Math.ceil((c + 4 * m * n + 64) / 64) * 64;
  const floats = Math.max(matMulScratch(m, n, k, transposeA, false, accumulate), sparseLayout(m, k, 1).floats);
  if (scratch / 4 + floats > f32.length) throw new Error(`${name}: needs more memory`);
  for (let i = 0; i < k * n; i++) f32[b / 4 + i] = rng.normal();
  const spec = (skipZeros: MatMulSpec['skipZeros']) => wasm.matMul({ a, b, c, scratch, m, n, k, transposeA, transposeB: false, accumulate, skipZeros });
  const [dense, skipping] = [spec('never'), spec('always')];
  const alpha = 1; // conv's filter gradient accumulates with 1; the updates with −η (the same work)
  const ratios = densities.map((density) => {
    for (let i = 0; i < m * k; i++) f32[a / 4 + i] = rng.uniform() < density ? rng.normal() : 0;
    return [time(() => dense(alpha)), time(() => skipping(alpha))];
  });
  const denseMs = ratios.reduce((s, [d]) => s + d, 0) / ratios.length;
  const ratio = ratios.map(([d, s]) => s / d);
  const cross = ratio.findIndex((r) => r >= 1);
  const crosses = cross < 0 ? `> ${densities.at(-1)! * 100}%` : cross === 0 ? `< ${densities[0] * 100}%` : `${Math.round(100 * (densities[cross - 1] + ((1 - ratio[cross - 1]) / (ratio[cross] - ratio[cross - 1])) * (densities[cross] - densities[cross - 1])))}%`;
  console.log(`${`${name} (${m}×${k}×${n})`.padEnd(40)} ${denseMs.toFixed(3).padStart(9)}  ${''.padEnd(26)}${ratio.map((r) => r.toFixed(2).padStart(6)).join('')}   ${crosses.padStart(7)}  ${Math.round(100 * densityLimit(n))}%`);
}
process.exit(0);
