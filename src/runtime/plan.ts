/**
 * A plan is a program specialised to one set of input shapes (one batch size), made in steps:
 * shapes (every node's concrete shape, checked) → kernels (the backend of every node, chosen
 * here and only here; on a WebGPU device, chains of elementwise ops fused into one kernel) →
 * allocate (a place for every buffer) → bind (views and kernel closures; on a GPU, pipelines
 * and one bind group, see gpu-steps.ts). Binding is repeated, and only that, when the device
 * memory has grown or moved since.
 */
import { NumericsError, RuleError, RunError } from '../core/errors.ts';
import { describeNode, type Attrs, type IR, type Node } from '../core/ir.ts';
import { formatShape } from '../core/shape.ts';
import { getOp, hasTrait, isOp, ops } from '../ops/index.ts';
import { gpuCodegen, kernelOf, type FloatArray, type GpuKernel, type GpuKernelContext, type Kernel, type ShapeContext, type WasmKernelContext } from '../backends/index.ts';
import { allocate, type Allocation } from './allocate.ts';
import type { Device } from './device.ts';
import { fuseElementwise, type FusedGroup } from './gpu-fusion.ts';
import { GpuSteps, type GpuStepKernel, type RowCopy } from './gpu-steps.ts';

export interface PlanInput {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly int: boolean;
  view: FloatArray;
}

/** What a program's plan for one set of input shapes does ({@link Program.stats}). */
export interface PlanStats {
  /** Kernel calls per run. */
  readonly steps: number;
  /** Elements of working memory with reuse, and what it would take without. */
  readonly workspace: number;
  /** Elements of working memory it would take without buffer reuse. */
  readonly unshared: number;
  /** Parameter updates written straight over their parameter (no copy). */
  readonly updatesInPlace: number;
  /** Kernel calls per run on each backend (on a WebGPU device, fused kernels: every op runs there). */
  readonly backends: {
    /** On the JS kernels. */
    readonly js: number;
    /** On the WebAssembly kernels. */
    readonly wasm: number;
    /** On the WebGPU kernels. */
    readonly webgpu: number;
  };
  /** On a WebGPU device: elementwise ops folded into another op's kernel (no kernel of their own). */
  readonly fused: number;
}

/** The kernel a node runs, on the backend chosen for it. */
interface Step {
  readonly id: number;
  readonly context: ShapeContext;
  readonly kernel: Kernel | Kernel<Attrs, WasmKernelContext> | GpuKernel;
  readonly backend: 'js' | 'wasm' | 'webgpu';
  /** The kernel's own state from step to step (a random stream), kept when the plan binds again. */
  readonly state: Record<string, unknown>;
}

export class Plan {
  readonly shapes = new Map<number, readonly number[]>();
  readonly inputs: PlanInput[] = [];
  readonly stats: PlanStats;
  /** The kernel each node runs, in schedule order. */
  private readonly kernels: Step[];
  private readonly offsets = new Map<number, number>();
  private readonly allocation: Allocation;
  private closures: (() => void)[] = [];
  private results: FloatArray[] = [];
  private copies: [FloatArray, FloatArray][] = [];
  private updateCopies: [FloatArray, FloatArray][] = [];
  private generation = -1;
  private released = false;
  /** This plan's buffers in the device memory (parameters aside). */
  private block = { offset: 0, size: 0 };
  private scratchAt = new Map<number, number>();
  /** Where outputs that this program's updates overwrite are copied before the update. */
  private outputCopyAt = new Map<number, number>();
  /** With checkNumerics: the output and input views of every step, scanned after it runs. */
  private checks: { output: FloatArray; inputs: FloatArray[] }[] | null = null;
  /** On a WebGPU device: the fused chains by their root node, and the nodes folded into them. */
  private readonly fusion: { groups: Map<number, FusedGroup>; inlined: Set<number> } | null = null;
  /** On a WebGPU device: the bound kernels, and where kernels report bad values ([code, value, index]). */
  private gpu: GpuSteps | null = null;
  private faultAt = 0;
  /** On a WebGPU device: the kernels' state between steps (zero at first), kept until the plan is released. */
  private stateBlock = { offset: 0, size: 0 };
  private stateAt = new Map<number, number>();
  /** On a WebGPU device: inputs whose rows `gather` copies on the GPU in the next step (not written from the host). */
  private readonly gathered = new Set<string>();

  constructor(
    private readonly ir: IR,
    private readonly schedule: readonly number[],
    private readonly outputs: readonly number[],
    private readonly updates: readonly (readonly [number, number])[],
    inputShapes: ReadonlyMap<number, readonly number[]>,
    private readonly device: Device,
    private readonly training: boolean,
    private readonly checkNumerics = false,
  ) {
    this.inferShapes(inputShapes);
    if (device.gpu) this.fusion = fuseElementwise(ir.nodes, schedule, this.shapes, new Set([...outputs, ...updates.flat()]));
    this.kernels = this.chooseKernels();
    const byId = new Map(this.kernels.map((s) => [s.id, s]));
    // A fused kernel reads its chain's leaves: the allocation sees those as its inputs.
    const groups = this.fusion?.groups;
    const nodes = groups ? ir.nodes.map((n) => (groups.has(n.id) ? { ...n, inputs: groups.get(n.id)!.leaves } : n)) : ir.nodes;
    const kept = this.fusion ? schedule.filter((id) => !this.fusion!.inlined.has(id)) : schedule;
    this.allocation = allocate({
      nodes,
      schedule: kept,
      outputs,
      updates,
      sizeOf: (id) => this.sizeOf(id),
      scratchOf: (id) => {
        const step = byId.get(id);
        return step?.kernel.scratch?.(step.context as never) ?? 0;
      },
      isAlias: (id) => hasTrait(nodes[id], 'alias'),
      mayOverwrite: (id, param) => {
        const def = getOp(nodes[id].op);
        return hasTrait(nodes[id], 'elementwise') || (def.overwrites !== undefined && nodes[id].inputs[def.overwrites] === param);
      },
    });
    this.place();
    const count = (b: Step['backend']) => this.kernels.filter((s) => s.backend === b).length;
    const { workspace, unshared, updatesInPlace } = this.allocation;
    const backends = { js: count('js'), wasm: count('wasm'), webgpu: count('webgpu') };
    this.stats = { steps: this.kernels.length, workspace, unshared, updatesInPlace, backends, fused: this.fusion?.inlined.size ?? 0 };
    device.prepare(this.kernels.some((s) => s.backend === 'wasm' && (s.kernel as Kernel).parallel?.(s.context as never)));
    this.bind();
  }

  /** On a WebGPU device: waits until every kernel compiled (throws naming the node WebGPU refused). */
  async ready(): Promise<void> {
    this.bindIfStale();
    await this.gpu?.ready();
  }

  /** What the most recent step did on the GPU (null on a CPU device). */
  get gpuStats() {
    return this.gpu?.last ?? null;
  }

  /**
   * Gives the plan's buffers back to the device memory (the program evicted the plan, or was
   * disposed); a released plan refuses to run.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.device.memory.free(this.block.offset, this.block.size);
    this.gpu?.destroy();
    if (this.stateBlock.size > 0) this.device.memory.free(this.stateBlock.offset, this.stateBlock.size);
    this.generation = -1;
  }

  /** Runs every kernel, then applies the updates (all computed before any is written). */
  execute(): FloatArray[] {
    if (this.gpu) throw new RunError('run: this program runs on a webgpu device, whose results arrive asynchronously: use await program.runAsync(feeds)');
    this.bindIfStale();
    const closures = this.closures;
    if (this.checks === null) for (let i = 0; i < closures.length; i++) closures[i]();
    else this.runChecked();
    return this.finishRun();
  }

  /**
   * `execute`, with the time of kernel call i added to `times[i]` (ms, performance.now() before
   * and after each call): for a per-kernel profile (see profile.ts). A method of its own so that
   * `execute`'s loop stays as it is and profiling costs nothing when off.
   */
  executeTimed(times: Float64Array): FloatArray[] {
    if (this.gpu) throw new RunError('profile: a webgpu device runs a step as one submit; profile on a wasm or js device');
    this.bindIfStale();
    const closures = this.closures;
    let before = performance.now();
    for (let i = 0; i < closures.length; i++) {
      closures[i]();
      const after = performance.now();
      times[i] += after - before;
      before = after;
    }
    return this.finishRun();
  }

  /** The node, op, input shapes and backend of every kernel call, in run order (what `executeTimed` times). */
  get calls(): readonly { readonly id: number; readonly op: string; readonly name?: string; readonly inputShapes: readonly (readonly number[])[]; readonly backend: Step['backend'] }[] {
    return this.kernels.map(({ id, backend }) => {
      const node = this.ir.nodes[id];
      return { id, op: node.op, ...(node.name ? { name: node.name } : {}), inputShapes: node.inputs.map((i) => this.shapes.get(i)!), backend };
    });
  }

  /** After the kernels: copies outputs the updates overwrite, then writes the updates. */
  private finishRun(): FloatArray[] {
    const copies = this.copies;
    for (let i = 0; i < copies.length; i++) copies[i][0].set(copies[i][1]);
    const updates = this.updateCopies;
    for (let i = 0; i < updates.length; i++) updates[i][0].set(updates[i][1]);
    return this.results;
  }

  /** Runs the kernels one by one, stopping at the first whose output holds a NaN or an infinity. */
  private runChecked(): void {
    const closures = this.closures;
    const checks = this.checks!;
    for (let i = 0; i < closures.length; i++) {
      closures[i]();
      const out = checks[i].output;
      for (let j = 0; j < out.length; j++) {
        const v = out[j];
        if (v - v !== 0) throw this.numericsError(i, j, v);
      }
    }
  }

  /** The error for the first non-finite value, at index `at` of step `i`'s output. */
  private numericsError(i: number, at: number, value: number): NumericsError {
    const { nodes } = this.ir;
    const node = nodes[this.kernels[i].id];
    const ranges = node.inputs.map((id, k) => `${describeNode(nodes[id])} ${formatShape(this.shapes.get(id)!)} ${rangeOf(this.checks![i].inputs[k])}`);
    const forward = node.gradientOf === undefined ? undefined : nodes[node.gradientOf];
    const gradient = forward ? `${describeNode(forward)}${forward.site ? ` (built at ${forward.site})` : ''}` : undefined;
    const hint = forward ? undefined : numericsHints[node.op];
    const message = [
      `checkNumerics: ${node.op} (${describeNode(node)})${gradient ? `, in the gradient of ${gradient},` : ''} produced ${value} at index ${at} of its ${formatShape(this.shapes.get(node.id)!)} output: the first NaN or infinity in this run`,
      `    inputs: ${ranges.join('; ') || 'none'}`,
      ...(hint ? [`    hint: ${hint}`] : []),
    ].join('\n');
    return new NumericsError(message, node.op, `%${node.id}`, value, at, ranges, node.site, gradient);
  }

  /** Remakes the views if the memory has grown or moved since they were made. */
  bindIfStale(): void {
    if (this.generation !== this.device.memory.generation) {
      if (this.released) throw new RunError('this plan was released: more batch sizes were run than a program keeps plans for, or the program was disposed; prepare the run again');
      this.bind();
    }
  }

  /** The shape every node has in this plan, checked against the rule and the declared shape. */
  private inferShapes(inputShapes: ReadonlyMap<number, readonly number[]>): void {
    for (const id of this.schedule) {
      const node = this.ir.nodes[id];
      let shape: readonly number[];
      if (isOp(node, ops.input)) {
        shape = inputShapes.get(id)!;
      } else if (node.inputs.length === 0) {
        shape = node.shape as readonly number[];
      } else {
        const inShapes = node.inputs.map((i) => this.shapes.get(i)!);
        try {
          shape = getOp(node.op).shape(inShapes, node.attrs) as readonly number[];
        } catch (e) {
          if (!(e instanceof RuleError)) throw e;
          throw new RunError(`${node.op} (${describeNode(node)}): ${e.message}; input shapes ${inShapes.map(formatShape).join(', ')}`, `%${id}`, node.site);
        }
        if (hasTrait(node, 'broadcasting')) this.checkUnknownNotBroadcast(node, shape);
        const fits = shape.length === node.shape.length && shape.every((d, i) => node.shape[i] === null || node.shape[i] === d);
        if (!fits || shape.some((d) => d === null)) {
          throw new RunError(`${describeNode(node)}: shape ${formatShape(shape)} at run time does not fit ${formatShape(node.shape)} from build time`, `%${id}`, node.site);
        }
      }
      this.shapes.set(id, shape);
      if (isOp(node, ops.input)) {
        const size = shape.reduce((a, b) => a * b, 1);
        this.inputs.push({ id, name: node.name!, shape, size, int: node.dtype === 'int', view: new Float64Array(0) });
      }
    }
  }

  private checkUnknownNotBroadcast(node: Node, shape: readonly number[]): void {
    for (const i of node.inputs) {
      const declared = this.ir.nodes[i].shape;
      const actual = this.shapes.get(i)!;
      const offset = shape.length - actual.length;
      actual.forEach((d, k) => {
        if (declared[k] === null && d !== shape[k + offset]) {
          throw new RunError(
            `${node.op} (${describeNode(node)}): dimension ${k} of ${describeNode(this.ir.nodes[i])} is ${d} at run time but the result's is ${shape[k + offset]}; a dimension unknown at build time (the batch) is never broadcast`,
            `%${node.id}`,
            node.site,
          );
        }
      });
    }
  }

  /** The one place a backend is chosen: wasm where it has a kernel for the shapes, else js. */
  private chooseKernels(): Step[] {
    const wasmHere = this.device.wasm !== null;
    const steps: Step[] = [];
    for (const id of this.schedule) {
      const node = this.ir.nodes[id];
      if (node.inputs.length === 0 || hasTrait(node, 'alias')) continue;
      const context: ShapeContext = { inputShapes: node.inputs.map((i) => this.shapes.get(i)!), outputShape: this.shapes.get(id)!, attrs: node.attrs };
      if (this.fusion) {
        if (this.fusion.inlined.has(id)) continue;
        const group = this.fusion.groups.get(id);
        const kernel = group ? fusedKernel(group) : kernelOf(node.op, 'webgpu');
        if (!kernel) throw new RunError(`${describeNode(node)}: op '${node.op}' has no WebGPU kernel; run this program on a 'wasm' device`, `%${id}`, node.site);
        steps.push({ id, context: group ? { ...context, inputShapes: group.leaves.map((i) => this.shapes.get(i)!) } : context, kernel, backend: 'webgpu', state: {} });
        continue;
      }
      const wasm = wasmHere ? kernelOf(node.op, 'wasm') : undefined;
      if (wasm && (wasm.supports?.(context) ?? true)) {
        steps.push({ id, context, kernel: wasm, backend: 'wasm', state: {} });
        continue;
      }
      const js = kernelOf(node.op, 'js');
      if (!js) throw new RunError(`${describeNode(node)}: op '${node.op}' has no kernel (register one with registerKernel(op, 'js', …) or define it with defineOp)`, `%${id}`, node.site);
      steps.push({ id, context, kernel: js, backend: 'js', state: {} });
    }
    return steps;
  }

  /** Turns the allocation into offsets: parameters in their slots, the rest in one block of this plan. */
  private place(): void {
    const { nodes, data, init } = this.ir;
    const { places, fixed, workspace } = this.allocation;
    const memory = this.device.memory;
    // On a GPU, 16 elements past the workspace hold the fault slot kernels report bad values in.
    const faults = this.device.gpu ? 16 : 0;
    this.block = { offset: memory.alloc(fixed + workspace + faults, () => this.describeBlock()), size: fixed + workspace + faults };
    const base = this.block.offset;
    this.faultAt = base + fixed + workspace;
    if (faults) memory.write(this.faultAt, new Float32Array(faults));
    for (const id of this.schedule) {
      const place = places.get(id);
      if (!place) continue; // folded into a fused kernel: no buffer
      if (place.kind === 'parameter') {
        const param = nodes[place.parameter];
        this.offsets.set(id, memory.parameter(param.name!, param.shape as number[], init.get(param.id)!).offset);
      } else if (place.kind === 'alias') {
        this.offsets.set(id, this.offsets.get(place.of)!);
      } else {
        this.offsets.set(id, base + (place.kind === 'fixed' ? 0 : fixed) + place.offset);
      }
    }
    this.scratchAt = new Map([...this.allocation.scratch].map(([id, at]) => [id, base + fixed + at]));
    this.outputCopyAt = new Map([...this.allocation.outputCopies].map(([id, at]) => [id, base + at]));
    for (const id of this.schedule) {
      if (isOp(nodes[id], ops.constant)) memory.write(this.offsets.get(id)!, data.get(id)!);
    }
    this.placeState();
  }

  /** Memory kept from step to step for the GPU kernels that ask for it (zeroed), in a block of its own. */
  private placeState(): void {
    let size = 0;
    for (const step of this.kernels) {
      const n = (step.kernel as GpuKernel).state?.(step.context as never) ?? 0;
      if (n > 0) {
        this.stateAt.set(step.id, size);
        size += Math.ceil(n / 16) * 16;
      }
    }
    if (size === 0) return;
    const memory = this.device.memory;
    this.stateBlock = { offset: memory.alloc(size, () => 'kernel state'), size };
    for (const [id, at] of this.stateAt) this.stateAt.set(id, this.stateBlock.offset + at);
    memory.write(this.stateBlock.offset, new Float32Array(size));
  }

  /** Makes the views and kernel closures (again after the memory has grown or moved). */
  private bind(): void {
    if (this.device.gpu) return this.bindGpu();
    const { nodes } = this.ir;
    const memory = this.device.memory;
    const wasm = this.device.wasm;
    const view = (id: number) => memory.view(this.offsets.get(id)!, this.sizeOf(id));
    this.closures = this.kernels.map(({ id, context, kernel, backend, state }) => {
      const onWasm = backend === 'wasm';
      const node = nodes[id];
      const scratchSize = kernel.scratch?.(context as never) ?? 0;
      const ctx = {
        ...context,
        inputs: node.inputs.map(view),
        output: view(id),
        training: this.training,
        state,
        scratch: memory.view(this.scratchAt.get(id) ?? 0, this.scratchAt.has(id) ? scratchSize : 0),
        fail: (message: string): never => {
          throw new RunError(`${node.op}${node.name ? ` '${node.name}'` : ''}: ${message}`, `%${id}`, node.site);
        },
        ...(onWasm ? { wasm: wasm! } : {}),
      };
      return ((kernel as Kernel).run as (c: typeof ctx) => () => void)(ctx);
    });
    for (const input of this.inputs) input.view = view(input.id);
    this.copies = [];
    this.results = this.outputs.map((id) => {
      const at = this.outputCopyAt.get(id);
      if (at === undefined) return view(id);
      const copy = memory.view(at, this.sizeOf(id));
      this.copies.push([copy, view(id)]);
      return copy;
    });
    if (this.checkNumerics) this.checks = this.kernels.map(({ id }) => ({ output: view(id), inputs: nodes[id].inputs.map(view) }));
    this.updateCopies = this.updates.filter(([p, v]) => this.offsets.get(p) !== this.offsets.get(v)).map(([p, v]) => [view(p), view(v)]);
    this.generation = memory.generation;
  }

  /**
   * On a WebGPU device: each kernel's dispatches over the offsets of its buffers, then copy
   * kernels for outputs that updates overwrite and for updates not written in place (WebGPU
   * copies never have one buffer as source and target). Inputs get host arrays, written to the
   * GPU when a step is submitted.
   */
  private bindGpu(): void {
    const { nodes } = this.ir;
    const memory = this.device.memory;
    const offset = (id: number) => this.offsets.get(id)!;
    const kernels: GpuStepKernel[] = this.kernels.map(({ id, context, kernel }, k) => {
      const node = nodes[id];
      const group = this.fusion!.groups.get(id);
      const ctx: GpuKernelContext = {
        ...context,
        inputs: (group ? group.leaves : node.inputs).map(offset),
        output: offset(id),
        scratch: this.scratchAt.get(id) ?? 0,
        state: this.stateAt.get(id) ?? 0,
        training: this.training,
        fault: this.faultAt,
        faultCode: k + 1,
      };
      const label = `${node.op} (${describeNode(node)}${node.site ? `, built at ${node.site}` : ''})`;
      return { label, dispatches: (kernel as GpuKernel).dispatches(ctx) };
    });
    const copy = (to: number, from: number, size: number, what: string) => {
      const load = { kind: 'load', input: 0, strides: [1] } as const;
      kernels.push({ label: what, dispatches: [gpuCodegen()!.elementwise(load, [size], [from], to)] });
    };
    for (const [id, at] of this.outputCopyAt) copy(at, offset(id), this.sizeOf(id), `a copy of output ${describeNode(nodes[id])} before the updates`);
    for (const [p, v] of this.updates) if (offset(p) !== offset(v)) copy(offset(p), offset(v), this.sizeOf(p), `the update of ${describeNode(nodes[p])}`);
    this.gpu = new GpuSteps(this.device.gpu!, memory.gpu!, kernels);
    for (const input of this.inputs) if (input.view.length !== input.size) input.view = new Float32Array(input.size);
    this.generation = memory.generation;
  }

  /**
   * On a WebGPU device: submits one step. Fed inputs are written from their host arrays (those
   * `gather` fills are copied on the GPU instead); with `read`, the outputs (and the fault slot)
   * are read back and returned as new arrays.
   */
  submit(copies: readonly RowCopy[], read: boolean, keep = false): Promise<Float32Array[]> | null {
    this.bindIfStale();
    const memory = this.device.memory;
    const writes = this.inputs.filter((input) => !this.gathered.has(input.name)).map((input) => [this.offsets.get(input.id)!, input.view as Float32Array] as const);
    this.gathered.clear();
    const ranges = [...this.outputs.map((id) => [this.outputCopyAt.get(id) ?? this.offsets.get(id)!, this.sizeOf(id)] as const), [this.faultAt, 3] as const];
    const reading = this.gpu!.submit(writes, copies, read ? ranges : null, keep ? ranges : null);
    return reading && reading.then((values) => this.checkFault(values));
  }

  /** The outputs of the steps submitted with `keep` since the last call, read back together. */
  async readKept(): Promise<Float32Array[][]> {
    const steps = await this.gpu!.readKept();
    const sizes = this.outputs.map((id) => this.sizeOf(id));
    return steps.map((all) => {
      let at = 0;
      return this.checkFault([...sizes.map((n) => all.subarray(at, (at += n))), all.subarray(at, at + 3)]);
    });
  }

  /** Throws the fault a kernel reported (the last of `values`), naming its node; else the outputs. */
  private checkFault(values: Float32Array[]): Float32Array[] {
    const fault = values.pop()!;
    if (fault[0] !== 0) {
      this.device.memory.write(this.faultAt, new Float32Array(3));
      throw new RunError(`${this.gpu!.labelOf(fault[0] - 1)}: value ${fault[1]} at index ${fault[2]} is not a whole number in range (a class id, or an index into the gathered axis)`);
    }
    return values;
  }

  /** On a WebGPU device: marks an input as filled on the GPU for the next step. */
  gatheredOnGpu(name: string): number {
    const input = this.inputs.find((i) => i.name === name)!;
    this.gathered.add(name);
    return this.offsets.get(input.id)!;
  }

  /** What the plan's block is for, named by its largest buffer: for the error when memory runs out. */
  private describeBlock(): string {
    let largest = -1;
    for (const id of this.schedule) if (this.allocation.places.get(id)?.kind === 'workspace' && (largest < 0 || this.sizeOf(id) > this.sizeOf(largest))) largest = id;
    const shapes = [...this.inputs].map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ');
    const node = largest >= 0 ? this.ir.nodes[largest] : null;
    return `the plan for ${shapes || 'no inputs'}${node ? ` (its largest buffer ${describeNode(node)} ${formatShape(this.shapes.get(largest)!)}${node.site ? ` at ${node.site}` : ''})` : ''}`;
  }

  private sizeOf(id: number): number {
    return this.shapes.get(id)!.reduce((a, b) => a * b, 1);
  }
}

/** What an op's non-finite output usually means (forward ops; the user wrote them). */
const numericsHints: Readonly<Record<string, string>> = {
  log: 'log(0) is -Infinity and log of a negative number is NaN; add a small epsilon, or use a stable loss (logSoftmax, softmaxCrossEntropy)',
  sqrt: 'sqrt of a negative number is NaN',
  div: 'a division by 0 gives ±Infinity (0/0 gives NaN)',
  exp: 'exp overflows float32 above 88.7 (float64 above 709.8)',
  pow: 'a negative base with a fractional exponent is NaN; 0 to a negative power is Infinity',
};

/** `in [min, max]` of a buffer, with its count of non-finite values if any. */
function rangeOf(values: FloatArray): string {
  let min = Infinity;
  let max = -Infinity;
  let bad = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) bad++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const range = bad === values.length ? 'all non-finite' : `in [${min}, ${max}]`;
  return bad > 0 && bad < values.length ? `${range}, ${bad} non-finite` : range;
}

/** The kernel of a fused chain: its expression over the leaves the plan gives as inputs. */
function fusedKernel(group: FusedGroup): GpuKernel {
  return { dispatches: ({ inputs, outputShape, output }) => [gpuCodegen()!.elementwise(group.expr, outputShape, inputs, output)] };
}
