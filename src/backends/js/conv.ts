/**
 * Convolution and pooling in plain JS, NHWC. A convolution is lowered onto matrix products, one
 * image at a time: im2col copies the image's windows into the rows of a scratch matrix
 * cols [oh·ow, kh·kw·in] (zeros for padding), then y = cols · filter (the filter [kh,kw,in,out]
 * is already that matrix). The input gradient is dcols = dy · filterᵀ scattered back (col2im);
 * the filter gradient Σ over images of colsᵀ · dy.
 * The products here multiply every term (no skipping of zeros), so a NaN always propagates.
 * Pooling walks a table of the in-image pixels of each window, made once per plan.
 */
import {
  avgPool2d,
  avgPool2dGrad,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  maxPool2d,
  maxPool2dGrad,
  maxPool2dGradGrad,
  convGeometry as geometry,
  placement,
  type ConvGeometry,
  type PoolAttrs,
  type WindowAttrs,
} from '../../ops/conv.ts';
import { conv2dBiasActivation } from '../../ops/fused.ts';
import { registerKernel, type FloatArray, type KernelContext, type ShapeContext } from '../registry.ts';
import { relu, sigmoid } from './elementwise.ts';

export { convGeometry as geometry, type ConvGeometry } from '../../ops/conv.ts';

/** Scratch for one image's windows: a row per output pixel, a column per filter tap and input channel. */
export const colsSize = (c: ConvGeometry) => c.oh * c.ow * taps(c);
export const taps = (c: ConvGeometry) => c.kh * c.kw * c.inC;
export const pixels = (c: ConvGeometry) => c.oh * c.ow;

/**
 * im2col and its adjoint in one walk over every (window, tap) of image b: `gather` copies each
 * tap's inC values of the image into its row of cols (zeros for a tap in the padding); else the
 * rows of cols are added back into the image where they came from. Plain loops (this is the hot
 * part of a convolution outside the products).
 */
function walkTaps(c: ConvGeometry, b: number, image: FloatArray, cols: FloatArray, gather: boolean): void {
  const { h, w, inC, kh, kw, oh, ow, top, left } = c;
  const [sh, sw] = c.attrs.strides;
  const [dh, dw] = c.attrs.dilations;
  let at = 0;
  for (let r = 0; r < oh; r++) {
    for (let q = 0; q < ow; q++) {
      for (let i = 0; i < kh; i++) {
        const y = r * sh - top + i * dh;
        const rowInside = y >= 0 && y < h;
        const row = (b * h + y) * w;
        for (let j = 0; j < kw; j++, at += inC) {
          const x = q * sw - left + j * dw;
          if (!rowInside || x < 0 || x >= w) {
            if (gather) cols.fill(0, at, at + inC);
            continue;
          }
          const from = (row + x) * inC;
          if (gather) for (let k = 0; k < inC; k++) cols[at + k] = image[from + k];
          else for (let k = 0; k < inC; k++) image[from + k] += cols[at + k];
        }
      }
    }
  }
}

/** Copies the windows of image b into the rows of cols. */
export function im2col(c: ConvGeometry, b: number, image: FloatArray, cols: FloatArray): void {
  walkTaps(c, b, image, cols, true);
}

/** The adjoint of im2col: adds the rows of cols back into image b where they were copied from. */
export function col2im(c: ConvGeometry, b: number, cols: FloatArray, image: FloatArray): void {
  walkTaps(c, b, image, cols, false);
}

// The products take four terms of the inner dimension per pass over a row of c (or four dot
// products per pass over a row of a): a quarter of the loads and stores of the plain loops. Every
// term is multiplied (no zero is skipped), so a NaN always reaches the result.

/** c[m×n] = a[m×k] · b[k×n]. */
function productNN(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    let p = 0;
    for (; p < k4; p += 4) {
      const a0 = a[ai + p], a1 = a[ai + p + 1], a2 = a[ai + p + 2], a3 = a[ai + p + 3];
      const b0 = p * n;
      const b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
    for (; p < k; p++) {
      const aip = a[ai + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
}

/** c[m×n] = a[m×k] · b[n×k]ᵀ. */
function productNT(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number): void {
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    const ci = i * n;
    let j = 0;
    for (; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const v = a[ai + p];
        s0 += v * b[b0 + p];
        s1 += v * b[b1 + p];
        s2 += v * b[b2 + p];
        s3 += v * b[b3 + p];
      }
      c[ci + j] = s0;
      c[ci + j + 1] = s1;
      c[ci + j + 2] = s2;
      c[ci + j + 3] = s3;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      c[ci + j] = s;
    }
  }
}

/** c[m×n] += a[k×m]ᵀ · b[k×n]. */
function addProductTN(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number): void {
  const k4 = k - (k % 4);
  let p = 0;
  for (; p < k4; p += 4) {
    const b0 = p * n;
    const b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let i = 0; i < m; i++) {
      const a0 = a[p * m + i], a1 = a[(p + 1) * m + i], a2 = a[(p + 2) * m + i], a3 = a[(p + 3) * m + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
  }
  for (; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[ap + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += api * b[bp + j];
    }
  }
}

/** A convolution's output (or its gradient) [n, oh, ow, out] as one [oh·ow, out] matrix per image. */
const perImage = (t: FloatArray, c: ConvGeometry) => Array.from({ length: c.n }, (_, b) => t.subarray(b * pixels(c) * c.outC, (b + 1) * pixels(c) * c.outC));

// Each kernel works one image at a time, so the windows' scratch stays small (and in cache).
export const forward = ({ inputShapes: [x, f], attrs }: ShapeContext<WindowAttrs>) => geometry(x, f[0], f[1], f[3], attrs);
registerKernel(conv2d, 'js', {
  scratch: (ctx) => colsSize(forward(ctx)),
  run: (ctx) => convolve(ctx, forward(ctx)),
});

/** The forward convolution into ctx.output, calling `after(y)` on each image's part of it. */
function convolve(ctx: KernelContext<WindowAttrs>, c: ConvGeometry, after?: (y: FloatArray) => void): () => void {
  const [image, filter] = ctx.inputs;
  const cols = ctx.scratch;
  const rows = pixels(c);
  const outputs = perImage(ctx.output, c);
  return () => {
    for (let b = 0; b < c.n; b++) {
      im2col(c, b, image, cols);
      productNN(cols, filter, outputs[b], rows, taps(c), c.outC);
      after?.(outputs[b]);
    }
  };
}

const activations = { linear: (x: number) => x, relu, sigmoid };

registerKernel(conv2dBiasActivation, 'js', {
  scratch: (ctx) => colsSize(forward(ctx)),
  run: (ctx) => {
    const { activation } = ctx.attrs;
    const f = activations[activation];
    const bias = ctx.inputs[2];
    const channels = bias.length;
    return convolve(ctx, forward(ctx), (y) => {
      for (let i = 0; i < y.length; i += channels) {
        for (let j = 0; j < channels; j++) {
          // Stored between the two steps so float32 rounds as the unfused add then activation do.
          y[i + j] = y[i + j] + bias[j];
          y[i + j] = f(y[i + j]);
        }
      }
    });
  },
});

export const backInput = ({ inputShapes: [dy, f], attrs }: ShapeContext<WindowAttrs & { inputSize: readonly [number, number] }>) =>
  geometry([dy[0], ...attrs.inputSize, f[2]], f[0], f[1], f[3], attrs);
registerKernel(conv2dBackpropInput, 'js', {
  scratch: (ctx) => colsSize(backInput(ctx)),
  run: (ctx) => {
    const c = backInput(ctx);
    const [dy, filter] = ctx.inputs;
    const cols = ctx.scratch;
    const rows = pixels(c);
    const dys = perImage(dy, c);
    return () => {
      ctx.output.fill(0);
      for (let b = 0; b < c.n; b++) {
        productNT(dys[b], filter, cols, rows, c.outC, taps(c));
        col2im(c, b, cols, ctx.output);
      }
    };
  },
});

export const backFilter = ({ inputShapes: [x, dy], attrs }: ShapeContext<WindowAttrs & { filterSize: readonly [number, number] }>) =>
  geometry(x, attrs.filterSize[0], attrs.filterSize[1], dy[3], attrs);
registerKernel(conv2dBackpropFilter, 'js', {
  scratch: (ctx) => colsSize(backFilter(ctx)),
  run: (ctx) => {
    const c = backFilter(ctx);
    const [image, dy] = ctx.inputs;
    const cols = ctx.scratch;
    const rows = pixels(c);
    const dys = perImage(dy, c);
    return () => {
      ctx.output.fill(0);
      for (let b = 0; b < c.n; b++) {
        im2col(c, b, image, cols);
        addProductTN(cols, dys[b], ctx.output, taps(c), rows, c.outC);
      }
    };
  },
});

/**
 * The pixels of every pooling window, as offsets (y·w + x) into one image channel plane, in a
 * flat table with `start[o]`…`start[o + 1]` for output pixel o (padding left out).
 */
interface Windows {
  n: number;
  pixelsIn: number;
  pixelsOut: number;
  channels: number;
  start: Int32Array;
  offsets: Int32Array;
}

function windows([n, h, w, channels]: readonly number[], attrs: PoolAttrs): Windows {
  const [ph, pw] = attrs.poolSize;
  const rows = placement(h, ph, 0, attrs);
  const cols = placement(w, pw, 1, attrs);
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const start = new Int32Array(rows.out * cols.out + 1);
  const offsets: number[] = [];
  for (let r = 0; r < rows.out; r++) {
    for (let q = 0; q < cols.out; q++) {
      for (let i = 0; i < ph; i++) {
        const y = r * sh - rows.before + i * dh;
        for (let j = 0; j < pw; j++) {
          const x = q * sw - cols.before + j * dw;
          if (y >= 0 && y < h && x >= 0 && x < w) offsets.push(y * w + x);
        }
      }
      start[r * cols.out + q + 1] = offsets.length;
    }
  }
  return { n, pixelsIn: h * w, pixelsOut: rows.out * cols.out, channels, start, offsets: Int32Array.from(offsets) };
}

/**
 * Calls `visit(out, inBase, from, to)` for every output element: out its index, the window's
 * pixels at image indices inBase + offsets[from..to) · channels.
 */
function eachWindow(p: Windows, visit: (out: number, inBase: number, from: number, to: number) => void): void {
  const { n, pixelsIn, pixelsOut, channels, start } = p;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < pixelsOut; o++) {
      const from = start[o];
      const to = start[o + 1];
      const out = (b * pixelsOut + o) * channels;
      for (let c = 0; c < channels; c++) visit(out + c, b * pixelsIn * channels + c, from, to);
    }
  }
}

registerKernel(maxPool2d, 'js', ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
  const p = windows(shape, attrs);
  const { offsets, channels } = p;
  return () =>
    eachWindow(p, (out, base, from, to) => {
      let m = -Infinity;
      for (let k = from; k < to; k++) {
        const v = x[base + offsets[k] * channels];
        if (v > m || v !== v) m = v; // a NaN sticks: nothing compares greater than it
      }
      output[out] = m;
    });
});

/** How many elements of a window equal its maximum y (0 when y is NaN: then the window's gradient is NaN, as max's). */
function ties(x: FloatArray, y: number, base: number, offsets: Int32Array, channels: number, from: number, to: number): number {
  let k = 0;
  for (let i = from; i < to; i++) if (x[base + offsets[i] * channels] === y) k++;
  return k;
}

registerKernel(maxPool2dGrad, 'js', ({ inputs: [x, y, dy], output, inputShapes: [shape], attrs }) => {
  const p = windows(shape, attrs);
  const { offsets, channels } = p;
  return () => {
    output.fill(0);
    eachWindow(p, (out, base, from, to) => {
      const k = ties(x, y[out], base, offsets, channels, from, to);
      const share = dy[out] / k;
      for (let i = from; i < to; i++) {
        const at = base + offsets[i] * channels;
        if (k === 0 || x[at] === y[out]) output[at] += share;
      }
    });
  };
});

registerKernel(maxPool2dGradGrad, 'js', ({ inputs: [x, y, g], output, inputShapes: [shape], attrs }) => {
  const p = windows(shape, attrs);
  const { offsets, channels } = p;
  return () =>
    eachWindow(p, (out, base, from, to) => {
      const k = ties(x, y[out], base, offsets, channels, from, to);
      let s = k === 0 ? NaN : 0;
      for (let i = from; i < to; i++) {
        const at = base + offsets[i] * channels;
        if (x[at] === y[out]) s += g[at];
      }
      output[out] = s / k;
    });
});

registerKernel(avgPool2d, 'js', ({ inputs: [x], output, inputShapes: [shape], attrs }) => {
  const p = windows(shape, attrs);
  const { offsets, channels } = p;
  return () =>
    eachWindow(p, (out, base, from, to) => {
      let s = 0;
      for (let k = from; k < to; k++) s += x[base + offsets[k] * channels];
      output[out] = s / (to - from);
    });
});

registerKernel(avgPool2dGrad, 'js', ({ inputs: [dy], output, outputShape, attrs }) => {
  const p = windows(outputShape, attrs);
  const { offsets, channels } = p;
  return () => {
    output.fill(0);
    eachWindow(p, (out, base, from, to) => {
      const share = dy[out] / (to - from);
      for (let k = from; k < to; k++) output[base + offsets[k] * channels] += share;
    });
  };
});
