/**
 * 2-d convolution and pooling over NHWC images ([batch, height, width, channels]) with filters
 * [kh, kw, in, out], as TF.js. The gradients of a convolution are ops of their own
 * (conv2dBackpropInput, conv2dBackpropFilter, TF.js's names), each the adjoint of the others, so
 * their gradients are again these three ops and second order works. Pooling gradients likewise:
 * avgPool2dGrad is the adjoint of avgPool2d; maxPool2dGrad and maxPool2dGradGrad are adjoints of
 * one another (TF's MaxPoolGrad and MaxPoolGradGrad).
 *
 * NaN: a NaN anywhere in a window makes that output NaN (conv: a NaN pixel or filter tap that the
 * window multiplies; max pooling: as `max`, not ignored). Padding is outside the image: zeros for
 * a convolution, ignored by pooling (average over the pixels inside, as TF.js).
 */
import { RuleError } from '../core/errors.ts';
import { formatShape, type Dim, type Shape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { registerOp, type OpDef } from './registry.ts';

/** 'valid' (no padding), 'same' (output = ⌈input / stride⌉, as TF.js) or [[top, bottom], [left, right]]. */
export type Padding = 'valid' | 'same' | readonly [readonly [number, number], readonly [number, number]];

/** A window's placement: strides and dilations [along height, along width], and the padding. */
export type WindowAttrs = { strides: readonly [number, number]; padding: Padding; dilations: readonly [number, number] };
export type PoolAttrs = WindowAttrs & { poolSize: readonly [number, number] };
export type BackpropInputAttrs = WindowAttrs & { inputSize: readonly [number, number] };
export type AvgPoolGradAttrs = PoolAttrs & { inputSize: readonly [number, number] };
export type BackpropFilterAttrs = WindowAttrs & { filterSize: readonly [number, number] };

/** Where windows sit along one spatial axis: how many, and the padding before the first. */
export interface Placement {
  readonly out: number;
  readonly before: number;
}

const pair = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every((d) => Number.isInteger(d) && d >= 1);

function checkWindow({ strides, dilations, padding }: WindowAttrs): void {
  if (!pair(strides)) throw new RuleError(`strides must be two whole numbers ≥ 1, got ${JSON.stringify(strides)}`);
  if (!pair(dilations)) throw new RuleError(`dilations must be two whole numbers ≥ 1, got ${JSON.stringify(dilations)}`);
  const explicit = Array.isArray(padding) && padding.length === 2 && padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((d) => Number.isInteger(d) && d >= 0));
  if (padding !== 'valid' && padding !== 'same' && !explicit) {
    throw new RuleError(`padding must be 'valid', 'same' or [[top, bottom], [left, right]] of whole numbers ≥ 0, got ${JSON.stringify(padding)}`);
  }
}

/** Windows of `size` (dilated) along an axis of length `length`, for spatial axis 0 (height) or 1 (width). */
export function placement(length: number, size: number, axis: 0 | 1, { strides, dilations, padding }: WindowAttrs): Placement {
  const stride = strides[axis];
  const span = (size - 1) * dilations[axis] + 1;
  if (padding === 'same') {
    const out = Math.ceil(length / stride);
    return { out, before: Math.floor(Math.max((out - 1) * stride + span - length, 0) / 2) };
  }
  const [before, after] = padding === 'valid' ? [0, 0] : padding[axis];
  const out = Math.floor((length + before + after - span) / stride) + 1;
  if (out < 1) throw new RuleError(`a window spanning ${span} does not fit in ${length} ${axis === 0 ? 'rows' : 'columns'} with padding ${before}+${after}`);
  return { out, before };
}

/** The layout of a convolution: image, filter and output sizes, and where the windows sit (every backend's kernels start from it). */
export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  inC: number;
  kh: number;
  kw: number;
  outC: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
  attrs: WindowAttrs;
}

/** The geometry of windows [kh, kw] over image x [n, h, w, inC] with outC output channels. */
export function convGeometry([n, h, w, inC]: readonly number[], kh: number, kw: number, outC: number, attrs: WindowAttrs): ConvGeometry {
  const rows = placement(h, kh, 0, attrs);
  const cols = placement(w, kw, 1, attrs);
  return { n, h, w, inC, kh, kw, outC, oh: rows.out, ow: cols.out, top: rows.before, left: cols.before, attrs };
}

function image(x: Shape, what: string): [Dim, number, number, number] {
  if (x.length !== 4 || x.slice(1).some((d) => d === null)) throw new RuleError(`${what} must be [batch, height, width, channels] with height, width and channels known, got ${formatShape(x)}`);
  return x as [Dim, number, number, number];
}

function filterOf(f: Shape, channels: number): [number, number, number, number] {
  if (f.length !== 4 || f.some((d) => d === null)) throw new RuleError(`the filter must be [kh, kw, in, out], fully known, got ${formatShape(f)}`);
  if (f[2] !== channels) throw new RuleError(`the filter takes ${f[2]} input channels, the image has ${channels}`);
  return f as [number, number, number, number];
}

/** The output shape of windows of [kh, kw] over image x with `channels` output channels. */
function windowed(x: Shape, kh: number, kw: number, channels: number, attrs: WindowAttrs, what = 'x'): Shape {
  checkWindow(attrs);
  const [n, h, w] = image(x, what);
  return [n, placement(h, kh, 0, attrs).out, placement(w, kw, 1, attrs).out, channels];
}

function sameBatch(a: Dim, b: Dim): void {
  if (a !== null && b !== null && a !== b) throw new RuleError(`batch sizes differ: ${a} and ${b}`);
}

function expectShape(actual: Shape, expected: Shape, what: string): void {
  const fits = actual.length === expected.length && actual.every((d, i) => d === null || expected[i] === null || d === expected[i]);
  if (!fits) throw new RuleError(`${what} must be ${formatShape(expected)}, got ${formatShape(actual)}`);
}

export const conv2d: OpDef<WindowAttrs> = registerOp<WindowAttrs>({
  name: 'conv2d',
  arity: 2,
  doc: 'NHWC image x [n,h,w,in] ⋆ filter [kh,kw,in,out] (strides, padding, dilations; zero padding); NaN in a window → NaN',
  shape: ([x, f], attrs) => {
    const [kh, kw, , out] = filterOf(f, image(x, 'x')[3]);
    return windowed(x, kh, kw, out, attrs);
  },
  vjp: ({ dy, inputs: [x, f], attrs }) => [conv2dBackpropInputOf(dy, f, [x.shape[1] as number, x.shape[2] as number], attrs), conv2dBackpropFilterOf(x, dy, [f.shape[0] as number, f.shape[1] as number], attrs)],
});

/** The input gradient of conv2d: dy [n,oh,ow,out] and the filter → dx [n,h,w,in], h and w from inputSize. */
export const conv2dBackpropInput: OpDef<BackpropInputAttrs> = registerOp<BackpropInputAttrs>({
  name: 'conv2dBackpropInput',
  arity: 2,
  doc: 'the gradient of conv2d with respect to its image: dy [n,oh,ow,out], filter → [n,h,w,in] (a transposed convolution)',
  shape: ([dy, f], attrs) => {
    if (!pair(attrs.inputSize)) throw new RuleError(`inputSize must be [height, width], got ${JSON.stringify(attrs.inputSize)}`);
    if (f.length !== 4 || f.some((d) => d === null)) throw new RuleError(`the filter must be [kh, kw, in, out], fully known, got ${formatShape(f)}`);
    const [kh, kw, inC, outC] = f as number[];
    const [n, h, w] = [image(dy, 'dy')[0], ...attrs.inputSize];
    expectShape(dy, windowed([n, h, w, inC], kh, kw, outC, attrs), 'dy');
    return [n, h, w, inC];
  },
  // Linear in dy and in the filter: the adjoints are conv2d and the filter gradient.
  vjp: ({ dy: g, inputs: [dy, f], attrs }) => [conv2dOf(g, f, attrs), conv2dBackpropFilterOf(g, dy, [f.shape[0] as number, f.shape[1] as number], attrs)],
});

/** The filter gradient of conv2d: x [n,h,w,in] and dy [n,oh,ow,out] → [kh,kw,in,out], kh and kw from filterSize. */
export const conv2dBackpropFilter: OpDef<BackpropFilterAttrs> = registerOp<BackpropFilterAttrs>({
  name: 'conv2dBackpropFilter',
  arity: 2,
  doc: 'the gradient of conv2d with respect to its filter: x [n,h,w,in], dy [n,oh,ow,out] → [kh,kw,in,out]',
  shape: ([x, dy], attrs) => {
    if (!pair(attrs.filterSize)) throw new RuleError(`filterSize must be [kh, kw], got ${JSON.stringify(attrs.filterSize)}`);
    const [kh, kw] = attrs.filterSize;
    const [n, , , inC] = image(x, 'x');
    const outC = image(dy, 'dy')[3];
    sameBatch(n, dy[0]);
    expectShape(dy, windowed(x, kh, kw, outC, attrs), 'dy');
    return [kh, kw, inC, outC];
  },
  vjp: ({ dy: g, inputs: [x, dy], attrs }) => [conv2dBackpropInputOf(dy, g, [x.shape[1] as number, x.shape[2] as number], attrs), conv2dOf(x, g, attrs)],
});

const windowOnly = ({ strides, padding, dilations }: WindowAttrs): WindowAttrs => ({ strides, padding, dilations });
const conv2dOf = (x: Tensor, f: Tensor, attrs: WindowAttrs): Tensor => x.graph.apply(conv2d, [x, f], windowOnly(attrs));
const conv2dBackpropInputOf = (dy: Tensor, f: Tensor, inputSize: readonly [number, number], attrs: WindowAttrs): Tensor =>
  dy.graph.apply(conv2dBackpropInput, [dy, f], { ...windowOnly(attrs), inputSize });
const conv2dBackpropFilterOf = (x: Tensor, dy: Tensor, filterSize: readonly [number, number], attrs: WindowAttrs): Tensor =>
  x.graph.apply(conv2dBackpropFilter, [x, dy], { ...windowOnly(attrs), filterSize });

function pooled([x]: readonly Shape[], attrs: PoolAttrs): Shape {
  if (!pair(attrs.poolSize)) throw new RuleError(`poolSize must be two whole numbers ≥ 1, got ${JSON.stringify(attrs.poolSize)}`);
  checkWindow(attrs);
  const { padding, dilations } = attrs;
  if (Array.isArray(padding)) {
    ([0, 1] as const).forEach((axis) => {
      const span = (attrs.poolSize[axis] - 1) * dilations[axis] + 1;
      padding[axis].forEach((p: number, side: number) => {
        if (p >= span) throw new RuleError(`padding ${p} ${side ? 'after' : 'before'} the ${axis ? 'columns' : 'rows'} leaves windows wholly outside the image (a window spans ${span})`);
      });
    });
  }
  return windowed(x, attrs.poolSize[0], attrs.poolSize[1], image(x, 'x')[3], attrs);
}

/** For a pooling gradient: the image shape x and the pooled shape y must belong together. */
function poolPair(x: Shape, y: Shape, attrs: PoolAttrs, what: string): void {
  expectShape(y, pooled([x], attrs), what);
}

export const maxPool2d: OpDef<PoolAttrs> = registerOp<PoolAttrs>({
  name: 'maxPool2d',
  arity: 1,
  doc: 'maximum over each window of an NHWC image, per channel (padding ignored); NaN in a window → NaN; k ties share the gradient, dy/k each',
  shape: pooled,
  vjp: ({ dy, inputs: [x], output: y, attrs }) => [x.graph.apply(maxPool2dGrad, [x, y, dy], attrs)],
});

/** Gives each window's dy to the elements equal to its maximum (dy/k each of k ties): the gradient of maxPool2d. */
export const maxPool2dGrad: OpDef<PoolAttrs> = registerOp<PoolAttrs>({
  name: 'maxPool2dGrad',
  arity: 3,
  doc: "the gradient of maxPool2d: (x, y = maxPool2d(x), dy) → x's shape, each window's dy shared by its maxima",
  shape: ([x, y, dy], attrs) => {
    poolPair(x, y, attrs, 'y');
    poolPair(x, dy, attrs, 'dy');
    return x;
  },
  // Linear in dy; the positions of the maxima are piecewise constant in x.
  vjp: ({ dy: g, inputs: [x, y], attrs }) => [null, null, x.graph.apply(maxPool2dGradGrad, [x, y, g], attrs)],
});

/** The adjoint of maxPool2dGrad: each window's mean of g over its maxima (TF's MaxPoolGradGrad). */
export const maxPool2dGradGrad: OpDef<PoolAttrs> = registerOp<PoolAttrs>({
  name: 'maxPool2dGradGrad',
  arity: 3,
  doc: "the gradient of maxPool2dGrad: (x, y = maxPool2d(x), g of x's shape) → y's shape, g averaged over each window's maxima",
  shape: ([x, y, g], attrs) => {
    poolPair(x, y, attrs, 'y');
    expectShape(g, x, 'g');
    return y;
  },
  vjp: ({ dy: g, inputs: [x, y], attrs }) => [null, null, x.graph.apply(maxPool2dGrad, [x, y, g], attrs)],
});

export const avgPool2d: OpDef<PoolAttrs> = registerOp<PoolAttrs>({
  name: 'avgPool2d',
  arity: 1,
  doc: 'mean over each window of an NHWC image, per channel, of the pixels inside the image (padding not counted, as TF.js); NaN in a window → NaN',
  shape: pooled,
  vjp: ({ dy, inputs: [x], attrs }) => [dy.graph.apply(avgPool2dGrad, [dy], { ...attrs, inputSize: [x.shape[1] as number, x.shape[2] as number] })],
});

/** Spreads each window's dy evenly over the pixels it averaged: the gradient (and adjoint) of avgPool2d. */
export const avgPool2dGrad: OpDef<AvgPoolGradAttrs> = registerOp<AvgPoolGradAttrs>({
  name: 'avgPool2dGrad',
  arity: 1,
  doc: 'the gradient of avgPool2d: dy → [n,h,w,c], h and w from inputSize, each window’s dy shared evenly by its pixels',
  shape: ([dy], attrs) => {
    if (!pair(attrs.inputSize)) throw new RuleError(`inputSize must be [height, width], got ${JSON.stringify(attrs.inputSize)}`);
    const [n, , , c] = image(dy, 'dy');
    const x: Shape = [n, ...attrs.inputSize, c];
    poolPair(x, dy, attrs, 'dy');
    return x;
  },
  vjp: ({ dy: g, attrs: { inputSize: _, ...pool } }) => [g.graph.apply(avgPool2d, [g], pool)],
});
