/**
 * Convolutions and pooling on the GPU, NHWC. The three convolutions are implicit GEMMs on the
 * tiled product (gemm.ts) with the image operand read through the window arithmetic, zeros in
 * the padding, and no im2col buffer:
 *   conv2d               rows n·oh·ow,  columns out, K kh·kw·in   (A: image windows, B: filter)
 *   conv2dBackpropInput  rows n·h·w,    columns in,  K kh·kw·out  (A: dy at the windows that cover the pixel)
 *   conv2dBackpropFilter rows kh·kw·in, columns out, K n·oh·ow    (A: image windows transposed, B: dy; K split)
 * Pooling gradients are written from the input pixel's side (a sum over the windows that hold
 * it), so no two invocations add into one element and no atomics are needed.
 */
import { avgPool2d, avgPool2dGrad, conv2d, conv2dBackpropFilter, conv2dBackpropInput, convGeometry, maxPool2d, maxPool2dGrad, maxPool2dGradGrad, type ConvGeometry, type PoolAttrs, type WindowAttrs } from '../../ops/conv.ts';
import { conv2dBiasActivation } from '../../ops/fused.ts';
import { registerKernel, type GpuKernel, type ShapeContext } from '../registry.ts';
import { gemm, gemmScratch, type GemmSpec } from './gemm.ts';
import { activate } from './matmul.ts';
import { perElement } from './wgsl.ts';

/** The shared geometry, with strides and dilations spelt out for the WGSL templates. */
interface Geometry extends ConvGeometry {
  sy: number;
  sx: number;
  dy: number;
  dx: number;
}

function geometry(x: readonly number[], kh: number, kw: number, outC: number, attrs: WindowAttrs): Geometry {
  const [sy, sx] = attrs.strides;
  const [dy, dx] = attrs.dilations;
  return { ...convGeometry(x, kh, kw, outC, attrs), sy, sx, dy, dx };
}

/** WGSL of the image value at (base, iy, ix, channel) with i32 coordinates: 0 outside the image. */
function pixel(image: number, g: Geometry, base: string, iy: string, ix: string, channel: string): string {
  const inside = `(${iy} >= 0 && ${iy} < ${g.h} && ${ix} >= 0 && ${ix} < ${g.w})`;
  const at = `${base} + (u32(clamp(${iy}, 0, ${g.h - 1})) * ${g.w}u + u32(clamp(${ix}, 0, ${g.w - 1}))) * ${g.inC}u + ${channel}`;
  return `select(0.0, m[${image}u + ${at}], ${inside})`;
}

/** The implicit GEMM of conv2d: y[row, co] over rows (n, oy, ox), K taps (ky, kx, ci). */
function forwardSpec(x: number, f: number, g: Geometry): Omit<GemmSpec, 'store'> {
  const pixels = g.oh * g.ow;
  return {
    m: g.n * pixels,
    n: g.outC,
    k: g.kh * g.kw * g.inC,
    rowSetup: (r, s) => `  let base${s} = (${r} / ${pixels}u) * ${g.h * g.w * g.inC}u;
  let y0${s} = i32((${r} % ${pixels}u) / ${g.ow}u) * ${g.sy} - ${g.top};
  let x0${s} = i32(${r} % ${g.ow}u) * ${g.sx} - ${g.left};`,
    kSetup: (k) => `let ky = i32(${k} / ${g.kw * g.inC}u) * ${g.dy}; let kx = i32((${k} / ${g.inC}u) % ${g.kw}u) * ${g.dx}; let ci = ${k} % ${g.inC}u;`,
    loadA: (_, __, s) => pixel(x, g, `base${s}`, `y0${s} + ky`, `x0${s} + kx`, 'ci'),
    loadB: (k, col) => `m[${f}u + ${k} * ${g.outC}u + ${col}]`,
    taps: {
      count: g.kh * g.kw,
      channels: g.inC,
      setup: (t) => `let tky = i32(${t} / ${g.kw}u) * ${g.dy}; let tkx = i32(${t} % ${g.kw}u) * ${g.dx}; let fb = ${t} * ${g.inC * g.outC}u;`,
      row: (_, s) => `    let iy${s} = y0${s} + tky; let ix${s} = x0${s} + tkx;
    let ok${s} = iy${s} >= 0 && iy${s} < ${g.h} && ix${s} >= 0 && ix${s} < ${g.w};
    let at${s} = ${x}u + base${s} + (u32(clamp(iy${s}, 0, ${g.h - 1})) * ${g.w}u + u32(clamp(ix${s}, 0, ${g.w - 1}))) * ${g.inC}u;`,
      loadA: (s, c) => `select(0.0, m[at${s} + ${c}], ok${s})`,
      loadB: (c, col) => `m[${f}u + fb + ${c} * ${g.outC}u + ${col}]`,
    },
  };
}

const forwardGeometry = ({ inputShapes: [x, f], attrs }: ShapeContext<WindowAttrs>) => geometry(x, f[0], f[1], f[3], attrs);

const convForward: GpuKernel<WindowAttrs> = {
  scratch: (ctx) => gemmScratch({ ...forwardSpec(0, 0, forwardGeometry(ctx)), store: () => '' }),
  dispatches: (ctx) => {
    const g = forwardGeometry(ctx);
    return gemm({ ...forwardSpec(ctx.inputs[0], ctx.inputs[1], g), store: (r, c, v) => `m[${ctx.output}u + ${r} * ${g.outC}u + ${c}] = ${v};` }, ctx.scratch);
  },
};
registerKernel(conv2d, 'webgpu', convForward);

registerKernel(conv2dBiasActivation, 'webgpu', {
  scratch: (ctx) => gemmScratch({ ...forwardSpec(0, 0, forwardGeometry(ctx)), store: () => '' }),
  dispatches: (ctx) => {
    const g = forwardGeometry(ctx);
    const bias = ctx.inputs[2];
    const store: GemmSpec['store'] = (r, c, v) => `m[${ctx.output}u + ${r} * ${g.outC}u + ${c}] = ${activate(ctx.attrs.activation, `${v} + m[${bias}u + ${c}]`)};`;
    return gemm({ ...forwardSpec(ctx.inputs[0], ctx.inputs[1], g), store }, ctx.scratch);
  },
});

/**
 * dx[(n, iy, ix), ci] = Σ over taps (ky, kx, co) of dy at the output pixel whose window puts tap
 * (ky, kx) on (iy, ix), times f[ky, kx, ci, co]; a tap that no window puts there reads 0.
 */
function inputSpec(dyAt: number, f: number, g: Geometry): Omit<GemmSpec, 'store'> {
  const pixels = g.h * g.w;
  const covered = (num: string, stride: number, out: number) => `(${num} >= 0 && ${num} % ${stride} == 0 && ${num} / ${stride} < ${out})`;
  return {
    m: g.n * pixels,
    n: g.inC,
    k: g.kh * g.kw * g.outC,
    rowSetup: (r, s) => `  let base${s} = (${r} / ${pixels}u) * ${g.oh * g.ow * g.outC}u;
  let iy${s} = i32((${r} % ${pixels}u) / ${g.w}u) + ${g.top};
  let ix${s} = i32(${r} % ${g.w}u) + ${g.left};`,
    kSetup: (k) => `let ky = i32(${k} / ${g.kw * g.outC}u); let kx = i32((${k} / ${g.outC}u) % ${g.kw}u); let co = ${k} % ${g.outC}u;`,
    loadA: (_, __, s) => {
      const ny = `(iy${s} - ky * ${g.dy})`;
      const nx = `(ix${s} - kx * ${g.dx})`;
      const at = `base${s} + (u32(clamp(${ny} / ${g.sy}, 0, ${g.oh - 1})) * ${g.ow}u + u32(clamp(${nx} / ${g.sx}, 0, ${g.ow - 1}))) * ${g.outC}u + co`;
      return `select(0.0, m[${dyAt}u + ${at}], ${covered(ny, g.sy, g.oh)} && ${covered(nx, g.sx, g.ow)})`;
    },
    loadB: (_, col) => `m[${f}u + (u32(ky * ${g.kw} + kx) * ${g.inC}u + ${col}) * ${g.outC}u + co]`,
    taps: {
      count: g.kh * g.kw,
      channels: g.outC,
      setup: (t) => `let tky = i32(${t} / ${g.kw}u); let tkx = i32(${t} % ${g.kw}u); let fb = ${t} * ${g.inC * g.outC}u;`,
      row: (_, s) => {
        const ny = `ny${s}`;
        const nx = `nx${s}`;
        return `    let ${ny} = iy${s} - tky * ${g.dy}; let ${nx} = ix${s} - tkx * ${g.dx};
    let ok${s} = ${covered(ny, g.sy, g.oh)} && ${covered(nx, g.sx, g.ow)};
    let at${s} = ${dyAt}u + base${s} + (u32(clamp(${ny} / ${g.sy}, 0, ${g.oh - 1})) * ${g.ow}u + u32(clamp(${nx} / ${g.sx}, 0, ${g.ow - 1}))) * ${g.outC}u;`;
      },
      loadA: (s, c) => `select(0.0, m[at${s} + ${c}], ok${s})`,
      loadB: (c, col) => `m[${f}u + fb + ${col} * ${g.outC}u + ${c}]`,
    },
  };
}

const inputGeometry = ({ inputShapes: [dy, f], attrs }: ShapeContext<WindowAttrs & { inputSize: readonly [number, number] }>) =>
  geometry([dy[0], attrs.inputSize[0], attrs.inputSize[1], f[2]], f[0], f[1], f[3], attrs);

registerKernel(conv2dBackpropInput, 'webgpu', {
  scratch: (ctx) => gemmScratch({ ...inputSpec(0, 0, inputGeometry(ctx)), store: () => '' }),
  dispatches: (ctx) => {
    const g = inputGeometry(ctx);
    return gemm({ ...inputSpec(ctx.inputs[0], ctx.inputs[1], g), store: (r, c, v) => `m[${ctx.output}u + ${r} * ${g.inC}u + ${c}] = ${v};` }, ctx.scratch);
  },
});

/** df[(ky, kx, ci), co] = Σ over output pixels (n, oy, ox) of x at the tap, times dy[(n, oy, ox), co]. */
function filterSpec(x: number, dyAt: number, g: Geometry): Omit<GemmSpec, 'store'> {
  const pixels = g.oh * g.ow;
  return {
    m: g.kh * g.kw * g.inC,
    n: g.outC,
    k: g.n * pixels,
    rowSetup: (r, s) => `  let ky${s} = i32(${r} / ${g.kw * g.inC}u) * ${g.dy} - ${g.top};
  let kx${s} = i32((${r} / ${g.inC}u) % ${g.kw}u) * ${g.dx} - ${g.left};
  let ci${s} = ${r} % ${g.inC}u;`,
    kSetup: (k) => `let nb = (${k} / ${pixels}u) * ${g.h * g.w * g.inC}u; let oy = i32((${k} % ${pixels}u) / ${g.ow}u) * ${g.sy}; let ox = i32(${k} % ${g.ow}u) * ${g.sx};`,
    loadA: (_, __, s) => pixel(x, g, 'nb', `oy + ky${s}`, `ox + kx${s}`, `ci${s}`),
    loadB: (k, col) => `m[${dyAt}u + ${k} * ${g.outC}u + ${col}]`,
  };
}

const filterGeometry = ({ inputShapes: [x, dy], attrs }: ShapeContext<WindowAttrs & { filterSize: readonly [number, number] }>) =>
  geometry(x, attrs.filterSize[0], attrs.filterSize[1], dy[3], attrs);

registerKernel(conv2dBackpropFilter, 'webgpu', {
  scratch: (ctx) => gemmScratch({ ...filterSpec(0, 0, filterGeometry(ctx)), store: () => '' }),
  dispatches: (ctx) => {
    const g = filterGeometry(ctx);
    return gemm({ ...filterSpec(ctx.inputs[0], ctx.inputs[1], g), store: (r, c, v) => `m[${ctx.output}u + ${r} * ${g.outC}u + ${c}] = ${v};` }, ctx.scratch);
  },
});

// --- pooling ---

/** WGSL that walks the in-image pixels of output window `o` (pixel index p = iy·w + ix), running `visit`. */
function eachPixelOf(g: Geometry, ph: number, pw: number, visit: string): string {
  return `  for (var i = 0; i < ${ph}; i++) {
    let iy = wy + i * ${g.dy};
    if (iy < 0 || iy >= ${g.h}) { continue; }
    for (var j = 0; j < ${pw}; j++) {
      let ix = wx + j * ${g.dx};
      if (ix < 0 || ix >= ${g.w}) { continue; }
      let at = imageBase + (u32(iy) * ${g.w}u + u32(ix)) * ${g.inC}u;
      ${visit}
    }
  }`;
}

/** WGSL setting, for output element `o`: its window's corner (wy, wx) and imageBase (batch item and channel). */
function windowOf(g: Geometry, o: string): string {
  return `  let c = ${o} % ${g.inC}u;
  let q = (${o} / ${g.inC}u) % ${g.ow}u;
  let r = (${o} / ${g.inC * g.ow}u) % ${g.oh}u;
  let imageBase = (${o} / ${g.inC * g.ow * g.oh}u) * ${g.h * g.w * g.inC}u + c;
  let wy = i32(r) * ${g.sy} - ${g.top};
  let wx = i32(q) * ${g.sx} - ${g.left};`;
}

const poolGeometry = (image: readonly number[], attrs: PoolAttrs) => geometry(image, attrs.poolSize[0], attrs.poolSize[1], image[3], attrs);
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

registerKernel(maxPool2d, 'webgpu', {
  dispatches: ({ inputs: [x], inputShapes: [shape], outputShape, output, attrs }) => {
    const g = poolGeometry(shape, attrs);
    return [perElement(size(outputShape), `${windowOf(g, 'i')}\n  var top = -INF;\n${eachPixelOf(g, ...attrs.poolSize, `top = maximum_(top, m[${x}u + at]);`)}\n  m[${output}u + i] = top;`)];
  },
});

/** WGSL counting the window's elements equal to its maximum `top` into `ties`. */
function countTies(g: Geometry, x: number, attrs: PoolAttrs): string {
  return `  var ties = 0.0;\n${eachPixelOf(g, ...attrs.poolSize, `if (m[${x}u + at] == top) { ties += 1.0; }`)}`;
}

registerKernel(maxPool2dGradGrad, 'webgpu', {
  dispatches: ({ inputs: [x, y, gIn], inputShapes: [shape], outputShape, output, attrs }) => {
    const g = poolGeometry(shape, attrs);
    return [
      perElement(
        size(outputShape),
        `${windowOf(g, 'i')}
  let top = m[${y}u + i];
${countTies(g, x, attrs)}
  var s = select(0.0, NAN, ties == 0.0);
${eachPixelOf(g, ...attrs.poolSize, `if (m[${x}u + at] == top) { s += m[${gIn}u + at]; }`)}
  m[${output}u + i] = div_(s, ties);`,
      ),
    ];
  },
});

/**
 * WGSL that walks, for input element i at (b, py, px, c), the output windows holding it:
 * window (r, q) with tap (ti, tj) on the pixel; runs `visit` with `o` the window's output index.
 */
function eachWindowOf(g: Geometry, ph: number, pw: number, visit: string): string {
  return `  let c = i % ${g.inC}u;
  let px = i32((i / ${g.inC}u) % ${g.w}u);
  let py = i32((i / ${g.inC * g.w}u) % ${g.h}u);
  let b = i / ${g.inC * g.w * g.h}u;
  let imageBase = b * ${g.h * g.w * g.inC}u + c;
  for (var ti = 0; ti < ${ph}; ti++) {
    let ny = py + ${g.top} - ti * ${g.dy};
    if (ny < 0 || ny % ${g.sy} != 0 || ny / ${g.sy} >= ${g.oh}) { continue; }
    let r = ny / ${g.sy};
    for (var tj = 0; tj < ${pw}; tj++) {
      let nx = px + ${g.left} - tj * ${g.dx};
      if (nx < 0 || nx % ${g.sx} != 0 || nx / ${g.sx} >= ${g.ow}) { continue; }
      let q = nx / ${g.sx};
      let o = ((b * ${g.oh}u + u32(r)) * ${g.ow}u + u32(q)) * ${g.inC}u + c;
      let wy = r * ${g.sy} - ${g.top};
      let wx = q * ${g.sx} - ${g.left};
      ${visit}
    }
  }`;
}

registerKernel(maxPool2dGrad, 'webgpu', {
  dispatches: ({ inputs: [x, y, dyAt], inputShapes: [shape], output, attrs }) => {
    const g = poolGeometry(shape, attrs);
    const [ph, pw] = attrs.poolSize;
    if (g.sy === ph && g.sx === pw && g.top === 0 && g.left === 0 && g.dy === 1 && g.dx === 1) return [tiledMaxPoolGrad(g, ph, pw, x, y, dyAt, output)];
    const visit = `let top = m[${y}u + o];
${countTies(g, x, attrs)}
      if (ties == 0.0 || m[${x}u + i] == top) { s += div_(m[${dyAt}u + o], ties); }`;
    return [perElement(size(shape), `  var s = 0.0;\n${eachWindowOf(g, ph, pw, visit)}\n  m[${output}u + i] = s;`)];
  },
});

/**
 * maxPool2dGrad when the windows tile the image (stride = pool size, no padding): each pixel is in
 * at most one window, found by division, without the search over windows.
 */
function tiledMaxPoolGrad(g: Geometry, ph: number, pw: number, x: number, y: number, dyAt: number, output: number) {
  return perElement(
    g.n * g.h * g.w * g.inC,
    `  let c = i % ${g.inC}u;
  let px = (i / ${g.inC}u) % ${g.w}u;
  let py = (i / ${g.inC * g.w}u) % ${g.h}u;
  let b = i / ${g.inC * g.w * g.h}u;
  let r = py / ${ph}u;
  let q = px / ${pw}u;
  if (r >= ${g.oh}u || q >= ${g.ow}u) { m[${output}u + i] = 0.0; return; }
  let o = ((b * ${g.oh}u + r) * ${g.ow}u + q) * ${g.inC}u + c;
  let top = m[${y}u + o];
  let corner = ((b * ${g.h}u + r * ${ph}u) * ${g.w}u + q * ${pw}u) * ${g.inC}u + c;
  var ties = 0.0;
  for (var u = 0u; u < ${ph}u; u++) {
    for (var v = 0u; v < ${pw}u; v++) { if (m[${x}u + corner + (u * ${g.w}u + v) * ${g.inC}u] == top) { ties += 1.0; } }
  }
  let mine = ties == 0.0 || m[${x}u + i] == top;
  m[${output}u + i] = select(0.0, div_(m[${dyAt}u + o], ties), mine);`,
  );
}

/** WGSL of the in-image pixels of the window at (wy, wx): what avgPool2d divides by. */
function pixelCount(g: Geometry, ph: number, pw: number): string {
  return `f32(inside(wy, ${ph}, ${g.dy}, ${g.h}) * inside(wx, ${pw}, ${g.dx}, ${g.w}))`;
}
const insideFn = `
fn inside(start: i32, taps: i32, dilation: i32, length: i32) -> i32 {
  var k = 0;
  for (var t = 0; t < taps; t++) { let p = start + t * dilation; if (p >= 0 && p < length) { k++; } }
  return k;
}`;

registerKernel(avgPool2d, 'webgpu', {
  dispatches: ({ inputs: [x], inputShapes: [shape], outputShape, output, attrs }) => {
    const g = poolGeometry(shape, attrs);
    const [ph, pw] = attrs.poolSize;
    return [perElement(size(outputShape), `${windowOf(g, 'i')}\n  var s = 0.0;\n${eachPixelOf(g, ph, pw, `s += m[${x}u + at];`)}\n  m[${output}u + i] = s / ${pixelCount(g, ph, pw)};`, insideFn)];
  },
});

registerKernel(avgPool2dGrad, 'webgpu', {
  dispatches: ({ inputs: [dyAt], outputShape, output, attrs }) => {
    const g = poolGeometry(outputShape, attrs);
    const [ph, pw] = attrs.poolSize;
    const visit = `s += m[${dyAt}u + o] / ${pixelCount(g, ph, pw)};`;
    return [perElement(size(outputShape), `  var s = 0.0;\n${eachWindowOf(g, ph, pw, visit)}\n  m[${output}u + i] = s;`, insideFn)];
  },
});
