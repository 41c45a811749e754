/**
 * Data movement on the GPU, one invocation per output element (reshape and stopGradient are
 * aliases: no kernel): transpose, slice, pad, concat, gather and its gradient, the phase switch,
 * and dropout's mask. gatherGrad adds, for each element of x's shape, the dy slices whose index
 * points at it, so no two invocations write one element (no atomics, the same sum every run);
 * that reads every index once per element: fine for embeddings of a few thousand rows.
 */
import { normalizeAxes } from '../../core/shape-rules.ts';
import { concat, gather, gatherGrad, pad, slice, transpose } from '../../ops/movement.ts';
import { inTrainPhase } from '../../ops/phase.ts';
import { dropoutMask } from '../../ops/random.ts';
import { registerKernel, type GpuKernelContext } from '../registry.ts';
import { checkLabel } from './softmax.ts';
import { strides, stridedIndex } from './indexing.ts';
import { f32, perElement } from './wgsl.ts';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** WGSL of output element i's coordinate along `axis` of `shape`. */
function coordinate(shape: readonly number[], axis: number, index = 'i'): string {
  const own = strides(shape);
  return `((${index} / ${own[axis]}u) % ${shape[axis]}u)`;
}

registerKernel(transpose, 'webgpu', {
  dispatches: ({ inputs: [x], inputShapes: [shape], outputShape, output, attrs: { perm } }) => {
    const own = strides(shape);
    return [perElement(size(outputShape), `  m[${output}u + i] = m[${x}u + ${stridedIndex('i', outputShape, perm.map((p) => own[p]))}];`)];
  },
});

registerKernel(slice, 'webgpu', {
  dispatches: ({ inputs: [x], inputShapes: [shape], outputShape, output, attrs: { begin } }) => {
    const own = strides(shape);
    const start = begin.reduce((s, b, d) => s + b * own[d], 0);
    return [perElement(size(outputShape), `  m[${output}u + i] = m[${x + start}u + ${stridedIndex('i', outputShape, own)}];`)];
  },
});

registerKernel(pad, 'webgpu', {
  dispatches: ({ inputs: [x], inputShapes: [shape], outputShape, output, attrs: { paddings, constantValue } }) => {
    const own = strides(shape);
    const lines: string[] = ['  var at = 0u;', '  var inside = true;'];
    paddings.forEach(([before], d) => {
      lines.push(`  { let c = i32(${coordinate(outputShape, d)}) - ${before}; inside = inside && c >= 0 && c < ${shape[d]}; at += u32(max(c, 0)) * ${own[d]}u; }`);
    });
    lines.push(`  m[${output}u + i] = select(${f32(constantValue)}, m[${x}u + min(at, ${Math.max(size(shape) - 1, 0)}u)], inside);`);
    return [perElement(size(outputShape), lines.join('\n'))];
  },
});

registerKernel(concat, 'webgpu', {
  dispatches: ({ inputs: [a, b], inputShapes: [sa, sb], outputShape, output, attrs }) => {
    const axis = normalizeAxes(attrs.axis, sa.length)[0];
    const inner = size(sa.slice(axis + 1));
    const [ra, rb] = [sa[axis] * inner, sb[axis] * inner];
    // Row o of the output is row o of a (ra values), then row o of b (rb values).
    return [
      perElement(
        size(outputShape),
        `  let o = i / ${ra + rb}u;
  let j = i % ${ra + rb}u;
  m[${output}u + i] = select(m[${b}u + o * ${rb}u + j - ${ra}u], m[${a}u + o * ${ra}u + min(j, ${Math.max(ra - 1, 0)}u)], j < ${ra}u);`,
      ),
    ];
  },
});

/** (outer, length, inner) around the gathered axis of x. */
function aroundGathered(shape: readonly number[], axis: number): [number, number, number] {
  const k = normalizeAxes(axis, shape.length)[0];
  return [size(shape.slice(0, k)), shape[k], size(shape.slice(k + 1))];
}

registerKernel(gather, 'webgpu', {
  dispatches: (ctx) => {
    const { inputs: [x, indices], inputShapes: [shape, indexShape], outputShape, output, attrs } = ctx;
    const [, length, inner] = aroundGathered(shape, attrs.axis);
    const n = size(indexShape);
    return [
      perElement(
        size(outputShape),
        `  let o = i / ${n * inner}u;
  let j = (i / ${inner}u) % ${n}u;
${badIndex(ctx, `m[${indices}u + j]`, 'j', length)}
    m[${output}u + i] = NAN; return;
  }
  m[${output}u + i] = m[${x}u + (o * ${length}u + id) * ${inner}u + i % ${inner}u];`,
      ),
    ];
  },
});

registerKernel(gatherGrad, 'webgpu', {
  dispatches: (ctx) => {
    const { inputs: [dy, indices], inputShapes: [, indexShape, shape], output, attrs } = ctx;
    const [, length, inner] = aroundGathered(shape, attrs.axis);
    const n = size(indexShape);
    return [
      perElement(
        size(shape),
        `  let o = i / ${length * inner}u;
  let l = (i / ${inner}u) % ${length}u;
  let k = i % ${inner}u;
  var s = 0.0;
  for (var j = 0u; j < ${n}u; j++) {
${badIndex(ctx, `m[${indices}u + j]`, 'j', length)}
      s = NAN; continue;
    }
    if (id == l) { s += m[${dy}u + (o * ${n}u + j) * ${inner}u + k]; }
  }
  m[${output}u + i] = s;`,
      ),
    ];
  },
});

/** An index that is not a whole number in [0, length) is reported (the fault slot) as the CPU kernels refuse it. */
function badIndex(ctx: GpuKernelContext, value: string, position: string, length: number): string {
  return checkLabel(ctx, value, position, length);
}

registerKernel(inTrainPhase, 'webgpu', {
  dispatches: ({ inputs: [a, b], outputShape, output, training }) => [perElement(size(outputShape), `  m[${output}u + i] = m[${training ? a : b}u + i];`)],
});

/**
 * Dropout's mask from a counter-based hash of (seed, step, element): a new mask each step, the
 * step counted on the GPU in the kernel's state, so a step needs nothing from the CPU. (Masks
 * differ from the CPU backends' stream: equally random, not the same draws.)
 */
registerKernel(dropoutMask, 'webgpu', {
  state: () => 1,
  dispatches: ({ outputShape, output, attrs: { rate, seed }, training, state }) => {
    const n = size(outputShape);
    if (!training) return [perElement(n, `  m[${output}u + i] = 1.0;`)];
    const hash = `
fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}`;
    const draw = `f32(pcg(i ^ pcg(u32(m[${state}u]) ^ pcg(${seed >>> 0}u))) >> 8u) / 16777216.0`;
    return [perElement(n, `  m[${output}u + i] = select(${f32(1 / (1 - rate))}, 0.0, ${draw} < ${f32(rate)});`, hash), perElement(1, `  m[${state}u] = m[${state}u] + 1.0;`)];
  },
});
