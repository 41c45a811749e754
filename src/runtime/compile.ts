/**
 * `compile(graph, {outputs, updates})` turns a graph into a Program: the graph passes, then the
 * nodes needed for the outputs and the updates, in order, run on one Device. A training step —
 * forward pass, gradients and parameter updates — is one program (Theano's
 * function(inputs, outputs, updates)).
 */
import { checkOptionNames, formatValue, GraphError } from '../core/errors.ts';
import { ancestors, describeNode, type IR, type Node } from '../core/ir.ts';
import { formatBytes, MAX_ELEMENTS } from '../core/limits.ts';
import { formatShape, sameShape } from '../core/shape.ts';
import { callSite } from '../core/site.ts';
import { isOp, ops } from '../ops/index.ts';
import type { Graph } from '../graph/graph.ts';
import { optimize, passNames, type PassName } from '../graph/passes/index.ts';
import type { Tensor } from '../graph/tensor.ts';
import { Device } from './device.ts';
import type { Precision } from './memory.ts';
import { Program } from './program.ts';

/** Options of {@link compile}. */
export interface CompileOptions {
  /** The tensors `run` returns, in order. */
  outputs: readonly Tensor[];
  /**
   * Parameter updates `[parameter, newValue]`, applied after the outputs are computed, all
   * together (every new value is computed before any parameter is written).
   */
  updates?: readonly (readonly [Tensor, Tensor])[];
  /** Precision of every float tensor: 'float32' (default, fast) or 'float64' (gradient checks). */
  dtype?: Precision;
  /** Run on this device, sharing parameters with its other programs (its dtype wins). Default: a new one. */
  device?: Device;
  /**
   * Whether this program trains: dropout drops, `inTrainPhase` takes its first branch, and the
   * graph's training updates (`addTrainingUpdate`: batchNorm's moving statistics) of the nodes it
   * computes are applied with `updates`. Default: true when the program has updates, false
   * otherwise.
   */
  training?: boolean;
  /**
   * Graph passes to leave out ('fuse-updates', 'fuse-softmax-cross-entropy', 'fuse-dense', 'fuse-conv',
   * 'mask-before-pool', 'fuse-relu-grad'): to
   * hold a fused program against the plain one, or to debug a fused kernel.
   */
  skipPasses?: readonly PassName[];
  /**
   * Scan every kernel's output for NaN and infinities and throw a NumericsError at the first:
   * the op, the node, its input ranges, the user's line, and for a gradient node the forward op
   * it is the gradient of (like tf.debugging.enableCheckNumerics). Slower: for finding the op
   * that made a NaN, not for training. Default: off, unless the environment variable
   * DELTAGRAPH_CHECK_NUMERICS is 1; when off it costs nothing. The speed-only fusions are
   * skipped so that every op is the one the user wrote.
   */
  checkNumerics?: boolean;
}

/** Whether DELTAGRAPH_CHECK_NUMERICS=1 (or true) asks every program to check numerics. */
export function checkNumericsByDefault(): boolean {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DELTAGRAPH_CHECK_NUMERICS;
  return value === '1' || value === 'true';
}

/** Fusions that only save time: left out when checking numerics, so each node is a user's op. */
const speedOnlyPasses: readonly PassName[] = ['fuse-dense', 'fuse-conv', 'fuse-updates', 'mask-before-pool', 'fuse-relu-grad'];

/**
 * Compiles a graph into a program.
 *
 * @example
 * const step = compile(g, { outputs: [loss], updates: [[w, w.sub(dw.mul(0.5))]], dtype: 'float64' });
 * const [lossValue] = step.run({ x: xs, y: ys });
 */
export function compile(graph: Graph, options: CompileOptions): Program {
  const site = callSite();
  if (options === undefined || options === null) throw new GraphError('compile(graph, { outputs }): the options are required', site);
  checkOptionNames('compile', options, ['outputs', 'updates', 'dtype', 'device', 'training', 'skipPasses', 'checkNumerics']);
  const { outputs, updates: given = [] } = options;
  if (!Array.isArray(outputs)) throw new GraphError('compile: options.outputs must be an array of tensors', site);
  for (const t of [...outputs, ...given.flat()]) {
    if (t?.graph !== graph) throw new GraphError('compile: every output and update must be a tensor of this graph', site);
  }
  const training = options.training ?? given.length > 0;
  // A training program also keeps up the state of what it computes (batchNorm's moving statistics).
  const computed = new Set(ancestors(graph.ir().nodes, [...outputs, ...given.map(([, v]) => v)].map((t) => t.id)));
  const stateUpdates = training ? graph.trainingUpdates.filter((u) => computed.has(u.when.id)) : [];
  const updates = [...given, ...stateUpdates.map((u) => [u.state, u.value] as const)];
  const seen = new Set<number>();
  for (const [param, value] of updates) {
    if (!isOp(param.node, ops.parameter)) throw new GraphError(`compile: an update must target a parameter, not ${describeNode(param.node)}`, site);
    if (seen.has(param.id)) {
      const state = stateUpdates.some((u) => u.state === param) ? ' (by the updates given and by its training update: leave it out of updates)' : '';
      throw new GraphError(`compile: parameter '${param.name}' is updated twice${state}`, site);
    }
    seen.add(param.id);
    if (value.dtype !== 'float' || !sameShape(param.shape, value.shape)) {
      throw new GraphError(
        `compile: the update of '${param.name}' ${formatShape(param.shape)} has shape ${formatShape(value.shape)}${value.dtype === 'int' ? ' and is int' : ''}`,
        site,
      );
    }
  }
  if (options.device && options.dtype && options.device.dtype !== options.dtype) {
    throw new GraphError(`compile: dtype '${options.dtype}' differs from the device's '${options.device.dtype}'`, site);
  }
  for (const name of options.skipPasses ?? []) {
    if (!passNames.includes(name)) throw new GraphError(`compile: unknown pass '${String(name)}' in skipPasses; the passes are ${passNames.join(', ')}`, site);
  }
  if (options.device?.isDisposed) throw new GraphError('compile: the device was disposed', site);
  const device = options.device ?? new Device({ dtype: options.dtype ?? 'float32' });
  if (options.checkNumerics && options.device?.gpu) {
    throw new GraphError("compile: checkNumerics scans every kernel's output on the CPU; to find the op that made a NaN, compile this program for a 'wasm' device", site);
  }
  // The environment's default asks every CPU program; a WebGPU device cannot scan its kernels' outputs.
  const checkNumerics = options.checkNumerics ?? (options.device?.gpu ? false : checkNumericsByDefault());
  if (typeof checkNumerics !== 'boolean') throw new GraphError(`compile: checkNumerics must be true or false, got ${formatValue(checkNumerics)}`, site);
  const updateIds = updates.map(([p, v]) => [p.id, v.id] as const);
  const skip = [...(options.skipPasses ?? []), ...(checkNumerics ? speedOnlyPasses : [])];
  const ir = optimize(graph.ir(), { outputs: outputs.map((t) => t.id), updates: updateIds }, skip, training);
  const roots = [...outputs.map((t) => t.id), ...updates.map(([, v]) => v.id)];
  const schedule = ancestors(ir.nodes, roots);
  refuseParametersBeyondDevice(ir, schedule, device, site);
  return new Program(
    ir,
    device,
    schedule,
    outputs.map((t) => t.id),
    updateIds,
    training,
    checkNumerics,
  );
}

/**
 * Refuses a program whose parameters (optimizer state included: it is parameters too) do not fit
 * beside what its device holds already, before any is filled: the largest named, with their lines.
 */
function refuseParametersBeyondDevice(ir: IR, schedule: readonly number[], device: Device, site: string | undefined): void {
  const sizeOf = (n: Node) => (n.shape as number[]).reduce((a, b) => a * b, 1);
  const placing = schedule.map((id) => ir.nodes[id]).filter((n) => isOp(n, ops.parameter) && !device.hasParameter(n.name!));
  const needed = placing.reduce((sum, n) => sum + sizeOf(n), 0);
  if (device.size + needed <= MAX_ELEMENTS) return;
  const width = device.dtype === 'float32' ? 4 : 8;
  const largest = [...placing].sort((a, b) => sizeOf(b) - sizeOf(a));
  const named = largest.slice(0, 3).map((n) => `'${n.name}' ${formatShape(n.shape)} ${formatBytes(sizeOf(n) * width)}${n.site ? ` (${n.site})` : ''}`);
  const rest = largest.slice(3);
  if (rest.length > 0) named.push(`${rest.length} more (${formatBytes(rest.reduce((sum, n) => sum + sizeOf(n), 0) * width)})`);
  const held = device.size > 0 ? ` beside the ${formatBytes(device.size * width)} the device holds already` : '';
  throw new GraphError(
    `compile: the parameters of this program need ${formatBytes(needed * width)} as ${device.dtype} (${needed.toLocaleString('en-US')} values)${held}, more than the ${formatBytes(MAX_ELEMENTS * width)} a device holds; the largest: ${named.join(', ')}. Nothing was allocated`,
    site,
  );
}
