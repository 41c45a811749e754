/**
 * Convolutions in float32 in WebAssembly: the same lowering as the JS kernels (../js/conv.ts),
 * over groups of images instead of one at a time. data.ts's im2col copies the windows of each
 * image of a group into the rows of one scratch matrix, and each group is one product of the
 * packed SIMD GEMM (split with the helper thread where it pays, as any product): a few tall
 * products instead of one short one per image, so the filter is packed once per group. The fused
 * conv layer (conv2dBiasActivation) adds the bias and applies the activation to each group's
 * part of the output right after its product, while it is in cache.
 *   forward         y_G   = cols_G · filter                       [G·oh·ow, out]
 *   input gradient  dx_G  = col2im(dy_G · filterᵀ)
 *   filter gradient dW    = Σ_G cols_Gᵀ · dy_G                     (accumulated, alpha 1)
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

/**
 * Scratch floats: a group's windows with the 4 floats im2col may write past them (rounded to 16
 * floats, so the product's scratch stays aligned), then the largest product's own.
 */
function scratchOf(c: ConvGeometry, form: Form): { cols: number; total: number } {
  const cols = Math.ceil((groupSize(c) * colsSize(c) + 4) / 16) * 16;
  const products = groups(c).map(([, g]) => form(c, g));
  return { cols, total: cols + Math.max(...products.map((p) => matMulScratch(p.m, p.n, p.k, p.transposeA, p.transposeB, p.accumulate))) };
}

/** im2col or col2im of image b of the batch at `image` into or from the rows at `cols` (byte pointers). */
function walker(walk: (...args: number[]) => void, c: ConvGeometry, image: number): (b: number, cols: number) => void {
  const [sh, sw] = c.attrs.strides;
  const [dh, dw] = c.attrs.dilations;
  const bytes = 4 * c.h * c.w * c.inC;
  return (b, cols) => walk(image + b * bytes, cols, c.h, c.w, c.inC, c.kh, c.kw, c.oh, c.ow, c.top, c.left, sh, sw, dh, dw);
}

const splits = (c: ConvGeometry, form: Form) => {
  const p = form(c, groupSize(c));
  return p.m * p.n * p.k >= SPLIT_MACS;
};

/** Kernel pieces shared by the three ops: the groups, the scratch and one product per group. */
function grouped(
  ctx: { scratch: Float32Array | Float64Array; wasm: { matMul: (spec: Product & { a: number; b: number; c: number; scratch: number }) => MatMulCall } },
  c: ConvGeometry,
  form: Form,
  operands: (first: number, cols: number) => { a: number; b: number; c: number },
) {
  const { cols: colsFloats } = scratchOf(c, form);
  const cols = ctx.scratch.byteOffset;
  const scratch = cols + 4 * colsFloats;
  const colsBytes = 4 * colsSize(c);
  return groups(c).map(([first, images]) => ({
    first,
    images,
    /** Where image `first + i` of the group has its windows. */
    colsOf: (i: number) => cols + i * colsBytes,
    product: ctx.wasm.matMul({ ...form(c, images), ...operands(first, cols), scratch }),
  }));
}

/** The forward convolution into ctx.output, calling `after(y, rows)` on each group's part of it (byte pointer, rows of out channels). */
function convolve(ctx: WasmKernelContext<WindowAttrs>, after?: (y: number, rows: number) => void): () => void {
  const c = forward(ctx);
  const [image, filter] = ctx.inputs;
  const rowBytes = 4 * pixels(c) * c.outC;
  const parts = grouped(ctx, c, forwardProduct, (first, cols) => ({ a: cols, b: filter.byteOffset, c: ctx.output.byteOffset + first * rowBytes }));
  const im2col = walker(ctx.wasm.im2col, c, image.byteOffset);
  return () => {
    for (const { first, images, colsOf, product } of parts) {
      for (let i = 0; i < images; i++) im2col(first + i, colsOf(i));
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
    const parts = grouped(ctx, c, inputProduct, (first, cols) => ({ a: dy.byteOffset + first * rowBytes, b: filter.byteOffset, c: cols }));
    const col2im = walker(ctx.wasm.col2im, c, ctx.output.byteOffset);
    return () => {
      ctx.output.fill(0);
      for (const { first, images, colsOf, product } of parts) {
        product();
        for (let i = 0; i < images; i++) col2im(first + i, colsOf(i));
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
    const parts = grouped(ctx, c, filterProduct, (first, cols) => ({ a: cols, b: dy.byteOffset + first * rowBytes, c: ctx.output.byteOffset }));
    const im2col = walker(ctx.wasm.im2col, c, image.byteOffset);
    return () => {
      ctx.output.fill(0);
      for (const { first, images, colsOf, product } of parts) {
        for (let i = 0; i < images; i++) im2col(first + i, colsOf(i));
        product(1);
      }
    };
  },
});
