import { describe, expect, it } from 'vitest';
import { compile, grad, Graph, Rng, ShapeError, type Tensor, type WindowOptions } from '../../src/index.ts';

/** Runs `f` on inputs fed with the given values and returns its values (float64 unless said). */
function run(f: (...xs: Tensor[]) => Tensor, feeds: [number[], Float64Array][], dtype: 'float64' | 'float32' = 'float64'): Float64Array {
  const g = new Graph();
  const xs = feeds.map(([shape], i) => g.input(`x${i}`, shape));
  const program = compile(g, { outputs: [f(...xs)], dtype });
  return Float64Array.from(program.run(Object.fromEntries(feeds.map(([, v], i) => [`x${i}`, v])))[0]);
}

const random = (n: number, seed: number) => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
};

/** Where TF.js puts the windows: the output size and the padding before, for one axis. */
function place(length: number, size: number, stride: number, dilation: number, padding: WindowOptions['padding'], axis: 0 | 1) {
  const span = (size - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(length / stride);
    return { out, before: Math.floor(Math.max(0, (out - 1) * stride + span - length) / 2) };
  }
  const [b, a] = padding === undefined || padding === 'valid' ? [0, 0] : padding[axis];
  return { out: Math.floor((length + b + a - span) / stride) + 1, before: b };
}

/** The textbook definition, one output element at a time: y[b,r,q,o] = Σ x[b, r·s − pad + i·d, …, c] · f[i,j,c,o]. */
function referenceConv(x: Float64Array, [n, h, w, c]: number[], f: Float64Array, [kh, kw, , oc]: number[], o: { strides: [number, number]; dilations: [number, number]; padding: WindowOptions['padding'] }) {
  const rows = place(h, kh, o.strides[0], o.dilations[0], o.padding, 0);
  const cols = place(w, kw, o.strides[1], o.dilations[1], o.padding, 1);
  const y: number[] = [];
  for (let b = 0; b < n; b++)
    for (let r = 0; r < rows.out; r++)
      for (let q = 0; q < cols.out; q++)
        for (let k = 0; k < oc; k++) {
          let s = 0;
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const yy = r * o.strides[0] - rows.before + i * o.dilations[0];
              const xx = q * o.strides[1] - cols.before + j * o.dilations[1];
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              for (let ch = 0; ch < c; ch++) s += x[((b * h + yy) * w + xx) * c + ch] * f[((i * kw + j) * c + ch) * oc + k];
            }
          y.push(s);
        }
  return { y, shape: [n, rows.out, cols.out, oc] };
}

function referencePool(kind: 'max' | 'avg', x: Float64Array, [n, h, w, c]: number[], [ph, pw]: number[], o: { strides: [number, number]; dilations: [number, number]; padding: WindowOptions['padding'] }) {
  const rows = place(h, ph, o.strides[0], o.dilations[0], o.padding, 0);
  const cols = place(w, pw, o.strides[1], o.dilations[1], o.padding, 1);
  const y: number[] = [];
  for (let b = 0; b < n; b++)
    for (let r = 0; r < rows.out; r++)
      for (let q = 0; q < cols.out; q++)
        for (let ch = 0; ch < c; ch++) {
          const inside: number[] = [];
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++) {
              const yy = r * o.strides[0] - rows.before + i * o.dilations[0];
              const xx = q * o.strides[1] - cols.before + j * o.dilations[1];
              if (yy >= 0 && yy < h && xx >= 0 && xx < w) inside.push(x[((b * h + yy) * w + xx) * c + ch]);
            }
          y.push(kind === 'max' ? Math.max(...inside) : inside.reduce((a, v) => a + v, 0) / inside.length);
        }
  return y;
}

const configs: { label: string; strides: [number, number]; dilations: [number, number]; padding: WindowOptions['padding'] }[] = [
  { label: 'valid', strides: [1, 1], dilations: [1, 1], padding: 'valid' },
  { label: 'same, strides 2', strides: [2, 2], dilations: [1, 1], padding: 'same' },
  { label: 'same, strides [1,3], odd padding', strides: [1, 3], dilations: [1, 1], padding: 'same' },
  { label: 'explicit [[2,0],[1,1]], strides [2,1]', strides: [2, 1], dilations: [1, 1], padding: [[2, 0], [1, 1]] },
  { label: 'dilations [2,3], valid', strides: [1, 1], dilations: [2, 3], padding: 'valid' },
  { label: 'dilations 2, same, strides 2', strides: [2, 2], dilations: [2, 2], padding: 'same' },
];

describe('conv2d (NHWC, filters [kh,kw,in,out])', () => {
  it('adds up a 2x2 window exactly', () => {
    // 1x3x3x1 image 1..9, a 2x2 filter of ones: each output is the sum of its window.
    const y = run((x, f) => x.conv2d(f), [
      [[1, 3, 3, 1], Float64Array.from({ length: 9 }, (_, i) => i + 1)],
      [[2, 2, 1, 1], Float64Array.of(1, 1, 1, 1)],
    ]);
    expect([...y]).toEqual([12, 16, 24, 28]);
  });

  it.each(configs)('agrees with the textbook sum, $label (float64 to 1e-12, float32 to 1e-5)', (o) => {
    const xs = [2, 7, 8, 3];
    const fs = [3, 2, 3, 5];
    const x = random(2 * 7 * 8 * 3, 1);
    const f = random(3 * 2 * 3 * 5, 2);
    const expected = referenceConv(x, xs, f, fs, o);
    const g = new Graph();
    expect(g.input('x', xs).conv2d(g.input('f', fs), o).shape).toEqual(expected.shape);
    for (const [dtype, digits] of [['float64', 12], ['float32', 5]] as const) {
      const y = run((a, b) => a.conv2d(b, o), [[xs, x], [fs, f]], dtype);
      expect([...y].map((v, i) => Math.abs(v - expected.y[i]))).toEqual(expected.y.map(() => expect.closeTo(0, digits)));
    }
  });

  it('has as gradients the ops conv2dBackpropInput and conv2dBackpropFilter, exact on a tiny case', () => {
    const g = new Graph();
    const x = g.input('x', [1, 3, 3, 1]);
    const f = g.input('f', [2, 2, 1, 1]);
    const [dx, df] = grad(x.conv2d(f).sum(), [x, f]);
    expect([dx.node.op, df.node.op]).toEqual(['conv2dBackpropInput', 'conv2dBackpropFilter']);
    const [gx, gf] = compile(g, { outputs: [dx, df], dtype: 'float64' }).run({ x: [1, 2, 3, 4, 5, 6, 7, 8, 9], f: [1, 2, 3, 4] });
    // dx: how many windows read each pixel, weighted by the tap; df: the sum of the pixels each tap reads.
    expect([...gx]).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
    expect([...gf]).toEqual([12, 16, 24, 28]);
  });

  it('makes NaN in a window a NaN output and leaves the other outputs finite', () => {
    const x = Float64Array.from({ length: 16 }, (_, i) => i);
    x[0] = -1; // √−1: a NaN in the top-left pixel, which only the first 2x2 window reads
    const y = run((a, f) => a.sqrt().conv2d(f, { strides: 2 }), [
      [[1, 4, 4, 1], x],
      [[2, 2, 1, 1], Float64Array.of(0, 1, 1, 0)], // a zero tap on the NaN still makes NaN
    ]);
    // outputs read x[2r][2q+1] + x[2r+1][2q]
    expect([...y]).toEqual([NaN, Math.sqrt(3) + Math.sqrt(6), Math.sqrt(9) + Math.sqrt(12), Math.sqrt(11) + Math.sqrt(14)]);
  });

  it('names the op, the shapes and what is wrong', () => {
    const g = new Graph();
    const x = g.input('x', [null, 28, 28, 1]);
    expect(() => x.conv2d(g.input('f', [5, 5, 3, 8]))).toThrow(ShapeError);
    expect(() => x.conv2d(g.input('f2', [5, 5, 3, 8]))).toThrow(/conv2d: the filter takes 3 input channels, the image has 1; input shapes \[null,28,28,1\], \[5,5,3,8\]/);
    expect(() => g.input('v', [null, 784]).conv2d(g.input('f3', [5, 5, 1, 8]))).toThrow(/x must be \[batch, height, width, channels\]/);
    expect(() => x.conv2d(g.input('f4', [30, 5, 1, 8]))).toThrow(/a window spanning 30 does not fit in 28 rows/);
    expect(() => x.conv2d(g.input('f5', [5, 5, 1, 8]), { padding: 'full' as never })).toThrow(/padding must be 'valid', 'same' or \[\[top, bottom\], \[left, right\]\]/);
    expect(() => x.conv2d(g.input('f6', [5, 5, 1, 8]), { strides: 0 })).toThrow(/strides must be two whole numbers ≥ 1/);
    expect(x.conv2d(g.input('f7', [5, 5, 1, 8]), { padding: 'same', strides: 2 }).shape).toEqual([null, 14, 14, 8]);
  });
});

describe('maxPool2d and avgPool2d (NHWC, per channel, padding ignored)', () => {
  it('pools 2x2 windows exactly', () => {
    const x = Float64Array.from({ length: 16 }, (_, i) => i);
    expect([...run((a) => a.maxPool2d(2), [[[1, 4, 4, 1], x]])]).toEqual([5, 7, 13, 15]);
    expect([...run((a) => a.avgPool2d(2), [[[1, 4, 4, 1], x]])]).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it.each(configs)('agrees with the textbook maximum and mean, 3x2 windows, $label', (o) => {
    const shape = [2, 7, 8, 3];
    const x = random(2 * 7 * 8 * 3, 3);
    for (const kind of ['max', 'avg'] as const) {
      const expected = referencePool(kind, x, shape, [3, 2], o);
      const y = run((a) => (kind === 'max' ? a.maxPool2d([3, 2], o) : a.avgPool2d([3, 2], o)), [[shape, x]]);
      expect([...y].map((v, i) => v - expected[i])).toEqual(expected.map(() => expect.closeTo(0, 12)));
    }
  });

  it('averages over the pixels inside the image only (TF.js), and strides default to the pool size', () => {
    // 'same' 3x3 over a 2x2 image of ones: every window holds only ones, whatever it overlaps.
    expect([...run((a) => a.avgPool2d(3, { strides: 1, padding: 'same' }), [[[1, 2, 2, 1], Float64Array.of(1, 1, 1, 1)]])]).toEqual([1, 1, 1, 1]);
    const g = new Graph();
    expect(g.input('x', [null, 24, 24, 20]).maxPool2d(2).shape).toEqual([null, 12, 12, 20]);
    expect(() => g.input('y', [1, 4, 4, 1]).avgPool2d(2, { padding: [[0, 0], [0, 2]] })).toThrow(/avgPool2d: padding 2 after the columns leaves windows wholly outside the image/);
  });

  it('shares the max gradient among ties (dy/k each) and makes a NaN window NaN', () => {
    const g = new Graph();
    const x = g.input('x', [1, 2, 2, 1]);
    const y = x.maxPool2d(2);
    const [dx] = grad(y.sum(), [x]);
    const program = compile(g, { outputs: [y, dx], dtype: 'float64' });
    const [value, gradient] = program.run({ x: [3, 1, 3, 2] });
    expect([...value]).toEqual([3]);
    expect([...gradient]).toEqual([0.5, 0, 0.5, 0]);
    const nan = run((a) => a.log().maxPool2d(2), [[[1, 2, 4, 1], Float64Array.of(1, 2, 3, -1, 1, 2, 3, 4)]]);
    expect([...nan].map(Number.isNaN)).toEqual([false, true]);
  });
});

describe('matMul over a leading batch dimension (batchMatMul)', () => {
  it('multiplies each batch item, in every transpose form, a rank-2 side shared', () => {
    const a = random(2 * 3 * 4, 5);
    const b = random(2 * 4 * 5, 6);
    const w = random(4 * 5, 7);
    // item i of a·b from a plain triple loop
    const product = (x: Float64Array, y: Float64Array, i: number, sharedB: boolean) =>
      Array.from({ length: 15 }, (_, e) => {
        const [r, c] = [Math.floor(e / 5), e % 5];
        let s = 0;
        for (let p = 0; p < 4; p++) s += x[i * 12 + r * 4 + p] * y[(sharedB ? 0 : i * 20) + p * 5 + c];
        return s;
      });
    const expected = [...product(a, b, 0, false), ...product(a, b, 1, false)];
    const close = (ys: Float64Array, want: number[]) => expect([...ys].map((v, i) => v - want[i])).toEqual(want.map(() => expect.closeTo(0, 12)));
    close(run((x, y) => x.matMul(y), [[[2, 3, 4], a], [[2, 4, 5], b]]), expected);
    const t = (v: Float64Array, rows: number, cols: number) => Float64Array.from({ length: v.length }, (_, e) => {
      const item = Math.floor(e / (rows * cols));
      const [c, r] = [Math.floor((e % (rows * cols)) / rows), e % rows];
      return v[item * rows * cols + r * cols + c];
    });
    close(run((x, y) => x.matMul(y, true, true), [[[2, 4, 3], t(a, 3, 4)], [[2, 5, 4], t(b, 4, 5)]]), expected);
    close(run((x, y) => x.matMul(y), [[[2, 3, 4], a], [[4, 5], w]]), [...product(a, w, 0, true), ...product(a, w, 1, true)]);
    const g = new Graph();
    expect(g.input('q', [null, 7, 16]).matMul(g.input('k', [null, 7, 16]), false, true).shape).toEqual([null, 7, 7]);
    expect(() => g.input('p', [2, 7, 16]).matMul(g.input('r', [3, 16, 4]))).toThrow(/batchMatMul: batch sizes differ: 2 and 3/);
  });
});
