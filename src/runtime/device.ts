/**
 * A Device owns what programs run on: the memory (parameters and buffers), the kernels bound to
 * it — wasm and its helper thread, or a WebGPU device — and the backend they come from. Programs
 * compiled for one device share its parameters: the training step updates the weights the
 * prediction program reads. Whether the memory is shared with a helper thread is settled before
 * a plan binds (`prepare`), so nothing moves under a bound plan's kernels; `dispose()` ends the
 * helper, or destroys the GPU buffers.
 *
 * CPU devices are made with `new Device()`. A WebGPU device is made with
 * `await Device.create({ backend: 'webgpu' })`, because WebGPU finds its adapter and device
 * asynchronously; its values live on the GPU, so programs on it run with `runAsync` and
 * parameters are read with `readAsync`.
 */
import { formatValue, GraphError, RunError } from '../core/errors.ts';
import {
  createWasmMemory,
  GpuArena,
  GpuContext,
  GpuRows,
  gpuCodegen,
  threadsWanted,
  wasmKernels,
  webgpuUnavailable,
  type FloatArray,
  type GpuInfo,
  type HelperStats,
  type WasmKernels,
} from '../backends/index.ts';
import type { RowCopy } from './gpu-steps.ts';
import { Memory, pagesFor, type Precision } from './memory.ts';

/** Where kernels run: plain JS (any precision), WebAssembly SIMD (float32, the default), or a GPU through WebGPU (float32). */
export type BackendName = 'js' | 'wasm' | 'webgpu';

/** Options of a new {@link Device} (`new Device(options)` or `await Device.create(options)`). */
export interface DeviceOptions {
  /**
   * 'wasm' (default): WebAssembly kernels for float32 where they pay, JS for the rest and for
   * float64. 'js': JS kernels only. 'webgpu' and 'auto' need `await Device.create(…)`: 'auto'
   * takes WebGPU when a hardware GPU adapter is here, else wasm, and says which in
   * `device.backendNote`.
   */
  backend?: BackendName | 'auto';
  /**
   * The WebGPU entry point: default `navigator.gpu`. In Node, pass the GPU object of a WebGPU
   * binding, e.g. `create([])` from the npm package webgpu.
   */
  gpu?: object;
  /** Precision of every float value (default 'float32'; 'float64' for gradient checks). */
  dtype?: Precision;
  /**
   * Split large matrix multiplies with a helper thread (default true where the runtime allows;
   * the environment variable DELTAGRAPH_THREADS=1 turns it off everywhere).
   */
  threads?: boolean;
  /** Elements to reserve at first (the memory grows as needed). */
  capacity?: number;
}

/** Set by `Device.create` for the constructor it calls next: the WebGPU device to run on. */
let onGpu: { context: GpuContext; note: string } | null = null;

/** Ends the helper thread of a device that was dropped without `dispose()`. */
const unreleased = new FinalizationRegistry<{ kernels: WasmKernels | null }>((held) => held.kernels?.dispose());

/**
 * Where programs run: the memory holding the parameters and buffers of its programs, the kernels bound
 * to it (wasm and its helper thread, or a GPU through WebGPU). Programs compiled for one device share
 * its parameters (train with one, predict with another). `dispose()` ends the helper thread, or
 * destroys the GPU buffers, and lets the memory go. A WebGPU device is made with
 * `await Device.create({ backend: 'webgpu' })`.
 *
 * @example
 * const device = new Device({ threads: false });
 * const step = compile(g, { outputs: [loss], updates, device });
 * const predict = compile(g, { outputs: [out], device });
 */
export class Device {
  /** The precision of every float value. */
  readonly dtype: Precision;
  /** Whether large products may be split with a helper thread. */
  readonly threads: boolean;
  /** Where the kernels run: 'wasm', 'js' or 'webgpu'. */
  readonly backend: BackendName;
  /** Why this backend: what 'auto' found, or that it was asked for. */
  readonly backendNote: string;
  /** @internal The WebGPU device of a 'webgpu' Device, else null. */
  readonly gpu: GpuContext | null;
  /** The adapter of a 'webgpu' Device (vendor, architecture, whether it is an emulator), else null. */
  get gpuInfo(): GpuInfo | null {
    return this.gpu?.info ?? null;
  }
  private gpuRows: GpuRows | null = null;
  /** Batches to copy from uploaded rows at the next submit (a WebGPU device). */
  private rowCopies: RowCopy[] = [];
  /** @internal The memory; plans place their buffers in it. */
  readonly memory: Memory;
  /** Held apart from the device, so the finalizer can end the helper of a device that is gone. */
  private readonly held: { kernels: WasmKernels | null } = { kernels: null };
  private upload: { offset: number; size: number } | null = null;
  private indices: { offset: number; size: number; view: Int32Array; generation: number } | null = null;
  private disposed = false;
  /** Uploads so far: only the rows of the latest are still in the memory. */
  private uploads = 0;
  /**
   * @internal Set while a program runs on this device: a run started from inside it (a kernel
   * that runs a program) would make plans and move memory under the running one, so it is refused.
   */
  running = false;

  /** A CPU device (for a WebGPU one, `await Device.create({ backend: 'webgpu' })`). */
  constructor(options: DeviceOptions = {}) {
    const gpu = onGpu;
    onGpu = null;
    const { dtype = 'float32', threads = true, capacity = 1 << 16, backend = 'wasm' } = options;
    if (dtype !== 'float32' && dtype !== 'float64') throw new GraphError(`Device: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    if (!['js', 'wasm', 'webgpu', 'auto'].includes(backend)) throw new GraphError(`Device: backend must be 'wasm', 'js', 'webgpu' or 'auto', got ${formatValue(backend)}`);
    if ((backend === 'webgpu' || backend === 'auto') && !gpu) {
      throw new GraphError(`Device: a '${backend}' device is made asynchronously (WebGPU finds its adapter with a promise): use await Device.create({ backend: '${backend}' })`);
    }
    this.dtype = dtype;
    this.threads = threads;
    this.gpu = gpu?.context ?? null;
    this.backend = gpu ? 'webgpu' : dtype === 'float32' && backend === 'wasm' && typeof WebAssembly === 'object' ? 'wasm' : 'js';
    this.backendNote = gpu?.note ?? (this.backend === 'js' && backend === 'wasm' ? `js (${dtype === 'float64' ? 'float64 runs on the JS kernels' : 'no WebAssembly here'})` : `${this.backend} (asked for)`);
    if (this.gpu) {
      this.memory = new Memory('float32', null, capacity, new GpuArena(this.gpu, capacity));
    } else {
      // Unshared at first: copies into a shared buffer take a slower path in V8, so the memory
      // moves to a shared one only when a plan has a product large enough for the helper.
      const wasm = this.backend === 'wasm' ? createWasmMemory(pagesFor(capacity)) : null;
      this.held.kernels = wasm ? wasmKernels(wasm) : null;
      this.memory = new Memory(dtype, this.held.kernels ? wasm : null, capacity);
    }
    unreleased.register(this, this.held, this);
  }

  /**
   * Makes a device for any backend; the only way to make a 'webgpu' or 'auto' one. WebGPU is
   * float32. Where it is missing, 'webgpu' throws (never a silent fallback to the CPU); 'auto'
   * takes wasm and says why in `backendNote`.
   *
   * @example
   * const device = await Device.create({ backend: 'webgpu' });
   * const step = compile(g, { outputs: [loss], updates, device });
   * const [value] = await step.runAsync({ x, y });
   */
  static async create(options: DeviceOptions = {}): Promise<Device> {
    const { backend = 'wasm', gpu: given } = options;
    if (backend !== 'webgpu' && backend !== 'auto') return new Device(options);
    if (options.dtype === 'float64') {
      if (backend === 'auto') return new Device({ ...options, backend: 'js' });
      throw new GraphError("Device.create: WebGPU runs float32 only; float64 (the reference for gradient checks) runs on backend 'js' or 'wasm'");
    }
    const gpu = given ?? (globalThis as { navigator?: { gpu?: object } }).navigator?.gpu;
    const missing = webgpuUnavailable(gpu);
    if (backend === 'auto') {
      if (missing) return new Device({ ...options, backend: 'wasm' }).noted(`wasm (WebGPU is not available here: ${missing})`);
      if (!(await GpuContext.hasHardwareAdapter(gpu as GPU))) return new Device({ ...options, backend: 'wasm' }).noted('wasm (WebGPU has no hardware GPU adapter here, only an emulator or none)');
    } else if (missing) {
      throw new RunError(`WebGPU is not available here: ${missing}; use backend 'wasm'`);
    }
    if (!gpuCodegen()) {
      throw new RunError("WebGPU kernels are not loaded: add import 'deltagraph/webgpu' once before Device.create (they are an entry of their own, so that pages without a GPU do not download them)");
    }
    const context = await GpuContext.create(gpu as GPU);
    const { vendor, architecture, fallback } = context.info;
    const what = `webgpu (${[vendor, architecture].filter(Boolean).join(' ') || 'adapter'}${fallback ? ', a software emulator' : ''})`;
    onGpu = { context, note: backend === 'auto' ? `${what}: a hardware GPU adapter was found` : what };
    return new Device({ ...options, dtype: 'float32' });
  }

  /** The same device with its backend note replaced (what 'auto' found). */
  private noted(note: string): Device {
    (this as { backendNote: string }).backendNote = note;
    return this;
  }

  /** @internal The wasm kernels over the memory (null: float64, or no WebAssembly SIMD here). */
  get wasm(): WasmKernels | null {
    this.check();
    return this.held.kernels;
  }

  /** Whether the memory is shared with a helper thread (from the first plan that splits a product). */
  get shared(): boolean {
    return this.held.kernels?.threaded ?? false;
  }

  /**
   * What became of the products split with the helper thread so far: halves offered to it, run
   * by it, taken back and run by this thread, kept here unoffered, and the times it found the
   * cores busy (null until a helper runs).
   */
  threadStats(): HelperStats | null {
    return this.held.kernels?.threadStats() ?? null;
  }

  /**
   * @internal Called before a plan binds: if it has kernels that split work (`parallel`), the
   * memory moves to a shared one and a helper thread starts, once. Moving bumps the memory's
   * generation, so plans bound earlier bind again before their next run.
   */
  prepare(parallel: boolean): void {
    this.check();
    const kernels = this.held.kernels;
    if (!parallel || !kernels || kernels.threaded || !this.threads || !threadsWanted()) return;
    const current = this.memory.webAssemblyMemory!;
    const shared = createWasmMemory(current.buffer.byteLength / 65536, true);
    this.memory.moveTo(shared);
    kernels.dispose();
    this.held.kernels = wasmKernels(shared, { threads: true });
  }

  /** The names of the parameters placed so far. */
  parameterNames(): string[] {
    return this.memory.parameterNames();
  }

  /** Whether the device holds a parameter called `name`. */
  hasParameter(name: string): boolean {
    return this.memory.slot(name) !== undefined;
  }

  /** The shape of parameter `name`. */
  parameterShape(name: string): readonly number[] {
    return this.slot(name).shape;
  }

  /** A copy of a parameter's current values (on a WebGPU device: use `readAsync`). */
  read(name: string): Float64Array {
    const { offset, size } = this.slot(name);
    if (this.gpu) throw new RunError(`Device.read('${name}'): the values of a webgpu device live on the GPU; use await device.readAsync('${name}')`);
    return Float64Array.from(this.memory.view(offset, size));
  }

  /** A copy of a parameter's current values, after the work submitted so far (any backend). */
  async readAsync(name: string): Promise<Float64Array> {
    this.check();
    const { offset, size } = this.slot(name);
    if (!this.gpu) return Float64Array.from(this.memory.view(offset, size));
    const [values] = await this.memory.gpu!.read([[offset, size]]);
    await this.gpu.checkErrors();
    return Float64Array.from(values);
  }

  /** Overwrites a parameter's values (same number of elements, all finite). */
  write(name: string, values: ArrayLike<number>): void {
    const { offset, size, shape } = this.slot(name);
    if (values?.length !== size) throw new GraphError(`Device.write('${name}'): ${values?.length} values for shape [${shape}] (${size} elements)`);
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(values[i])) throw new GraphError(`Device.write('${name}'): value ${values[i]} at index ${i} is not finite`);
    }
    this.memory.write(offset, values);
  }

  /** Elements of memory in use (parameters, every plan's buffers, uploaded rows). */
  get size(): number {
    return this.memory.size;
  }

  /**
   * Copies rows of a dataset into the memory, where prepared runs gather batches from them
   * (`PreparedRun.gather`) without a copy in JS per row. One region per device: the next upload
   * reuses it. Returns the rows and the index of the first NaN or ±∞ value (−1 if none).
   */
  uploadRows(values: Float32Array | Float64Array, rowLength: number): DeviceRows {
    this.check();
    if (!(Number.isInteger(rowLength) && rowLength > 0) || values.length % rowLength !== 0) {
      throw new GraphError(`Device.uploadRows: ${values.length} values are not whole rows of ${rowLength}`);
    }
    if (this.gpu) {
      // A buffer of their own (larger than one binding may be), copied from batch by batch.
      this.gpuRows?.destroy();
      const rows = values instanceof Float32Array ? values : Float32Array.from(values);
      this.gpuRows = new GpuRows(this.gpu, rows);
      let bad = -1;
      for (let i = 0; i < rows.length; i++) if (rows[i] - rows[i] !== 0) { bad = i; break; }
      return { device: this, upload: ++this.uploads, offset: 0, count: values.length / rowLength, rowLength, firstNonFinite: bad };
    }
    // One region: reused when the data fits, else given back for the larger one.
    if (!this.upload || this.upload.size < values.length) {
      if (this.upload) this.memory.free(this.upload.offset, this.upload.size);
      this.upload = null;
      this.upload = { offset: this.memory.alloc(values.length, () => `uploading ${values.length / rowLength} rows of ${rowLength} values`), size: values.length };
    }
    const offset = this.upload.offset;
    this.memory.view(offset, values.length).set(values);
    return { device: this, upload: ++this.uploads, offset, count: values.length / rowLength, rowLength, firstNonFinite: this.firstNonFinite(offset, values.length) };
  }

  /**
   * @internal Row b of `target()` ← row order[start + b] of `rows`, for b < n. `target` gives a
   * view on this memory, asked for after the index buffer is placed (which may grow the memory).
   */
  gatherRows(rows: DeviceRows, order: Int32Array, start: number, n: number, target: () => FloatArray): void {
    if (rows.upload !== this.uploads) throw new GraphError('Device: these rows were replaced by a later uploadRows (one upload region per device)');
    if (this.gpu) throw new GraphError('Device.gatherRows: on a webgpu device rows are copied by the plan (gatherRowsOnGpu)');
    const wasm = this.held.kernels;
    if (wasm) {
      const indices = this.indexBuffer(n);
      const dst = target();
      for (let b = 0; b < n; b++) indices[b] = order[start + b];
      // Rows gathered one cache line of each at a time, so their cache misses overlap.
      wasm.gatherRows(rows.offset * 4, indices.byteOffset, n, rows.rowLength * 4, dst.byteOffset);
      return;
    }
    const f = rows.rowLength;
    const dst = target();
    for (let b = 0; b < n; b++) {
      const from = rows.offset + order[start + b] * f;
      dst.set(this.memory.view(from, f), b * f);
    }
  }

  /**
   * @internal On a WebGPU device: queues copies of rows order[start + b] into the input at
   * element offset `target`, done on the GPU before the next step's kernels.
   */
  gatherRowsOnGpu(rows: DeviceRows, order: Int32Array, start: number, n: number, target: number): void {
    if (rows.upload !== this.uploads) throw new GraphError('Device: these rows were replaced by a later uploadRows (one upload region per device)');
    const bytes = rows.rowLength * 4;
    const source = this.gpuRows!.buffer;
    const copies = this.rowCopies;
    for (let b = 0; b < n; b++) {
      const row = order[start + b];
      // Rows next to each other in the order and in the data are one copy.
      const last = copies[copies.length - 1];
      if (last && last.sourceOffset + last.bytes === row * bytes && last.targetOffset + last.bytes / 4 === target + b * rows.rowLength) {
        copies[copies.length - 1] = { ...last, bytes: last.bytes + bytes };
      } else {
        copies.push({ source, sourceOffset: row * bytes, targetOffset: target + b * rows.rowLength, bytes });
      }
    }
  }

  /** @internal The row copies queued for the next submit, taken (the queue is left empty). */
  takeRowCopies(): readonly RowCopy[] {
    const copies = this.rowCopies;
    this.rowCopies = [];
    return copies;
  }

  /** Ends the helper thread, or destroys the GPU buffers and device; the device and its programs cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.gpuRows?.destroy();
    this.gpuRows = null;
    this.held.kernels?.dispose();
    this.held.kernels = null;
    this.disposed = true;
    this.upload = this.indices = null;
    this.memory.release(); // bound plans bind again before their next run, and find the device gone
    this.gpu?.destroy();
    unreleased.unregister(this);
  }

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** At least n int32s in the memory for the wasm kernels' indices (a view kept until the memory changes). */
  private indexBuffer(n: number): Int32Array {
    let indices = this.indices;
    if (!indices || indices.size < n) {
      if (indices) this.memory.free(indices.offset, indices.size);
      this.indices = null;
      indices = this.indices = { offset: this.memory.alloc(n, () => 'batch indices'), size: n, view: new Int32Array(0), generation: -1 };
    }
    if (indices.generation !== this.memory.generation) {
      indices.view = this.memory.int32View(indices.offset, indices.size);
      indices.generation = this.memory.generation;
    }
    return indices.view;
  }

  private firstNonFinite(offset: number, size: number): number {
    if (this.held.kernels) {
      const result = this.indexBuffer(1);
      this.held.kernels.firstNonFinite(offset * 4, size, result.byteOffset);
      return result[0];
    }
    const view = this.memory.view(offset, size);
    for (let i = 0; i < size; i++) if (view[i] - view[i] !== 0) return i;
    return -1;
  }

  private slot(name: string) {
    const slot = this.memory.slot(name);
    if (!slot) throw new GraphError(`Device: no parameter named '${name}' (known: ${this.parameterNames().join(', ') || 'none'})`);
    return slot;
  }

  private check(): void {
    if (this.disposed) throw new GraphError('Device: used after dispose()');
  }
}

/** Rows of a dataset in a device's memory (see `Device.uploadRows`). */
export interface DeviceRows {
  /** The device holding them. */
  readonly device: Device;
  /** @internal Which upload of the device these rows are (a later one replaces them). */
  readonly upload: number;
  /** @internal Where the rows start in the memory. */
  readonly offset: number;
  /** The number of rows. */
  readonly count: number;
  /** The values per row. */
  readonly rowLength: number;
  /** The index of the first NaN or ±∞ value, or −1. */
  readonly firstNonFinite: number;
}
