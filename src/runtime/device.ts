/**
 * A Device owns what programs run on: the memory (parameters and buffers), the wasm kernels bound
 * to it and their helper thread. Programs compiled for one device share its parameters: the
 * training step updates the weights the prediction program reads. Whether the memory is shared
 * with a helper thread is settled before a plan binds (`prepare`), so nothing moves under a bound
 * plan's kernels; `dispose()` ends the helper.
 */
import { GraphError } from '../core/errors.ts';
import { createWasmMemory, threadsWanted, wasmKernels, type FloatArray, type HelperStats, type WasmKernels } from '../backends/index.ts';
import { Memory, pagesFor, type Precision } from './memory.ts';

/** Options of a new {@link Device}. */
export interface DeviceOptions {
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

/** Ends the helper thread of a device that was dropped without `dispose()`. */
const unreleased = new FinalizationRegistry<{ kernels: WasmKernels | null }>((held) => held.kernels?.dispose());

/**
 * Where programs run: the memory holding the parameters and buffers of its programs, the kernels bound
 * to it, and the helper thread. Programs compiled for one device share its parameters (train with one,
 * predict with another). `dispose()` ends the helper thread and lets the memory go.
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

  constructor(options: DeviceOptions = {}) {
    const { dtype = 'float32', threads = true, capacity = 1 << 16 } = options;
    if (dtype !== 'float32' && dtype !== 'float64') throw new GraphError(`Device: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    this.dtype = dtype;
    this.threads = threads;
    // Unshared at first: copies into a shared buffer take a slower path in V8, so the memory
    // moves to a shared one only when a plan has a product large enough for the helper.
    const wasm = dtype === 'float32' && typeof WebAssembly === 'object' ? createWasmMemory(pagesFor(capacity)) : null;
    this.held.kernels = wasm ? wasmKernels(wasm) : null;
    this.memory = new Memory(dtype, this.held.kernels ? wasm : null, capacity);
    unreleased.register(this, this.held, this);
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

  /** A copy of a parameter's current values. */
  read(name: string): Float64Array {
    const { offset, size } = this.slot(name);
    return Float64Array.from(this.memory.view(offset, size));
  }

  /** Overwrites a parameter's values (same number of elements, all finite). */
  write(name: string, values: ArrayLike<number>): void {
    const { offset, size, shape } = this.slot(name);
    if (values?.length !== size) throw new GraphError(`Device.write('${name}'): ${values?.length} values for shape [${shape}] (${size} elements)`);
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(values[i])) throw new GraphError(`Device.write('${name}'): value ${values[i]} at index ${i} is not finite`);
    }
    this.memory.view(offset, size).set(values);
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

  /** Ends the helper thread; the device and its programs cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.held.kernels?.dispose();
    this.held.kernels = null;
    this.disposed = true;
    this.upload = this.indices = null;
    this.memory.release(); // bound plans bind again before their next run, and find the device gone
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
