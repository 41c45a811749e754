/**
 * NaN and ±∞ in every lane position: the cases `test/ops/special-values.test.ts` checks and
 * `npm run special-values` prints as a table. Each case runs one op's kernels directly (feeds
 * refuse NaN, but graphs make it: log of a negative, 0/0), on the JS kernel in float64 and
 * float32 and on the wasm kernel in float32 where it has one, with one special value at position
 * p of n elements along the axis the wasm kernels walk four lanes at a time: p < n − n mod 4 is a
 * vector lane, the rest the scalar tail.
 */
import { createWasmMemory, kernelOf, wasmKernels, type FloatArray, type KernelContext, type WasmKernels } from '../backends/index.ts';
import type { Attrs } from '../core/ir.ts';
import { getOp } from '../ops/index.ts';

export const specialValues = [NaN, Infinity, -Infinity] as const;
/** Lane counts with every position in a vector lane and in the tail (n mod 4 = 0…3), and two vectors plus one. */
export const laneCounts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 17];

export type Run = 'js float64' | 'js float32' | 'wasm float32';
export const runs: readonly Run[] = ['js float64', 'js float32', 'wasm float32'];

/** What the documented rule says an output is: a number (NaN included), or any finite number. */
export type Expected = number | 'finite';

export interface SpecialCase {
  label: string;
  op: string;
  attrs?: Attrs;
  /** Input values and shapes for n lanes with v at lane position p (v null: the plain inputs). */
  inputs(n: number, p: number, v: number | null): { values: number[][]; shapes: number[][] };
  /** The output elements that read the special value. */
  reads(n: number, p: number): number[];
  /** What the rule gives at `reads`, given the plain inputs' values at p (the other operand of a binary op). */
  expected(v: number, n: number, p: number, plain: number[][]): Expected[];
}

/** Finite, non-zero, exact in float32, with both signs. */
const filler = (i: number) => [0.5, -1.25, 2, -0.75, 1.5, -2.5, 0.25, 3][i % 8];
const row = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => filler(i + offset));
const put = (values: number[], at: number, v: number | null) => (v === null ? values : values.map((x, i) => (i === at ? v : x)));

/** Each unary op's documented results at NaN, +∞, −∞. */
export const unaryRules: Record<string, readonly [number, number, number]> = {
  neg: [NaN, -Infinity, Infinity],
  exp: [NaN, Infinity, 0],
  log: [NaN, Infinity, NaN],
  sqrt: [NaN, Infinity, NaN],
  square: [NaN, Infinity, Infinity],
  abs: [NaN, Infinity, Infinity],
  sign: [NaN, 1, -1],
  step: [NaN, 1, 0],
  sigmoid: [NaN, 1, 0],
  tanh: [NaN, 1, -1],
  relu: [NaN, Infinity, 0],
  softplus: [NaN, Infinity, 0],
  softsign: [NaN, 1, -1],
};

const ruleOf = (rule: readonly [number, number, number], v: number) => rule[Number.isNaN(v) ? 0 : v > 0 ? 1 : 2];

function unaryCase(op: string, rule: readonly [number, number, number], attrs?: Attrs, label = op): SpecialCase {
  return {
    label,
    op,
    attrs,
    inputs: (n, p, v) => ({ values: [put(row(n), p, v)], shapes: [[n]] }),
    reads: (_, p) => [p],
    expected: (v) => [ruleOf(rule, v)],
  };
}

/** IEEE (and Math.pow) results, what the binary ops' docs promise. */
export const binaryRules: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  equal: (a, b) => (a === b ? 1 : 0),
  maximum: Math.max,
};

/** The rule is computed in float64; a float32 run is held against it rounded to float32. */
function binaryCases(op: string, f: (a: number, b: number) => number): SpecialCase[] {
  return [
    {
      label: `${op}, special a`,
      op,
      inputs: (n, p, v) => ({ values: [put(row(n), p, v), row(n, 3)], shapes: [[n], [n]] }),
      reads: (_, p) => [p],
      expected: (v, _n, p, [, b]) => [f(v, b[p])],
    },
    {
      label: `${op}, special b`,
      op,
      inputs: (n, p, v) => ({ values: [row(n, 3), put(row(n), p, v)], shapes: [[n], [n]] }),
      reads: (_, p) => [p],
      expected: (v, _n, p, [a]) => [f(a[p], v)],
    },
    {
      label: `${op}, special in a row added to every row`,
      op,
      inputs: (n, p, v) => ({ values: [row(2 * n, 5), put(row(n), p, v)], shapes: [[2, n], [n]] }),
      reads: (n, p) => [p, n + p],
      expected: (v, n, p, [a]) => [f(a[p], v), f(a[n + p], v)],
    },
  ];
}

type ReductionRule = (v: number, alone: boolean) => Expected;
const reductionRules: Record<string, ReductionRule> = {
  sum: (v) => v,
  max: (v, alone) => (v === -Infinity && !alone ? 'finite' : v),
  logSumExp: (v, alone) => (v === -Infinity && !alone ? 'finite' : v),
};

function reductionCases(op: string, rule: ReductionRule): SpecialCase[] {
  return [
    {
      // the wasm sum adds rows four lanes at a time: the special in every lane position of row 1
      label: `${op} over axis 0 of [3,n]`,
      op,
      attrs: { axes: 0, keepDims: false },
      inputs: (n, p, v) => ({ values: [put(row(3 * n), n + p, v)], shapes: [[3, n]] }),
      reads: (_, p) => [p],
      expected: (v) => [rule(v, false)],
    },
    {
      label: `${op} over axis 1 of [2,n]`,
      op,
      attrs: { axes: 1, keepDims: true },
      inputs: (n, p, v) => ({ values: [put(row(2 * n), n + p, v)], shapes: [[2, n]] }),
      reads: () => [1],
      expected: (v, n) => [rule(v, n === 1)],
    },
  ];
}

/** softmax and logSoftmax along the last axis of [2,n], the special in row 1. */
function softmaxCase(op: 'softmax' | 'logSoftmax'): SpecialCase {
  const zero = op === 'softmax' ? 0 : -Infinity;
  return {
    label: `${op} along the last axis`,
    op,
    attrs: { axis: -1 },
    inputs: (n, p, v) => ({ values: [put(row(2 * n), n + p, v)], shapes: [[2, n]] }),
    reads: (n) => Array.from({ length: n }, (_, j) => n + j),
    // NaN or +∞ (∞ − ∞ in the max shift): the row is NaN; −∞: probability 0 there, unless alone
    expected: (v, n, p) => Array.from({ length: n }, (_, j) => (v !== -Infinity || n === 1 ? NaN : j === p ? zero : 'finite')),
  };
}

/** Sparse softmaxCrossEntropy over [2,n] logits, labels [0, n − 1]: the special in row 1. */
const crossEntropyCase: SpecialCase = {
  label: 'softmaxCrossEntropy, class-id labels',
  op: 'softmaxCrossEntropy',
  inputs: (n, p, v) => ({ values: [put(row(2 * n), n + p, v), [0, n - 1]], shapes: [[2, n], [2]] }),
  reads: () => [1],
  // −∞ at the label: probability 0, loss +∞; elsewhere it drops out. A row all −∞ is NaN.
  expected: (v, n, p) => [v !== -Infinity || n === 1 ? NaN : p === n - 1 ? Infinity : 'finite'],
};

export function specialCases(): SpecialCase[] {
  return [
    ...Object.entries(unaryRules).map(([op, rule]) => unaryCase(op, rule)),
    unaryCase('step', [NaN, 1, -0.5], { alpha: -0.5 }, 'step, alpha −0.5'),
    unaryCase('cast', [NaN, Infinity, -Infinity], { dtype: 'float' }, 'cast to float'),
    ...Object.entries(binaryRules).flatMap(([op, f]) => binaryCases(op, f)),
    // dy·step(y) with no broadcasting: the first two of binaryCases
    ...binaryCases('reluGrad', (dy, y) => dy * (Number.isNaN(y) ? NaN : y > 0 ? 1 : 0)).slice(0, 2),
    ...Object.entries(reductionRules).flatMap(([op, rule]) => reductionCases(op, rule)),
    softmaxCase('softmax'),
    softmaxCase('logSoftmax'),
    crossEntropyCase,
  ];
}

let arena: { memory: WebAssembly.Memory; wasm: WasmKernels } | null | undefined;

/** One WebAssembly memory for every wasm run here (1 MiB: these inputs are small). */
function wasmArena() {
  if (arena === undefined) {
    const memory = createWasmMemory(16);
    const wasm = wasmKernels(memory);
    arena = wasm ? { memory, wasm } : null;
  }
  return arena;
}

const fail = (message: string): never => {
  throw new Error(message);
};

/**
 * Runs an op's kernel on `run` and returns its output, or null when that backend has no kernel
 * for the op and shapes (the plan would take the JS kernel).
 */
export function runKernel(op: string, run: Run, values: readonly (readonly number[])[], inputShapes: number[][], attrs: Attrs = {}): number[] | null {
  const outputShape = getOp(op).shape(inputShapes, attrs) as number[];
  const size = outputShape.reduce((a, b) => a * b, 1);
  const context = { inputShapes, outputShape, attrs };
  if (run === 'wasm float32') {
    const kernel = kernelOf(op, 'wasm');
    const where = wasmArena();
    if (!kernel || !where || !(kernel.supports?.(context) ?? true)) return null;
    let used = 0;
    const alloc = (n: number) => {
      const view = new Float32Array(where.memory.buffer, used, n);
      used += Math.ceil((n * 4) / 64) * 64 + 64;
      return view;
    };
    const inputs = values.map((v) => {
      const view = alloc(v.length);
      view.set(v);
      return view;
    });
    const output = alloc(size);
    kernel.run({ ...context, inputs, output, training: false, state: {}, scratch: new Float32Array(0), fail, wasm: where.wasm })();
    return Array.from(output);
  }
  const Float = run === 'js float64' ? Float64Array : Float32Array;
  const inputs: FloatArray[] = values.map((v) => Float.from(v));
  const output = new Float(size);
  const kernel = kernelOf(op, 'js')!;
  const ctx: KernelContext = { ...context, inputs, output, training: false, state: {}, scratch: new Float(kernel.scratch?.(context) ?? 0), fail };
  kernel.run(ctx)();
  return Array.from(output);
}

export type Kind = 'lanes' | 'tail' | 'js f32' | 'f64';
export const kinds: readonly Kind[] = ['lanes', 'tail', 'js f32', 'f64'];

export interface Observation {
  /** The rule's values at the special value's outputs, over every lane count and position. */
  rule: Set<string>;
  /** Per kernel kind: no run (the op has no wasm kernel), all runs as the rule says, or what differed. */
  kernels: Record<Kind, 'none' | 'as the rule' | Set<string>>;
}

const show = (x: Expected) => (x === 'finite' ? 'finite' : Number.isNaN(x) ? 'NaN' : x === Infinity ? '+∞' : x === -Infinity ? '−∞' : Number.isInteger(2 * x) ? String(x) : 'finite');

/** Whether `x` (from a run in `precision`) is what the rule says. */
export function asTheRule(x: number, e: Expected, float64: boolean): boolean {
  return e === 'finite' ? Number.isFinite(x) : Object.is(x, float64 ? e : Math.fround(e));
}

/** For the table: what each kernel gave where the special value was read, against the rule. */
export function observe(c: SpecialCase, v: number): Observation {
  const rule = new Set<string>();
  const seen = { lanes: 0, tail: 0, 'js f32': 0, f64: 0 };
  const differ: Record<Kind, Set<string>> = { lanes: new Set(), tail: new Set(), 'js f32': new Set(), f64: new Set() };
  const record = (kind: Kind, out: number[], reads: number[], expected: Expected[], float64: boolean) => {
    seen[kind]++;
    reads.forEach((i, k) => {
      if (!asTheRule(out[i], expected[k], float64)) differ[kind].add(show(out[i]));
    });
  };
  for (const n of laneCounts) {
    for (let p = 0; p < n; p++) {
      const { values, shapes } = c.inputs(n, p, v);
      const reads = c.reads(n, p);
      const expected = c.expected(v, n, p, c.inputs(n, p, null).values);
      for (const e of expected) rule.add(show(e));
      const wasm = runKernel(c.op, 'wasm float32', values, shapes, c.attrs);
      if (wasm) record(p < n - (n % 4) ? 'lanes' : 'tail', wasm, reads, expected, false);
      record('js f32', runKernel(c.op, 'js float32', values, shapes, c.attrs)!, reads, expected, false);
      record('f64', runKernel(c.op, 'js float64', values, shapes, c.attrs)!, reads, expected, true);
    }
  }
  const kernels = Object.fromEntries(kinds.map((k) => [k, seen[k] === 0 ? 'none' : differ[k].size === 0 ? 'as the rule' : differ[k]])) as Observation['kernels'];
  return { rule, kernels };
}
