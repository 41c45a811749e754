import { describe, expect, it } from 'vitest';
import { compile, getOp, Graph, listOps } from '../../src/index.ts';
import { laneCounts, runKernel, runs, specialCases, specialValues, type SpecialCase } from '../../src/testing/special-values.ts';

const name = (v: number) => (Number.isNaN(v) ? 'NaN' : v > 0 ? '+∞' : '−∞');

/**
 * Every kernel of the op (JS float64 and float32, wasm float32 where it has one) gives the
 * documented value wherever the special value sits, and leaves the outputs that do not read it
 * exactly as they are without it.
 */
function checkEveryPosition(c: SpecialCase, v: number) {
  let checked = 0;
  for (const n of laneCounts) {
    for (let p = 0; p < n; p++) {
      const special = c.inputs(n, p, v);
      const plain = c.inputs(n, p, null);
      const expected = c.expected(v, n, p, plain.values);
      const reads = c.reads(n, p);
      for (const run of runs) {
        const out = runKernel(c.op, run, special.values, special.shapes, c.attrs);
        if (out === null) continue;
        const without = runKernel(c.op, run, plain.values, plain.shapes, c.attrs)!;
        const at = `${run}, n = ${n}, position ${p}`;
        reads.forEach((i, k) => {
          const e = expected[k];
          if (e === 'finite') expect(Number.isFinite(out[i]), `${at}: output ${i} is ${out[i]}`).toBe(true);
          else expect(out[i], `${at}: output ${i}`).toBe(run === 'js float64' ? e : Math.fround(e));
        });
        out.forEach((x, i) => {
          if (!reads.includes(i)) expect(x, `${at}: output ${i} does not read the special value`).toBe(without[i]);
        });
        checked++;
      }
    }
  }
  return checked;
}

describe('NaN and ±∞ in every lane position: one rule per op, in every kernel', () => {
  for (const c of specialCases()) {
    it.each(specialValues.map((v) => [name(v), v]))(`${c.label}: %s`, (_, v) => {
      expect(checkEveryPosition(c, v)).toBeGreaterThan(0);
    });
  }

  it('covers every elementwise op, reduction and class-axis op, and each doc states its NaN rule', () => {
    const tested = new Set(specialCases().map((c) => c.op));
    const built = listOps().filter((op) => op.traits?.includes('elementwise') && !['dropoutMask', 'subScaledMatMul'].includes(op.name));
    const expected = [...built.map((op) => op.name), 'sum', 'max', 'logSumExp', 'softmax', 'logSoftmax', 'softmaxCrossEntropy'];
    expect(expected.filter((op) => !tested.has(op))).toEqual([]);
    for (const op of expected) expect(getOp(op).doc, op).toMatch(/NaN/);
  });

  it('runs the wasm kernels where they exist (the lanes are really tested)', () => {
    const withWasm = specialCases().filter((c) => {
      const { values, shapes } = c.inputs(8, 0, null);
      return runKernel(c.op, 'wasm float32', values, shapes, c.attrs) !== null;
    });
    expect(withWasm.map((c) => c.label)).toEqual(
      expect.arrayContaining(['relu', 'step', 'softsign', 'exp', 'sigmoid', 'neg', 'abs', 'sqrt', 'square', 'add, special a', 'div, special b', 'mul, special in a row added to every row', 'sum over axis 0 of [3,n]', 'softmaxCrossEntropy, class-id labels']),
    );
  });

  it('relu keeps NaN in float32 and float64 alike, at any position ([NaN,−1,0,1,2,NaN])', () => {
    const g = new Graph();
    const x = g.constant([NaN, -1, 0, 1, 2, NaN]);
    for (const dtype of ['float32', 'float64'] as const) {
      expect(Array.from(compile(g, { outputs: [x.relu()], dtype }).run()[0])).toEqual([NaN, 0, 0, 1, 2, NaN]);
    }
  });
});

describe('NaN and ±∞ through composed and fused ops', () => {
  /** Runs `f` on a constant row with `v` at `p`, in both precisions. */
  function both(n: number, p: number, v: number, f: (x: ReturnType<Graph['constant']>) => ReturnType<Graph['constant']>) {
    const g = new Graph();
    const x = g.constant(Array.from({ length: n }, (_, i) => (i === p ? v : 1 + (i % 3))), [1, n]);
    const out = f(x);
    return (['float32', 'float64'] as const).map((dtype) => Array.from(compile(g, { outputs: [out], dtype }).run()[0]));
  }

  it('min and mean propagate NaN; ±∞ as IEEE', () => {
    for (const n of [1, 5, 8]) {
      for (let p = 0; p < n; p++) {
        for (const r of both(n, p, NaN, (x) => x.min(1).add(x.mean(1)))) expect(r).toEqual([NaN]);
        for (const r of both(n, p, Infinity, (x) => x.mean(1))) expect(r).toEqual([Infinity]);
        for (const r of both(n, p, -Infinity, (x) => x.min(1))) expect(r).toEqual([-Infinity]);
      }
    }
  });

  it('a fused dense layer (matMul + bias + relu or sigmoid) keeps NaN in every column', () => {
    for (const n of [1, 3, 4, 5, 9]) {
      for (let p = 0; p < n; p++) {
        for (const [activation, atInf, atNegInf] of [['relu', Infinity, 0], ['sigmoid', 1, 0]] as const) {
          for (const [v, want] of [[NaN, NaN], [Infinity, atInf], [-Infinity, atNegInf]]) {
            const g = new Graph();
            const x = g.input('x', [null, 2]);
            const w = g.constant(Array.from({ length: 2 * n }, (_, i) => 0.25 * (i % 3)), [2, n]);
            const b = g.constant(Array.from({ length: n }, (_, i) => (i === p ? v : 0.5)), [n]);
            const y = x.matMul(w).add(b)[activation]();
            for (const dtype of ['float32', 'float64'] as const) {
              const program = compile(g, { outputs: [y], dtype });
              const out = program.run({ x: [1, 2, 3, 4, 5, 6] })[0];
              expect(program.stats.steps).toBe(1); // the fused op
              for (let r = 0; r < 3; r++) expect(out[r * n + p], `${activation} ${dtype} n ${n} p ${p} v ${v}`).toBe(want);
            }
          }
        }
      }
    }
  });
});
