/**
 * npm run bench:matmul — float32 matrix multiply through compiled programs (WebAssembly SIMD where
 * available), in the three forms training needs, GFLOP/s per shape. Results: bench/results/matmul.json.
 */
import b from 'benny';
import { writeDocBlock } from '../scripts/doc-blocks.ts';
import { gflopsTable } from './readme.ts';
import { mkdirSync } from 'node:fs';
import { compile, Device, Graph, wasmFeatures } from '../src/index.ts';

type Form = 'A·B' | 'A·Bᵀ' | 'Aᵀ·B';
const cases: [number, number, number, Form[]][] = [
  [10, 784, 30, ['A·B', 'A·Bᵀ', 'Aᵀ·B']],
  [128, 784, 800, ['A·B', 'A·Bᵀ', 'Aᵀ·B']],
  [512, 512, 512, ['A·B']],
  [1024, 1024, 1024, ['A·B']],
];

/** A program computing one m×k by k×n product in the given form, over random parameters. */
function product(m: number, k: number, n: number, form: Form, threads: boolean) {
  const g = new Graph({ seed: 1 });
  const a = form === 'Aᵀ·B' ? g.parameter('a', [k, m], 'glorotUniform') : g.parameter('a', [m, k], 'glorotUniform');
  const bb = form === 'A·Bᵀ' ? g.parameter('b', [n, k], 'glorotUniform') : g.parameter('b', [k, n], 'glorotUniform');
  const program = compile(g, { outputs: [a.matMul(bb, form === 'Aᵀ·B', form === 'A·Bᵀ')], device: new Device({ threads }) });
  program.run();
  return program;
}

mkdirSync('bench/results', { recursive: true });
const flops = new Map<string, number>();
/** GFLOP/s per entry, as measured. */
const measured = new Map<string, number>();
// One core, then two (products of at least 2¹⁷ multiply-adds are split with a helper thread).
const entries = [false, true].flatMap((threads) =>
  cases.flatMap(([m, k, n, forms]) =>
    forms.map((form) => {
      const name = `${form} ${m}x${k}x${n} ${threads ? '2 threads' : '1 thread'}`;
      flops.set(name, 2 * m * k * n);
      const program = product(m, k, n, form, threads);
      return b.add(name, () => {
        program.run();
      });
    }),
  ),
);

console.log(`WebAssembly SIMD: ${JSON.stringify(wasmFeatures())}`);
await b.suite(
  'float32 matMul',
  ...entries,
  b.cycle((result: { name: string; ops: number; margin: number }) => {
    const gflops = (result.ops * flops.get(result.name)!) / 1e9;
    measured.set(result.name, gflops);
    return `${result.name.padEnd(32)} ${gflops.toFixed(1).padStart(6)} GFLOP/s  (±${result.margin.toFixed(1)}%)`;
  }),
  b.save({ file: 'matmul', folder: 'bench/results', format: 'json', details: false }),
);

if (process.argv.includes('--readme')) writeDocBlock('docs/performance.md', 'bench-matmul', gflopsTable('matMul', measured));
