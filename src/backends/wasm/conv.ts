/**
 * Convolutions in float32 in WebAssembly: the same lowering as the JS kernels (../js/conv.ts:
 * im2col of one image at a time into scratch), with the windows copied by data.ts's im2col and
 * col2im and each image's product run by the packed SIMD GEMM (split with the helper thread where
 * it pays, as any product).
 *   forward         y_b   = cols_b · filter                       [oh·ow, out]
 *   input gradient  dx_b  = col2im(dy_b · filterᵀ)
 *   filter gradient dW    = Σ_b cols_bᵀ · dy_b                     (accumulated, alpha 1)
 */
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from '../../ops/conv.ts';
import { backFilter, backInput, colsSize, forward, pixels, taps, type ConvGeometry } from '../js/conv.ts';
import { registerKernel } from '../registry.ts';
import { matMulScratch, SPLIT_MACS } from './matmul-driver.ts';

/** Scratch floats: the windows of one image (rounded to 16 floats, so the product's scratch stays aligned), then the product's own. */
const colsFloats = (c: ConvGeometry) => Math.ceil(colsSize(c) / 16) * 16;

/** The product of one image as m, n, k and forms. */
type Product = { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean; accumulate: boolean };
const forwardProduct = (c: ConvGeometry): Product => ({ m: pixels(c), n: c.outC, k: taps(c), transposeA: false, transposeB: false, accumulate: false });
const inputProduct = (c: ConvGeometry): Product => ({ m: pixels(c), n: taps(c), k: c.outC, transposeA: false, transposeB: true, accumulate: false });
const filterProduct = (c: ConvGeometry): Product => ({ m: taps(c), n: c.outC, k: pixels(c), transposeA: true, transposeB: false, accumulate: true });

/** im2col or col2im of image b of the batch at `image` (byte pointers), with this geometry. */
function walker(walk: (...args: number[]) => void, c: ConvGeometry, image: number, cols: number): (b: number) => void {
  const [sh, sw] = c.attrs.strides;
  const [dh, dw] = c.attrs.dilations;
  const bytes = 4 * c.h * c.w * c.inC;
  return (b) => walk(image + b * bytes, cols, c.h, c.w, c.inC, c.kh, c.kw, c.oh, c.ow, c.top, c.left, sh, sw, dh, dw);
}

const scratchOf = (c: ConvGeometry, p: Product) => colsFloats(c) + matMulScratch(p.m, p.n, p.k, p.transposeA, p.transposeB, p.accumulate);
const splits = (p: Product) => p.m * p.n * p.k >= SPLIT_MACS;

registerKernel(conv2d, 'wasm', {
  scratch: (ctx) => scratchOf(forward(ctx), forwardProduct(forward(ctx))),
  parallel: (ctx) => splits(forwardProduct(forward(ctx))),
  run: (ctx) => {
    const c = forward(ctx);
    const p = forwardProduct(c);
    const [image, filter] = ctx.inputs;
    const cols = ctx.scratch.subarray(0, colsSize(c));
    const scratch = ctx.scratch.byteOffset + 4 * colsFloats(c);
    const images = Array.from({ length: c.n }, (_, b) =>
      ctx.wasm.matMul({ ...p, a: cols.byteOffset, b: filter.byteOffset, c: ctx.output.byteOffset + 4 * b * p.m * p.n, scratch }),
    );
    const im2col = walker(ctx.wasm.im2col, c, image.byteOffset, cols.byteOffset);
    return () => {
      for (let b = 0; b < c.n; b++) {
        im2col(b);
        images[b]();
      }
    };
  },
});

registerKernel(conv2dBackpropInput, 'wasm', {
  scratch: (ctx) => scratchOf(backInput(ctx), inputProduct(backInput(ctx))),
  parallel: (ctx) => splits(inputProduct(backInput(ctx))),
  run: (ctx) => {
    const c = backInput(ctx);
    const p = inputProduct(c);
    const [dy, filter] = ctx.inputs;
    const cols = ctx.scratch.subarray(0, colsSize(c));
    const scratch = ctx.scratch.byteOffset + 4 * colsFloats(c);
    const images = Array.from({ length: c.n }, (_, b) =>
      ctx.wasm.matMul({ ...p, a: dy.byteOffset + 4 * b * p.m * c.outC, b: filter.byteOffset, c: cols.byteOffset, scratch }),
    );
    const col2im = walker(ctx.wasm.col2im, c, ctx.output.byteOffset, cols.byteOffset);
    return () => {
      ctx.output.fill(0);
      for (let b = 0; b < c.n; b++) {
        images[b]();
        col2im(b);
      }
    };
  },
});

registerKernel(conv2dBackpropFilter, 'wasm', {
  scratch: (ctx) => scratchOf(backFilter(ctx), filterProduct(backFilter(ctx))),
  parallel: (ctx) => splits(filterProduct(backFilter(ctx))),
  run: (ctx) => {
    const c = backFilter(ctx);
    const p = filterProduct(c);
    const [image, dy] = ctx.inputs;
    const cols = ctx.scratch.subarray(0, colsSize(c));
    const scratch = ctx.scratch.byteOffset + 4 * colsFloats(c);
    const images = Array.from({ length: c.n }, (_, b) =>
      ctx.wasm.matMul({ ...p, a: cols.byteOffset, b: dy.byteOffset + 4 * b * pixels(c) * c.outC, c: ctx.output.byteOffset, scratch }),
    );
    const im2col = walker(ctx.wasm.im2col, c, image.byteOffset, cols.byteOffset);
    return () => {
      ctx.output.fill(0);
      for (let b = 0; b < c.n; b++) {
        im2col(b);
        images[b](1);
      }
    };
  },
});
