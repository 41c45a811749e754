/**
 * One generator for every product on the GPU: matMul in its four transpose forms, batched
 * products, the fused dense and conv layers (bias and activation applied in the store), the
 * fused SGD step, and the convolutions as implicit GEMM (the operand read through the window
 * arithmetic, no im2col buffer). Each invocation computes a 4×4 block of the output in sixteen
 * named accumulators, K unrolled by two: straight-line code, which both emulators and GPU
 * compilers handle better than loops over private arrays. 8×8 invocations a workgroup.
 * When the output has few blocks and K is long (a filter gradient sums over every pixel of the
 * batch), K is split into slices whose partial products go to scratch and a second dispatch
 * adds them in a fixed order (no float atomics: the sum is the same every run).
 */
import type { GpuDispatch } from '../registry.ts';
import { perElement, prelude } from './wgsl.ts';

export interface GemmSpec {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Products in the batch (z of the grid), default 1. */
  readonly batch?: number;
  /**
   * WGSL before the K loop, per output row `r` (a u32, clamped to the last row): e.g. the
   * window's corner for a convolution. Variables it declares should end in the row's suffix
   * `${s}` (0–3) so that the four rows do not clash.
   */
  readonly rowSetup?: (r: string, s: number) => string;
  /** WGSL of op(A)[row, k] in batch item `b`; `s` is the row's suffix (0–3) as in rowSetup. */
  readonly loadA: (row: string, k: string, s: number) => string;
  /** WGSL of op(B)[k, col] in batch item `b`. */
  readonly loadB: (k: string, col: string) => string;
  /** WGSL storing `value` at output (row, col) of batch item `b`. */
  readonly store: (row: string, col: string, value: string) => string;
  /**
   * WGSL run once per K step, before the loads, given k: e.g. a convolution's tap from k.
   * Declarations must be `let` (fresh per step).
   */
  readonly kSetup?: (k: string) => string;
  /**
   * K as taps × channels (a convolution's window positions, then the channels at each): the
   * window arithmetic runs once per tap and row, and the inner loop is a plain walk over the
   * channels, instead of index arithmetic at every K step. Used when K is not split.
   */
  readonly taps?: Taps;
}

/** K = taps · channels, channels fastest (see GemmSpec.taps). */
export interface Taps {
  readonly count: number;
  readonly channels: number;
  /** WGSL per tap `t` (u32), before the rows: declarations loadB reads. */
  readonly setup?: (t: string) => string;
  /** WGSL per tap `t` and row suffix s: declares `ok${s}` (bool: the row reads this tap) and `at${s}` (u32: where channel 0 is). */
  readonly row: (t: string, s: number) => string;
  /** WGSL of op(A) at row suffix s, channel c. */
  readonly loadA: (s: number, c: string) => string;
  /** WGSL of op(B) at channel c of this tap, column `col`. */
  readonly loadB: (c: string, col: string) => string;
}

/** Output blocks below which K is split (to keep enough invocations busy). */
const FEW_BLOCKS = 1024;
/** K steps per loop iteration: 2 ran faster than 1 or 4 on llvmpipe and compiled in 60% of 4's time. */
const UNROLL = 2;

/** The dispatches of a product; `scratch` (elements) must hold `gemmScratch(spec)` when K is split. */
export function gemm(spec: GemmSpec, scratch = 0): GpuDispatch[] {
  const slices = splitOf(spec);
  if (slices === 1) return [product(spec, 1, null)];
  const { m, n } = spec;
  const partial = (row: string, col: string, value: string) => `m[${scratch}u + b * ${m * n}u + (${row}) * ${n}u + ${col}] = ${value};`;
  const sum = perElement(
    m * n,
    `  let row = i / ${n}u;
  let col = i % ${n}u;
  var acc = 0.0;
  for (var b = 0u; b < ${slices}u; b++) { acc += m[${scratch}u + b * ${m * n}u + i]; }
  let b = 0u;
  ${spec.store('row', 'col', 'acc')}`,
  );
  return [product(spec, slices, partial), sum];
}

/** Elements of scratch the product needs (its partial products when K is split). */
export function gemmScratch(spec: GemmSpec): number {
  const slices = splitOf(spec);
  return slices === 1 ? 0 : slices * spec.m * spec.n;
}

function splitOf({ m, n, k, batch = 1 }: GemmSpec): number {
  const blocks = Math.ceil(m / 4) * Math.ceil(n / 4) * batch;
  if (batch > 1 || blocks >= FEW_BLOCKS || k < 1024) return 1;
  // Slices of at least 256 along K, enough of them to make about FEW_BLOCKS blocks in all.
  return Math.max(1, Math.min(Math.floor(k / 256), Math.ceil(FEW_BLOCKS / blocks), 64));
}

/**
 * The tiled product. With `slices` > 1, grid z is the K slice (its partials stored by `partial`
 * into slice b's matrix); else z is the batch item b.
 */
function product(spec: GemmSpec, slices: number, partial: GemmSpec['store'] | null): GpuDispatch {
  const { m, n, k, batch = 1 } = spec;
  const store = partial ?? spec.store;
  const chunk = slices === 1 ? k : Math.ceil(k / slices / 4) * 4;
  const R = [0, 1, 2, 3];
  const step = (kk: string) => {
    const lines = [spec.kSetup ? `    { ${spec.kSetup(kk)}` : '    {'];
    for (const i of R) lines.push(`      let a${i} = ${spec.loadA(`r${i}`, kk, i)};`);
    for (const j of R) lines.push(`      let b${j} = ${spec.loadB(kk, `c${j}`)};`);
    for (const i of R) lines.push(`      ${R.map((j) => `acc${i}${j} = fma(a${i}, b${j}, acc${i}${j});`).join(' ')}`);
    lines.push('    }');
    return lines.join('\n');
  };
  const tapped = (c: string) => {
    const taps = spec.taps!;
    return [
      '    {',
      ...R.map((i) => `      let a${i} = ${taps.loadA(i, c)};`),
      ...R.map((j) => `      let b${j} = ${taps.loadB(c, `c${j}`)};`),
      ...R.map((i) => `      ${R.map((j) => `acc${i}${j} = fma(a${i}, b${j}, acc${i}${j});`).join(' ')}`),
      '    }',
    ].join('\n');
  };
  const kLoop =
    // Few channels a tap (a first layer's image) gain nothing from the split and pay its setup per tap.
    spec.taps && slices === 1 && spec.taps.channels >= 4
      ? `  for (var t = 0u; t < ${spec.taps.count}u + opaque; t++) {
${spec.taps.setup ? `    ${spec.taps.setup('t')}` : ''}
${R.map((i) => spec.taps!.row('t', i)).join('\n')}
    var ch = 0u;
    for (; ch + ${UNROLL}u <= ${spec.taps.channels}u + opaque; ch += ${UNROLL}u) {
${Array.from({ length: UNROLL }, (_, u) => tapped(u === 0 ? 'ch' : `(ch + ${u}u)`)).join('\n')}
    }
    for (; ch < ${spec.taps.channels}u + opaque; ch++) {
${tapped('ch')}
    }
  }`
      : `  var kk = kBegin;
  for (; kk + ${UNROLL}u <= kEnd; kk += ${UNROLL}u) {
${Array.from({ length: UNROLL }, (_, u) => step(u === 0 ? 'kk' : `(kk + ${u}u)`)).join('\n')}
  }
  for (; kk < kEnd; kk++) {
${step('kk')}
  }`;
  const code = `${prelude}
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  initSpecials(min(gid.x, 0u));
  let rowBlock = gid.y * 4u;
  let colBlock = gid.x * 4u;
  if (rowBlock >= ${m}u || colBlock >= ${n}u) { return; }
  let b = gid.z;
${R.map((i) => `  let r${i} = min(rowBlock + ${i}u, ${m - 1}u);`).join('\n')}
${R.map((j) => `  let c${j} = min(colBlock + ${j}u, ${n - 1}u);`).join('\n')}
${spec.rowSetup ? R.map((i) => spec.rowSetup!(`r${i}`, i)).join('\n') : ''}
${R.map((i) => `  var ${R.map((j) => `acc${i}${j} = 0.0`).join('; var ')};`).join('\n')}
  let kBegin = ${slices === 1 ? '0u' : `b * ${chunk}u`};
  // A bound the shader compiler cannot see (the memory is never empty): with a constant trip count
  // it unrolls the K loop whole, which took minutes of compiling (and a GPU process) for a conv.
  let opaque = select(0u, 1u, arrayLength(&m) == 0u);
  let kEnd = min(kBegin + ${chunk}u, ${k}u + opaque);
${kLoop}
${R.map((i) => R.map((j) => `  if (rowBlock + ${i}u < ${m}u && colBlock + ${j}u < ${n}u) { ${store(`r${i}`, `c${j}`, `acc${i}${j}`)} }`).join('\n')).join('\n')}
}
`;
  const z = slices === 1 ? batch : slices;
  const [x, y] = [Math.ceil(Math.ceil(n / 4) / 8), Math.ceil(Math.ceil(m / 4) / 8)];
  if (x > 65535 || y > 65535 || z > 65535) throw new RangeError(`a product of ${m}×${n} outputs needs more workgroups than WebGPU dispatches along one axis`);
  return { code, workgroups: [x, y, z] };
}
