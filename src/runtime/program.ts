/**
 * A compiled program: runs its plan for the shapes of the feeds (making and caching one plan per
 * batch size), copies the feeds in, calls the kernels, applies the updates, and returns the
 * outputs as views on its device's memory. After the first run for a batch size nothing is allocated.
 */
import { formatValue, RunError } from '../core/errors.ts';
import { describeNode } from '../core/ir.ts';
import { hasTrait, isOp, ops } from '../ops/index.ts';
import { kernelOf } from '../backends/index.ts';
import type { IR } from '../core/ir.ts';
import { formatShape } from '../core/shape.ts';
import type { FloatArray } from '../backends/index.ts';
import type { Device, DeviceRows } from './device.ts';
import type { GpuStepStats } from './gpu-steps.ts';
import { Plan, type PlanInput, type PlanStats } from './plan.ts';

/** A fed value: flat data (its shape inferred from the declared one) or data with a shape. */
export type Feed =
  | ArrayLike<number>
  | {
      /** The values, row-major. */
      readonly data: ArrayLike<number>;
      /** Their shape. */
      readonly shape: readonly number[];
    };
/** The feeds of a run, by input name. */
export type Feeds = Readonly<Record<string, Feed>>;

/** A run prepared for fixed input shapes: fill the inputs in place, then run. */
export interface PreparedRun {
  /** The buffer of an input in the program memory (valid until the memory grows: ask again each time). */
  input(name: string): FloatArray;
  /**
   * Fills input `name` with rows order[start .. start + n) of rows uploaded to the program's
   * device (`device.uploadRows`), without a copy in JS per row: how `fit` feeds batches.
   */
  gather(name: string, rows: DeviceRows, order: Int32Array, start: number, n: number): void;
  /** Runs the program on the inputs as filled; returns the outputs as views that the next run overwrites (CPU devices; on a WebGPU device use `submit` or `runAsync`). */
  run(): FloatArray[];
  /**
   * Runs the step without reading anything back: on a WebGPU device one submit, nothing waited
   * for. With `keep`, the step's outputs are kept (on the GPU) until `readKept`.
   */
  submit(options?: { keep?: boolean }): void;
  /** The outputs of the steps submitted with `keep` since the last call, one array of outputs per step. */
  readKept(): Promise<FloatArray[][]>;
  /** Runs the step and resolves to copies of the outputs, read back after it (any device). */
  runAsync(): Promise<FloatArray[]>;
}

/**
 * Plans a program keeps, the most recently used: a long-lived predictor fed many batch sizes keeps
 * its memory bounded (an evicted plan's buffers are reused; it is made again when needed).
 */
export const MAX_PLANS = 8;

/**
 * A compiled graph ({@link compile}): `run(feeds)` computes the outputs and applies the updates. It
 * makes a plan (shapes, buffers, kernels) once per set of input shapes and keeps the 8 most recent.
 *
 * @example
 * const [lossValue] = step.run({ x: xs, y: ys });
 * console.log(lossValue[0]);
 */
export class Program {
  /** Plans by input shapes, least recently used first. */
  private readonly plans = new Map<string, Plan>();
  private disposed = false;
  private current: Plan | null = null;
  /** Names of the inputs this program reads, in graph order. */
  readonly inputNames: readonly string[];
  /** Names of every input of the graph: a feed for anything else is a mistake (a typo). */
  private readonly graphInputs: ReadonlySet<string>;

  constructor(
    /** The graph it runs, as compiled (after the passes). */
    readonly ir: IR,
    /** The device it runs on. */
    readonly device: Device,
    private readonly schedule: readonly number[],
    private readonly outputs: readonly number[],
    private readonly updates: readonly (readonly [number, number])[],
    /** Whether it is a training program (dropout drops, training updates apply). */
    readonly training: boolean,
    /** Whether every kernel's output is scanned for NaN and infinities (see compile's checkNumerics). */
    readonly checkNumerics = false,
  ) {
    this.inputNames = schedule.filter((id) => isOp(ir.nodes[id], ops.input)).map((id) => ir.nodes[id].name!);
    this.graphInputs = new Set(ir.nodes.filter((n) => isOp(n, ops.input)).map((n) => n.name!));
    if (device.gpu) this.checkGpuKernels();
    // Parameters get their place in the memory now, so they can be read and written before a run.
    for (const id of schedule) {
      const node = ir.nodes[id];
      if (isOp(node, ops.parameter)) device.memory.parameter(node.name!, node.shape as number[], ir.init.get(id)!);
    }
  }

  /**
   * Runs the program. Returns one array per output, in order: views on the program's memory that
   * the next run overwrites (copy with `.slice()` to keep one). On a WebGPU device use `runAsync`.
   */
  run(feeds: Feeds = {}): FloatArray[] {
    return this.execute(this.fed(feeds));
  }

  /**
   * Runs the program and resolves to copies of its outputs, on any device. On a WebGPU device
   * this is how a program runs: the step is one submit, and the outputs are read back after it.
   *
   * @example
   * const device = await Device.create({ backend: 'webgpu' });
   * const [loss] = await compile(g, { outputs: [loss], device }).runAsync({ x, y });
   */
  async runAsync(feeds: Feeds = {}): Promise<FloatArray[]> {
    const plan = this.fed(feeds);
    if (!this.device.gpu) return this.execute(plan).map((v) => v.slice());
    await plan.ready();
    return this.submitted(plan, true)!;
  }

  /** The plan for these feeds, with the feeds copied into its inputs. */
  private fed(feeds: Feeds): Plan {
    if (this.disposed) throw new RunError('run: the program was disposed');
    this.checkNotRunning();
    checkFeedsObject(feeds);
    // Checked on every run, not only when a plan is made: a misspelt name must never pass.
    for (const name in feeds) if (!this.graphInputs.has(name)) throw this.unknownInput(name);
    let plan = this.current;
    if (plan === null || !fitsPlan(plan, feeds)) plan = this.planFor(feeds);
    plan.bindIfStale(); // the input views must be current before the feeds go in
    const inputs = plan.inputs;
    for (let k = 0; k < inputs.length; k++) copyFeed(inputs[k], feeds[inputs[k].name], this.device.dtype);
    return plan;
  }

  /** Submits a step of a plan on a WebGPU device; with `read`, resolves to its outputs (errors WebGPU reported included). */
  private submitted(plan: Plan, read: boolean, keep = false): Promise<FloatArray[]> | null {
    this.current = plan;
    const reading = plan.submit(this.device.takeRowCopies(), read, keep);
    if (!reading) return null;
    const gpu = this.device.gpu!;
    return reading.then(async (values) => {
      await gpu.checkErrors();
      return values;
    });
  }

  /**
   * On a WebGPU device every op must have a WGSL kernel: one that has none is refused here, when
   * the program is compiled, naming the op and the line that built it (never moved to the CPU
   * behind the user's back).
   */
  private checkGpuKernels(): void {
    const missing = this.schedule.map((id) => this.ir.nodes[id]).filter((n) => n.inputs.length > 0 && !hasTrait(n, 'alias') && !kernelOf(n.op, 'webgpu'));
    if (missing.length === 0) return;
    const names = [...new Set(missing.map((n) => n.op))];
    const first = missing[0];
    throw new RunError(
      `compile: ${names.length === 1 ? 'op' : 'ops'} ${names.map((n) => `'${n}'`).join(', ')} ${names.length === 1 ? 'has' : 'have'} no WebGPU kernel (first: ${describeNode(first)}); compile this program for a 'wasm' device, or register a kernel with registerKernel(op, 'webgpu', …)`,
      `%${first.id}`,
      first.site,
    );
  }

  /**
   * @internal For profile.ts: runs the plan of the most recent run again on the inputs as they
   * are (a step as `run()` makes it, updates included); with `times`, each kernel call's ms is
   * added to `times[i]`. Returns the plan's kernel calls, in the order of `times`.
   */
  runAgain(times: Float64Array | null = null): Plan['calls'] {
    const plan = this.current;
    if (!plan) throw new RunError('profile: the program has not run yet; run it once first');
    this.checkNotRunning();
    const calls = plan.calls;
    if (times && times.length !== calls.length) throw new RunError(`profile: times has ${times.length} slots for ${calls.length} kernel calls`);
    this.execute(plan, times);
    return calls;
  }

  /** Runs a plan, marking the device busy so that a run from inside a kernel is refused. */
  private execute(plan: Plan, times: Float64Array | null = null): FloatArray[] {
    this.device.running = true;
    try {
      return times ? plan.executeTimed(times) : plan.execute();
    } finally {
      this.device.running = false;
    }
  }

  private checkNotRunning(): void {
    if (this.device.running) {
      throw new RunError('run: a program is already running on this device (run was called from inside a kernel?); run it after the outer run returns');
    }
  }

  private unknownInput(name: string): RunError {
    return new RunError(`run: '${name}' is not an input of the graph (inputs: ${[...this.graphInputs].join(', ') || 'none'})`);
  }

  /**
   * A run for fixed input shapes that skips the feed copy: write each input straight into
   * `input(name)` (a view on the program memory), then call `run()`. For loops that fill
   * batches themselves (as `fit` does); values are not checked for NaN on the way in. An input
   * [null, h, w, c] may be given as rows, [n, h·w·c].
   *
   * @example
   * const batch = step.prepare({ x: [10, 784], y: [10, 10] });
   * batch.input('x').set(rows);
   * const [loss] = batch.run();
   */
  prepare(shapes: Readonly<Record<string, readonly number[]>>): PreparedRun {
    const feeds: Record<string, Feed> = {};
    for (const [name, shape] of Object.entries(shapes)) feeds[name] = { data: { length: shape.reduce((a, b) => a * b, 1) }, shape: this.asDeclared(name, shape) };
    const plan = this.planFor(feeds);
    const byName = new Map(plan.inputs.map((i) => [i.name, i])); // looked up on every batch
    const input = (name: string) => {
      plan.bindIfStale();
      const found = byName.get(name);
      if (!found) throw new RunError(`prepare: '${name}' is not an input this program reads (${this.inputNames.join(', ')})`);
      return found.view;
    };
    const gpu = this.device.gpu !== null;
    let kept: FloatArray[][] = [];
    return {
      input,
      gather: (name, rows, order, start, n) => {
        const target = byName.get(name);
        if (rows.device !== this.device) throw new RunError(`prepare: the rows to gather into '${name}' were uploaded to another device`);
        // A row of an input [batch, …] is all its values past the batch axis (an image's pixels).
        const rowLength = target ? target.shape.slice(1).reduce((a, b) => a * b, 1) : 0;
        if (!target || target.shape.length < 2 || rowLength !== rows.rowLength || n > target.shape[0]) {
          throw new RunError(`prepare: cannot gather ${n} rows of ${rows.rowLength} into '${name}' ${target ? formatShape(target.shape) : '(not an input of this program)'}`);
        }
        if (gpu) this.device.gatherRowsOnGpu(rows, order, start, n, plan.gatheredOnGpu(name));
        else this.device.gatherRows(rows, order, start, n, () => input(name));
      },
      run: () => {
        this.checkNotRunning();
        this.current = plan;
        return this.execute(plan);
      },
      submit: (options = {}) => {
        this.checkNotRunning();
        if (gpu) this.submitted(plan, false, options.keep ?? false);
        else {
          const outputs = this.execute((this.current = plan));
          if (options.keep) kept.push(outputs.map((v) => v.slice()));
        }
      },
      readKept: async () => {
        if (gpu) {
          const steps = await plan.readKept();
          await this.device.gpu!.checkErrors();
          return steps;
        }
        const steps = kept;
        kept = [];
        return steps;
      },
      runAsync: async () => {
        this.checkNotRunning();
        if (!gpu) return this.execute((this.current = plan)).map((v) => v.slice());
        await plan.ready();
        return this.submitted(plan, true)!;
      },
    };
  }

  /** The concrete shapes of the outputs in the most recent run. */
  get outputShapes(): (readonly number[])[] {
    const plan = this.current;
    if (!plan) throw new RunError('the program has not run yet');
    return this.outputs.map((id) => plan.shapes.get(id)!);
  }

  /**
   * Steps and memory of the plan of the most recent run; on a WebGPU device also what its most
   * recent step did there (`gpu`: dispatches, submits, bytes uploaded and read back, buffers made).
   */
  get stats(): PlanStats & {
    /** On a WebGPU device, what its most recent step did there; null on a CPU device. */
    readonly gpu: GpuStepStats | null;
  } {
    if (!this.current) throw new RunError('the program has not run yet');
    return { ...this.current.stats, gpu: this.current.gpuStats };
  }

  /**
   * A prepared shape as rows: [n, f] for an input declared [null, d1, d2, …] with d1·d2·… = f
   * means [n, d1, d2, …] (how `fit` feeds images: one row of pixels per sample).
   */
  private asDeclared(name: string, shape: readonly number[]): readonly number[] {
    const declared = this.ir.nodes.find((n) => isOp(n, ops.input) && n.name === name)?.shape;
    if (!declared || declared.length <= 2 || shape.length !== 2 || declared[0] !== null || declared.slice(1).some((d) => d === null)) return shape;
    const rowLength = (declared.slice(1) as number[]).reduce((a, b) => a * b, 1);
    return shape[1] === rowLength ? [shape[0], ...(declared.slice(1) as number[])] : shape;
  }

  private planFor(feeds: Feeds): Plan {
    checkFeedsObject(feeds);
    for (const name of Object.keys(feeds)) if (!this.graphInputs.has(name)) throw this.unknownInput(name);
    const shapes = new Map<number, readonly number[]>();
    for (const id of this.schedule) {
      const node = this.ir.nodes[id];
      if (isOp(node, ops.input)) shapes.set(id, feedShape(node.name!, node.shape, feeds[node.name!], node.site));
    }
    const key = [...shapes.values()].map((s) => s.join('x')).join(';');
    let plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key); // most recently used last
    } else {
      if (this.disposed) throw new RunError('run: the program was disposed');
      try {
        plan = new Plan(this.ir, this.schedule, this.outputs, this.updates, shapes, this.device, this.training, this.checkNumerics);
      } catch (e) {
        throw e instanceof RunError ? this.inTermsOfBatches(e, shapes) : e;
      }
    }
    this.plans.set(key, plan);
    for (const [old, evicted] of this.plans) {
      if (this.plans.size <= MAX_PLANS) break;
      this.plans.delete(old);
      evicted.release();
    }
    this.current = plan;
    return plan;
  }

  /**
   * A shape error deep in the graph (often in a fused op the user never wrote) that comes from
   * feeding inputs different batch sizes: said in terms of the inputs first.
   */
  private inTermsOfBatches(e: RunError, shapes: ReadonlyMap<number, readonly number[]>): RunError {
    const batches = new Set<number>();
    const fed: string[] = [];
    for (const [id, shape] of shapes) {
      const node = this.ir.nodes[id];
      const unknown = node.shape.flatMap((d, k) => (d === null ? [shape[k]] : []));
      if (unknown.length === 0) continue;
      unknown.forEach((d) => batches.add(d));
      fed.push(`'${node.name}' ${formatShape(shape)}`);
    }
    if (batches.size < 2) return e;
    return new RunError(
      `run: the inputs were fed different batch sizes (${fed.join(', ')}); the unknown dimension of every input is the batch, so they must agree\n  (${e.message.replace(/\n {4}at .*$/, '')})`,
      e.node,
      e.site,
    );
  }

  /** Frees the buffers of every plan (parameters stay on the device); the program cannot run again. */
  dispose(): void {
    this.disposed = true;
    for (const plan of this.plans.values()) plan.release();
    this.plans.clear();
    this.current = null;
  }
}

/** BigInt arrays: their elements are not numbers and no float conversion is implied. */
function refuseBigInts(name: string, data: unknown): void {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new RunError(`run: the feed for '${name}' is a ${data.constructor.name}; feed numbers (e.g. Float64Array.from(values, Number))`, name);
  }
}

function checkFeedsObject(feeds: unknown): void {
  if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds) || ArrayBuffer.isView(feeds)) {
    throw new RunError(`run(feeds): feeds must be an object of input name → data, like run({ x: values }), got ${formatValue(feeds)}`);
  }
}

function dataOf(feed: Feed): ArrayLike<number> {
  return 'shape' in feed && 'data' in feed ? feed.data : (feed as ArrayLike<number>);
}

/** True when the feeds have the shapes the plan was made for (checked without allocating). */
function fitsPlan(plan: Plan, feeds: Feeds): boolean {
  const inputs = plan.inputs;
  for (let k = 0; k < inputs.length; k++) {
    const feed = feeds[inputs[k].name];
    if (feed === null || typeof feed !== 'object') return false;
    if ('shape' in feed && 'data' in feed) {
      const s = feed.shape;
      const want = inputs[k].shape;
      if (s.length !== want.length) return false;
      for (let i = 0; i < s.length; i++) if (s[i] !== want[i]) return false;
      if (feed.data.length !== inputs[k].size) return false;
    } else if ((feed as ArrayLike<number>).length !== inputs[k].size) {
      return false;
    }
  }
  return true;
}

/** The concrete shape of a feed: given, or the declared shape with its one unknown inferred. */
function feedShape(name: string, declared: readonly (number | null)[], feed: Feed | undefined, site?: string): number[] {
  if (feed === undefined || feed === null) throw new RunError(`run: no feed for input '${name}' ${formatShape(declared)}`, name, site);
  const data = typeof feed === 'object' ? dataOf(feed) : undefined;
  if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
    throw new RunError(`run: the feed for '${name}' is ${formatValue(feed)}, not an array of numbers (or { data, shape })`, name, site);
  }
  refuseBigInts(name, data);
  if (Array.isArray(data) && data.length > 0 && Array.isArray(data[0])) {
    throw new RunError(`run: the feed for '${name}' is a nested array; pass a flat array (e.g. rows.flat()) with { data, shape } if needed`, name, site);
  }
  let shape: number[];
  if ('shape' in feed && 'data' in feed) {
    shape = [...feed.shape];
  } else {
    const unknown = declared.filter((d) => d === null).length;
    if (unknown > 1) throw new RunError(`run: input '${name}' ${formatShape(declared)} has ${unknown} unknown dimensions; feed it as { data, shape }`, name, site);
    const known = declared.reduce<number>((p, d) => p * (d ?? 1), 1);
    if (unknown === 1 && (known === 0 || data.length % known !== 0)) {
      throw new RunError(`run: input '${name}' ${formatShape(declared)} got ${data.length} values, not a multiple of ${known}`, name, site);
    }
    shape = declared.map((d) => (d === null ? data.length / known : d));
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const fits = shape.length === declared.length && shape.every((d, i) => Number.isInteger(d) && d >= 0 && (declared[i] === null || declared[i] === d));
  if (!fits || size !== data.length) {
    throw new RunError(`run: input '${name}' is declared ${formatShape(declared)} but was fed ${data.length} values as ${formatShape(shape)}`, name, site);
  }
  if (declared.some((d, i) => d === null && shape[i] === 0)) {
    throw new RunError(`run: input '${name}' ${formatShape(declared)} was fed an empty batch (${formatShape(shape)}); feed at least one row`, name, site);
  }
  return shape;
}

/**
 * Copies a feed into its buffer, refusing values that would turn into NaN deep inside: not
 * numbers, not finite, or finite but beyond the program's precision (1e39 is Infinity in float32).
 */
function copyFeed(input: PlanInput, feed: Feed, dtype: string): void {
  const src = dataOf(feed);
  refuseBigInts(input.name, src);
  const dst = input.view;
  const n = input.size;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (typeof v !== 'number') throw badFeedValue(input, v, i, 'not a number');
    dst[i] = v;
    // The stored value, so that an overflow to ±Infinity in float32 is caught too.
    const stored = dst[i];
    if (stored - stored !== 0 || (input.int && Math.floor(v) !== v)) {
      throw badFeedValue(input, v, i, input.int ? 'int input: whole numbers only' : Number.isFinite(v) ? `beyond ${dtype}'s range, ±${dtype === 'float32' ? '3.4e38' : '1.8e308'}` : 'values must be finite');
    }
  }
}

function badFeedValue(input: PlanInput, v: unknown, i: number, why: string): RunError {
  return new RunError(`run: input '${input.name}' has ${formatValue(v)} at index ${i} (${why})`, input.name);
}
