/**
 * Convolutions in float32 in WebAssembly: the same lowering as the JS kernels (../js/conv.ts),
 * over groups of images instead of one at a time. data.ts's im2col copies the windows of a
 * group's images into the rows of one scratch matrix, and each group is one product of the
 * packed SIMD GEMM: a few tall products instead of one short one per image, so the filter is
 * packed once per group. The fused conv layer (conv2dBiasActivation) adds the bias and applies
 * the activation to each group's part of the output right after its product, while in cache.
 *   forward         y_G   = cols_G · filter                       [G·oh·ow, out]
 *   input gradient  dx_G  = col2im(dy_G · filterᵀ)
 *   filter gradient dW    = Σ_G cols_Gᵀ · dy_G                     (accumulated, alpha 1)
 * With a helper thread, the products split as any product, and im2col and col2im give it half
 * of each group's images (they write apart: im2col never writes past an image's rows of cols).
 * The filter gradient copies the windows again rather than keep the forward pass's: a group's
 * fresh copy is in cache for its product, where the whole batch's, kept since the forward pass,
 * is not (measured slower in W3: docs/performance.md).
 */
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput, type WindowAttrs } from '../../ops/conv.ts';
import { conv2dBiasActivation } from '../../ops/fused.ts';
import { backFilter, backInput, colsSize, forward, pixels, taps, type ConvGeometry } from '../js/conv.ts';
import { registerKernel, type WasmKernelContext } from '../registry.ts';
import { matMulScratch, SPLIT_MACS, type MatMulCall } from './matmul-driver.ts';

/** Floats of windows a group may copy out: groups stay near 4 MB of scratch, whatever the batch. */
const COLS_BUDGET = 1 << 20;

/** Images per group (the last group may have fewer). */
const groupSize = (c: ConvGeometry) => Math.max(1, Math.min(c.n, Math.floor(COLS_BUDGET / colsSize(c))));

/** The groups of a batch as [first image, images]. */
function groups(c: ConvGeometry): [number, number][] {
  const size = groupSize(c);
  return Array.from({ length: Math.ceil(c.n / size) }, (_, g) => [g * size, Math.min(size, c.n - g * size)]);
}

/** The product of a group of `images` as m, n, k and forms. */
type Product = { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean; accumulate: boolean };
type Form = (c: ConvGeometry, images: number) => Product;
const forwardProduct: Form = (c, g) => ({ m: g * pixels(c), n: c.outC, k: taps(c), transposeA: false, transposeB: false, accumulate: false });
const inputProduct: Form = (c, g) => ({ m: g * pixels(c), n: taps(c), k: c.outC, transposeA: false, transposeB: true, accumulate: false });
const filterProduct: Form = (c, g) => ({ m: taps(c), n: c.outC, k: g * pixels(c), transposeA: true, transposeB: false, accumulate: true });

/** Floats at the start of the scratch for the geometry data.ts reads (13 i32), keeping what follows aligned. */
const GEOMETRY = 16;

/** Scratch floats: the geometry, a group's windows (rounded to 16 floats, so the product's scratch stays aligned), then the largest product's own. */
function scratchOf(c: ConvGeometry, form: Form): { cols: number; total: number } {
  const cols = Math.ceil((groupSize(c) * colsSize(c)) / 16) * 16;
  const products = groups(c).map(([, g]) => form(c, g));
  return { cols, total: GEOMETRY + cols + Math.max(...products.map((p) => matMulScratch(p.m, p.n, p.k, p.transposeA, p.transposeB, p.accumulate))) };
}

const splits = (c: ConvGeometry, form: Form) => {
  const p = form(c, groupSize(c));
  return p.m * p.n * p.k >= SPLIT_MACS;
};

type Context = WasmKernelContext<WindowAttrs> & { wasm: { matMul: (spec: Product & { a: number; b: number; c: number; scratch: number }) => MatMulCall } };

/**
 * What the three kernels share: for each group, its first image, its size and its product; and
 * `walk(name, images, first, count)`, im2col or col2im of a group's images at `images` (byte
 * pointer of the batch), half of them on the helper thread when there is one.
 */
function grouped(ctx: Context, c: ConvGeometry, form: Form, operands: (first: number, cols: number) => { a: number; b: number; c: number }) {
  const { cols: colsFloats } = scratchOf(c, form);
  const geometry = ctx.scratch.byteOffset;
  const cols = geometry + 4 * GEOMETRY;
  const scratch = cols + 4 * colsFloats;
  const values = Int32Array.of(c.h, c.w, c.inC, c.kh, c.kw, c.oh, c.ow, c.top, c.left, ...c.attrs.strides, ...c.attrs.dilations);
  const geometryView = new Int32Array(ctx.scratch.buffer, geometry, values.length);
  const [imageBytes, colsBytes] = [4 * c.h * c.w * c.inC, 4 * colsSize(c)];
  const handoff = ctx.wasm.handoff();
  const walk = (name: 'im2col' | 'col2im', images: number, first: number, count: number) => {
    const own = handoff && count >= 2 ? count >> 1 : count;
    if (own < count) {
      handoff!.queue(name, images + (first + own) * imageBytes, cols + own * colsBytes, count - own, geometry);
      handoff!.post();
    }
    ctx.wasm[name](images + first * imageBytes, cols, own, geometry);
    if (own < count) handoff!.finish();
  };
  const parts = groups(c).map(([first, images]) => ({ first, images, product: ctx.wasm.matMul({ ...form(c, images), ...operands(first, cols), scratch }) }));
  return {
    parts,
    /** Writes the geometry into the scratch (shared with other kernels between runs). */
    prepare: () => geometryView.set(values),
    walk,
  };
}

/** The forward convolution into ctx.output, calling `after(y, rows)` on each group's part of it (byte pointer, rows of out channels). */
function convolve(ctx: Context, after?: (y: number, rows: number) => void): () => void {
  const c = forward(ctx);
  const [image, filter] = ctx.inputs;
  const rowBytes = 4 * pixels(c) * c.outC;
  const { parts, prepare, walk } = grouped(ctx, c, forwardProduct, (first, cols) => ({ a: cols, b: filter.byteOffset, c: ctx.output.byteOffset + first * rowBytes }));
  return () => {
    prepare();
    for (const { first, images, product } of parts) {
      walk('im2col', image.byteOffset, first, images);
      product();
      after?.(ctx.output.byteOffset + first * rowBytes, images * pixels(c));
    }
  };
}

registerKernel(conv2d, 'wasm', {
  scratch: (ctx) => scratchOf(forward(ctx), forwardProduct).total,
  parallel: (ctx) => splits(forward(ctx), forwardProduct),
  run: (ctx) => convolve(ctx),
});

registerKernel(conv2dBiasActivation, 'wasm', {
  scratch: (ctx) => scratchOf(forward(ctx), forwardProduct).total,
  parallel: (ctx) => splits(forward(ctx), forwardProduct),
  run: (ctx) => {
    const biasActivation = ctx.wasm.fused[`biasActivation_${ctx.attrs.activation}`];
    const bias = ctx.inputs[2].byteOffset;
    const channels = forward(ctx).outC;
    return convolve(ctx, (y, rows) => biasActivation(y, bias, rows, channels));
  },
});

registerKernel(conv2dBackpropInput, 'wasm', {
  scratch: (ctx) => scratchOf(backInput(ctx), inputProduct).total,
  parallel: (ctx) => splits(backInput(ctx), inputProduct),
  run: (ctx) => {
    const c = backInput(ctx);
    const [dy, filter] = ctx.inputs;
    const rowBytes = 4 * pixels(c) * c.outC;
    const { parts, prepare, walk } = grouped(ctx, c, inputProduct, (first, cols) => ({ a: dy.byteOffset + first * rowBytes, b: filter.byteOffset, c: cols }));
    return () => {
      prepare();
      ctx.output.fill(0);
      for (const { first, images, product } of parts) {
        product();
        walk('col2im', ctx.output.byteOffset, first, images);
      }
    };
  },
});

registerKernel(conv2dBackpropFilter, 'wasm', {
  scratch: (ctx) => scratchOf(backFilter(ctx), filterProduct).total,
  parallel: (ctx) => splits(backFilter(ctx), filterProduct),
  run: (ctx) => {
    const c = backFilter(ctx);
    const [image, dy] = ctx.inputs;
    const rowBytes = 4 * pixels(c) * c.outC;
    const { parts, prepare, walk } = grouped(ctx, c, filterProduct, (first, cols) => ({ a: cols, b: dy.byteOffset + first * rowBytes, c: ctx.output.byteOffset }));
    return () => {
      prepare();
      ctx.output.fill(0);
      for (const { first, images, product } of parts) {
        walk('im2col', image.byteOffset, first, images);
        product(1);
      }
    };
  },
});
