/**
 * One Memory holds the parameters and the working buffers of every program compiled over it, in
 * one flat typed array. Kernels get views on it, made once per plan, so a run allocates nothing.
 * Programs compiled over the same Memory share parameter values: the training step updates the
 * weights that the prediction program reads. The flat layout (offsets into one buffer) is what a
 * WebAssembly kernel needs too; only `view` and `grow` know how the buffer is held.
 */
import { GraphError } from './errors.ts';
import type { FloatArray } from '../ops/registry.ts';
import { createWasmMemory, isShared, wasmKernels, type WasmKernels } from '../ops/kernels/wasm/runtime.ts';

export type Precision = 'float32' | 'float64';

const PAGE = 65536;
const pagesFor = (float32s: number) => Math.ceil((float32s * 4) / PAGE);

/** Offsets are aligned to 16 elements (64 bytes in float32): SIMD- and cache-line-friendly. */
const ALIGN = 16;
const SLACK = 16;

interface ParameterSlot {
  readonly offset: number;
  readonly shape: readonly number[];
  readonly size: number;
}

export class Memory {
  private data: FloatArray;
  private used = 0;
  private readonly slots = new Map<string, ParameterSlot>();
  private uploaded: { offset: number; size: number } | null = null;
  /** Changes when the buffer is replaced by a larger one: every view must then be remade. */
  generation = 0;
  /** float32 data lives in a WebAssembly.Memory, so WebAssembly kernels work on it in place. */
  private wasmMemory: WebAssembly.Memory | null = null;
  private kernels: WasmKernels | null = null;
  private readonly threads: boolean;

  /**
   * @param dtype precision of every value in it
   * @param options.capacity elements to reserve at first (it grows as needed)
   * @param options.threads split large matrix multiplies with a helper thread (default true
   *   where the runtime allows; the environment variable DELTAGRAPH_THREADS=1 turns it off)
   */
  constructor(
    readonly dtype: Precision = 'float32',
    options: { capacity?: number; threads?: boolean } = {},
  ) {
    if (dtype !== 'float32' && dtype !== 'float64') throw new GraphError(`Memory: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    const capacity = options.capacity ?? 1 << 16;
    this.threads = options.threads ?? true;
    if (dtype === 'float32' && typeof WebAssembly === 'object') {
      const memory = createWasmMemory(pagesFor(capacity));
      this.kernels = wasmKernels(memory, { threads: this.threads, share: () => this.share() });
      if (this.kernels) this.wasmMemory = memory;
    }
    this.data = this.wasmMemory ? new Float32Array(this.wasmMemory.buffer) : this.make(capacity);
  }

  /** The WebAssembly kernels bound to this memory (null: float64, or no WebAssembly SIMD here). */
  get wasm(): WasmKernels | null {
    return this.kernels;
  }

  /** Whether the memory is shared with a helper thread (from the first product large enough to split). */
  get shared(): boolean {
    return this.wasmMemory !== null && isShared(this.wasmMemory);
  }

  /** Reserves `size` elements and returns their offset. */
  alloc(size: number): number {
    const offset = Math.ceil(this.used / ALIGN) * ALIGN;
    // SLACK elements stay free past the last buffer: vector kernels may read (never write) a
    // few floats past the end of a buffer.
    if (offset + size + SLACK > this.data.length) this.grow(offset + size + SLACK);
    this.used = offset + size;
    return offset;
  }

  view(offset: number, size: number): FloatArray {
    return this.data.subarray(offset, offset + size);
  }

  /** The same elements as 32-bit integers (float32 memory only): indices for kernels. */
  int32View(offset: number, size: number): Int32Array {
    if (this.dtype !== 'float32') throw new GraphError('Memory.int32View: only a float32 memory holds 32-bit elements');
    return new Int32Array(this.data.buffer, this.data.byteOffset + offset * 4, size);
  }

  /**
   * Copies `values` into the memory for kernels that read them in place (fit's training set) and
   * returns their offset. There is one such region: the next upload reuses it, grown if needed.
   */
  upload(values: ArrayLike<number>): number {
    if (!this.uploaded || this.uploaded.size < values.length) this.uploaded = { offset: this.alloc(values.length), size: values.length };
    this.data.set(values, this.uploaded.offset);
    return this.uploaded.offset;
  }

  /** Elements in use (parameters and every plan's buffers). */
  get size(): number {
    return this.used;
  }

  /** The storage of a parameter, allocated and set to `initial` the first time it is asked for. */
  parameter(name: string, shape: readonly number[], initial: ArrayLike<number>): ParameterSlot {
    const slot = this.slots.get(name);
    if (slot) {
      if (slot.shape.length !== shape.length || slot.shape.some((d, i) => d !== shape[i])) {
        throw new GraphError(`Memory: parameter '${name}' is [${slot.shape}] here but [${shape}] in the graph being compiled`);
      }
      return slot;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const created = { offset: this.alloc(size), shape: [...shape], size };
    this.data.set(initial, created.offset);
    this.slots.set(name, created);
    return created;
  }

  parameterNames(): string[] {
    return [...this.slots.keys()];
  }

  hasParameter(name: string): boolean {
    return this.slots.has(name);
  }

  parameterShape(name: string): readonly number[] {
    return this.slot(name).shape;
  }

  /** A copy of a parameter's current values. */
  read(name: string): Float64Array {
    const { offset, size } = this.slot(name);
    return Float64Array.from(this.data.subarray(offset, offset + size));
  }

  /** Overwrites a parameter's values (same number of elements, all finite). */
  write(name: string, values: ArrayLike<number>): void {
    const { offset, size, shape } = this.slot(name);
    if (values.length !== size) throw new GraphError(`Memory.write('${name}'): ${values.length} values for shape [${shape}] (${size} elements)`);
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(values[i])) throw new GraphError(`Memory.write('${name}'): value ${values[i]} at index ${i} is not finite`);
    }
    this.data.set(values, offset);
  }

  private slot(name: string): ParameterSlot {
    const slot = this.slots.get(name);
    if (!slot) throw new GraphError(`Memory: no parameter named '${name}' (known: ${this.parameterNames().join(', ') || 'none'})`);
    return slot;
  }

  /**
   * Moves the contents to a shared WebAssembly.Memory and binds new kernels to it, the first time
   * a product is large enough for the helper thread. Like growing, it makes every view stale.
   */
  private share(): void {
    const old = this.wasmMemory!;
    const shared = createWasmMemory(old.buffer.byteLength / PAGE, true);
    new Uint8Array(shared.buffer).set(new Uint8Array(old.buffer));
    this.wasmMemory = shared;
    this.kernels = wasmKernels(shared, { threads: this.threads });
    this.data = new Float32Array(shared.buffer);
    this.generation++;
  }

  private grow(needed: number): void {
    const length = Math.max(needed, this.data.length * 2);
    if (this.wasmMemory) {
      // Growing a WebAssembly.Memory keeps its contents and detaches the old buffer.
      this.wasmMemory.grow(pagesFor(length) - this.wasmMemory.buffer.byteLength / PAGE);
      this.data = new Float32Array(this.wasmMemory.buffer);
      this.generation++;
      return;
    }
    const bigger = this.make(length);
    bigger.set(this.data.subarray(0, this.used));
    this.data = bigger;
    this.generation++;
  }

  private make(length: number): FloatArray {
    return this.dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  }
}
