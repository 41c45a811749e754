/**
 * Pooling in float32 WebAssembly SIMD, NHWC, four channels per vector (the same meaning as the JS
 * kernels in ../js/conv.ts; byte pointers, then n images, a pointer to the geometry as 13
 * i32: h, w, c, oh, ow, ph, pw, top, left, sh, sw, dh, dw, and room for a window's pixels,
 * ph·pw i32, its own per thread):
 *
 *   maxPool(x, out, …)              out ← the largest x of each window (a NaN wins)
 *   maxPoolGrad(x, y, dy, out, …)   out += dy/k at each of the k elements of a window equal to its
 *                                   maximum y (at all of them when y is NaN); out zeroed by the caller
 *   maxPoolGradTiled(…the same)     out ← the same, where the windows tile the image (each pixel in
 *                                   one window): every element written once, nothing zeroed first
 *   avgPool(x, out, …)              out ← the mean of each window's pixels inside the image
 *   avgPoolGrad(dy, out, …)         out += dy/count at each of those pixels; out zeroed by the caller
 *
 * Each window is walked once per vector of channels; the last 1–3 channels go through the same
 * code with one value splatted into all lanes and lane 0 stored. With a helper thread, the
 * kernels give it half of the images.
 */
import { avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad, placement, type PoolAttrs } from '../../ops/conv.ts';
import { registerKernel, type FloatArray, type WasmKernelContext } from '../registry.ts';
import { FunctionBuilder, i32, v128, type Local } from './emit.ts';

export const poolKernelNames: readonly string[] = ['maxPool', 'maxPoolGrad', 'maxPoolGradTiled', 'avgPool', 'avgPoolGrad'];

const F32X4_EQ = 0x41;
const F32X4_DIV = 0xe7;
const F32X4_MAX = 0xe9;
const F32X4_CONVERT_I32X4_S = 0xfa;
const I32X4_EQ = 0x37;
const I32X4_SUB = 0xb1;
const V128_AND = 0x4e;
const V128_OR = 0x50;

/** Loads and stores of one vector of channels, or of one channel splatted (stored from lane 0). */
interface Lanes {
  load(f: FunctionBuilder): void;
  store(f: FunctionBuilder): void;
}
const vector: Lanes = { load: (f) => f.v128Load(), store: (f) => f.v128Store() };
const single: Lanes = { load: (f) => f.v128Load32Splat(), store: (f) => f.v128Store32Lane(0, 0) };

/**
 * A pooling function: `pointers` byte pointers, then the geometry. `body(lanes, at, taps)` emits
 * the work for the channels at byte offset `at` of one window, where `taps(visit)` emits
 * `visit(pixel)` for each of the window's pixels inside the image (`pixel` the byte offset of
 * its channel 0 from the image's start).
 */
function poolFunction(
  name: string,
  pointers: number,
  body: (f: FunctionBuilder, p: Local[], lanes: Lanes, at: Local, taps: (visit: (pixel: Local) => void) => void, image: Local, window: Local, inside: Local) => void,
): FunctionBuilder {
  const f = new FunctionBuilder(name, Array.from({ length: pointers + 3 }, () => i32));
  const p = Array.from({ length: pointers }, (_, k) => f.param(k));
  const [n, geometry, list] = [f.param(pointers), f.param(pointers + 1), f.param(pointers + 2)];
  const [h, w, c, oh, ow, ph, pw, top, left, sh, sw, dh, dw] = Array.from({ length: 13 }, (_, k) => {
    const l = f.local(i32);
    f.get(geometry).i32Load(4 * k).set(l);
    return l;
  });
  const [b, r, q, i, j, y, x, pixel, at, image, window, c4, cBytes, count, t] = Array.from({ length: 15 }, () => f.local(i32));
  f.get(c).i32(-4).i32And().i32(2).i32Shl().set(c4);
  f.get(c).i32(2).i32Shl().set(cBytes);
  // The window's pixels inside the image, found once per window for all its channels: their
  // byte offsets (channel 0) at `list`, `count` of them.
  const listTaps = () => {
    f.i32(0).set(count);
    f.forLoop(i, () => f.i32(0), () => f.get(ph), 1, () => {
      f.get(r).get(sh).i32Mul().get(top).i32Sub().get(i).get(dh).i32Mul().i32Add().set(y);
      f.ifThen(
        () => f.get(y).i32(0).i32GeS().get(y).get(h).i32LtS().i32And(),
        () =>
          f.forLoop(j, () => f.i32(0), () => f.get(pw), 1, () => {
            f.get(q).get(sw).i32Mul().get(left).i32Sub().get(j).get(dw).i32Mul().i32Add().set(x);
            f.ifThen(
              () => f.get(x).i32(0).i32GeS().get(x).get(w).i32LtS().i32And(),
              () => {
                f.get(list).get(count).i32(2).i32Shl().i32Add();
                f.get(y).get(w).i32Mul().get(x).i32Add().get(cBytes).i32Mul().i32Store();
                f.get(count).i32(1).i32Add().set(count);
              },
            );
          }),
      );
    });
  };
  const taps = (visit: (pixel: Local) => void) =>
    f.forLoop(t, () => f.i32(0), () => f.get(count), 1, () => {
      f.get(list).get(t).i32(2).i32Shl().i32Add().i32Load().get(at).i32Add().set(pixel);
      visit(pixel);
    });
  // A 2x2 window inside the image without dilation (max pool 2, the common case): its four
  // pixels are at fixed offsets from its first, visited in the list's order with no loop.
  const [first, down, is2x2] = [f.local(i32), f.local(i32), f.local(i32)];
  f.get(w).get(cBytes).i32Mul().set(down);
  f.get(ph).i32(2).i32Eq().get(pw).i32(2).i32Eq().i32And().get(dh).i32(1).i32Eq().i32And().get(dw).i32(1).i32Eq().i32And().set(is2x2);
  const taps2x2 = (visit: (pixel: Local) => void) => {
    for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      f.get(first).get(at).i32Add();
      if (dy) f.get(down).i32Add();
      if (dx) f.get(cBytes).i32Add();
      f.set(pixel);
      visit(pixel);
    }
  };
  const channels = (visitTaps: (visit: (pixel: Local) => void) => void) => {
    f.forLoop(at, () => f.i32(0), () => f.get(c4), 16, () => body(f, p, vector, at, visitTaps, image, window, count));
    f.forLoop(at, () => f.get(c4), () => f.get(cBytes), 4, () => body(f, p, single, at, visitTaps, image, window, count));
  };
  f.forLoop(b, () => f.i32(0), () => f.get(n), 1, () => {
    f.get(b).get(h).i32Mul().get(w).i32Mul().get(cBytes).i32Mul().set(image);
    f.forLoop(r, () => f.i32(0), () => f.get(oh), 1, () => {
      f.get(r).get(sh).i32Mul().get(top).i32Sub().set(y);
      f.forLoop(q, () => f.i32(0), () => f.get(ow), 1, () => {
        f.get(b).get(oh).i32Mul().get(r).i32Add().get(ow).i32Mul().get(q).i32Add().get(cBytes).i32Mul().set(window);
        f.get(q).get(sw).i32Mul().get(left).i32Sub().set(x);
        f.ifElse(
          () => {
            f.get(is2x2).get(y).i32(0).i32GeS().i32And().get(y).i32(1).i32Add().get(h).i32LtS().i32And();
            f.get(x).i32(0).i32GeS().i32And().get(x).i32(1).i32Add().get(w).i32LtS().i32And();
          },
          () => {
            f.get(y).get(w).i32Mul().get(x).i32Add().get(cBytes).i32Mul().set(first);
            f.i32(4).set(count);
            channels(taps2x2);
          },
          () => {
            listTaps();
            channels(taps);
          },
        );
      });
    });
  });
  return f;
}

/** pointer + image + pixel (a window's pixel, channel offset included). */
const pixelAt = (f: FunctionBuilder, pointer: Local, image: Local, pixel: Local) => f.get(pointer).get(image).i32Add().get(pixel).i32Add();
/** pointer + window + at (the window's output, at this channel offset). */
const outAt = (f: FunctionBuilder, pointer: Local, window: Local, at: Local) => f.get(pointer).get(window).i32Add().get(at).i32Add();

function maxPoolFunction(): FunctionBuilder {
  let m: Local;
  return poolFunction('maxPool', 2, (f, [x, out], lanes, at, taps, image, window) => {
    m ??= f.local(v128);
    f.f32Const(-Infinity).f32x4Splat().set(m);
    taps((pixel) => {
      f.get(m);
      pixelAt(f, x, image, pixel);
      lanes.load(f);
      f.simdOp(F32X4_MAX).set(m);
    });
    outAt(f, out, window, at).get(m);
    lanes.store(f);
  });
}

function maxPoolGradFunction(tiled: boolean): FunctionBuilder {
  let locals: { yv: Local; count: Local; share: Local; all: Local };
  return poolFunction(tiled ? 'maxPoolGradTiled' : 'maxPoolGrad', 4, (f, [x, y, dy, out], lanes, at, taps, image, window) => {
    locals ??= { yv: f.local(v128), count: f.local(v128), share: f.local(v128), all: f.local(v128) };
    const { yv, count, share, all } = locals;
    const equal = (pixel: Local) => {
      pixelAt(f, x, image, pixel);
      lanes.load(f);
      f.get(yv).simdOp(F32X4_EQ);
    };
    outAt(f, y, window, at);
    lanes.load(f);
    f.set(yv);
    // k: how many of the window's elements equal its maximum (a mask lane is −1).
    f.v128Zero().set(count);
    taps((pixel) => {
      f.get(count);
      equal(pixel);
      f.simdOp(I32X4_SUB).set(count);
    });
    outAt(f, dy, window, at);
    lanes.load(f);
    f.get(count).simdOp(F32X4_CONVERT_I32X4_S).simdOp(F32X4_DIV).set(share);
    f.get(count).v128Zero().simdOp(I32X4_EQ).set(all);
    taps((pixel) => {
      pixelAt(f, out, image, pixel);
      if (!tiled) {
        pixelAt(f, out, image, pixel);
        lanes.load(f);
      }
      f.get(share);
      equal(pixel);
      f.get(all).simdOp(V128_OR).simdOp(V128_AND);
      if (!tiled) f.f32x4Add();
      lanes.store(f);
    });
  });
}

/** How many pixels of the window are inside the image (`inside`), as a float vector (into `count`). */
function countInside(f: FunctionBuilder, count: Local, inside: Local): void {
  f.get(inside).simdOp(0x11).simdOp(F32X4_CONVERT_I32X4_S).set(count); // i32x4.splat
}

function avgPoolFunction(): FunctionBuilder {
  let locals: { s: Local; count: Local };
  return poolFunction('avgPool', 2, (f, [x, out], lanes, at, taps, image, window, inside) => {
    locals ??= { s: f.local(v128), count: f.local(v128) };
    const { s, count } = locals;
    countInside(f, count, inside);
    f.v128Zero().set(s);
    taps((pixel) => {
      f.get(s);
      pixelAt(f, x, image, pixel);
      lanes.load(f);
      f.f32x4Add().set(s);
    });
    outAt(f, out, window, at).get(s).get(count).simdOp(F32X4_DIV);
    lanes.store(f);
  });
}

function avgPoolGradFunction(): FunctionBuilder {
  let locals: { share: Local; count: Local };
  return poolFunction('avgPoolGrad', 2, (f, [dy, out], lanes, at, taps, image, window, inside) => {
    locals ??= { share: f.local(v128), count: f.local(v128) };
    const { share, count } = locals;
    countInside(f, count, inside);
    outAt(f, dy, window, at);
    lanes.load(f);
    f.get(count).simdOp(F32X4_DIV).set(share);
    taps((pixel) => {
      pixelAt(f, out, image, pixel);
      pixelAt(f, out, image, pixel);
      lanes.load(f);
      f.get(share).f32x4Add();
      lanes.store(f);
    });
  });
}

export function poolFunctions(): FunctionBuilder[] {
  return [maxPoolFunction(), maxPoolGradFunction(false), maxPoolGradFunction(true), avgPoolFunction(), avgPoolGradFunction()];
}

/** The geometry of pooling images of `shape`: n, then the 13 numbers the functions read. */
function geometry([n, h, w, c]: readonly number[], attrs: PoolAttrs): { n: number; values: Int32Array; tiled: boolean } {
  const [ph, pw] = attrs.poolSize;
  const rows = placement(h, ph, 0, attrs);
  const cols = placement(w, pw, 1, attrs);
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  // Every pixel of the image in exactly one window (as 2x2 windows, stride 2, on an even image).
  const tiled = sh === ph && sw === pw && dh === 1 && dw === 1 && rows.before === 0 && cols.before === 0 && rows.out * ph === h && cols.out * pw === w;
  return { n, values: Int32Array.of(h, w, c, rows.out, cols.out, ph, pw, rows.before, cols.before, sh, sw, dh, dw), tiled };
}

/** Scratch floats of a pooling kernel's geometry. */
const GEOMETRY = 16;
/** Scratch floats of a pooling kernel: the geometry, then a list of a window's pixels for each of two threads. */
const scratchOf = ({ poolSize: [ph, pw] }: PoolAttrs) => GEOMETRY + 2 * Math.ceil((ph * pw) / 4) * 4;

/**
 * The run of pool function `name` over the batch, with `pointers` to whole images or to pooled
 * ones: half of the images on the helper thread when there is one.
 */
function pooling(ctx: WasmKernelContext<PoolAttrs>, shape: readonly number[], name: string, pointers: [FloatArray, 'image' | 'pooled'][], before?: () => void): () => void {
  const { n, values } = geometry(shape, ctx.attrs);
  const [h, w, c, oh, ow] = values;
  const bytes = { image: 4 * h * w * c, pooled: 4 * oh * ow * c };
  const at = ctx.scratch.byteOffset;
  const view = new Int32Array(ctx.scratch.buffer, at, values.length);
  const handoff = ctx.wasm.handoff();
  const own = handoff && n >= 2 ? n >> 1 : n;
  const listBytes = 4 * Math.ceil((ctx.attrs.poolSize[0] * ctx.attrs.poolSize[1]) / 4) * 4;
  const args = (first: number, count: number, list: number) => [...pointers.map(([p, kind]) => p.byteOffset + first * bytes[kind]), count, at, list];
  const [mine, theirs] = [args(0, own, at + 4 * GEOMETRY), args(own, n - own, at + 4 * GEOMETRY + listBytes)];
  const run = ctx.wasm.pool[name];
  return () => {
    before?.();
    view.set(values);
    if (own < n) (handoff!.queue(name, ...theirs), handoff!.post());
    run(...mine);
    if (own < n) handoff!.finish();
  };
}

registerKernel(maxPool2d, 'wasm', {
  scratch: (ctx) => scratchOf(ctx.attrs),
  run: (ctx) => pooling(ctx, ctx.inputShapes[0], 'maxPool', [[ctx.inputs[0], 'image'], [ctx.output, 'pooled']]),
});

registerKernel(maxPool2dGrad, 'wasm', {
  scratch: (ctx) => scratchOf(ctx.attrs),
  run: (ctx) => {
    const [x, y, dy] = ctx.inputs;
    const { tiled } = geometry(ctx.inputShapes[0], ctx.attrs);
    const pointers: [FloatArray, 'image' | 'pooled'][] = [[x, 'image'], [y, 'pooled'], [dy, 'pooled'], [ctx.output, 'image']];
    return tiled ? pooling(ctx, ctx.inputShapes[0], 'maxPoolGradTiled', pointers) : pooling(ctx, ctx.inputShapes[0], 'maxPoolGrad', pointers, () => ctx.output.fill(0));
  },
});

registerKernel(avgPool2d, 'wasm', {
  scratch: (ctx) => scratchOf(ctx.attrs),
  run: (ctx) => pooling(ctx, ctx.inputShapes[0], 'avgPool', [[ctx.inputs[0], 'image'], [ctx.output, 'pooled']]),
});

registerKernel(avgPool2dGrad, 'wasm', {
  scratch: (ctx) => scratchOf(ctx.attrs),
  run: (ctx) => pooling(ctx, ctx.outputShape, 'avgPoolGrad', [[ctx.inputs[0], 'pooled'], [ctx.output, 'image']], () => ctx.output.fill(0)),
});
