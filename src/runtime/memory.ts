/**
 * The flat memory of a Device: parameters and every plan's buffers in one typed array, so kernels
 * get views made once per plan and a run allocates nothing. float32 memory lives in a
 * WebAssembly.Memory, so wasm kernels work on it in place; a WebGPU device's memory is one GPU
 * storage buffer (`GpuArena`), with the same offsets. Only `view`, `write`, `grow` and `moveTo`
 * know how the buffer is held.
 */
import { GraphError, RunError } from '../core/errors.ts';
import { formatBytes, MAX_ELEMENTS } from '../core/limits.ts';
import { FreeList } from './free-list.ts';
import type { FloatArray, GpuArena } from '../backends/index.ts';
import { fillInitial, type ParameterInit } from '../graph/initializers.ts';

/** The precision of a program's float values. */
export type Precision = 'float32' | 'float64';

const PAGE = 65536;
export const pagesFor = (float32s: number) => Math.ceil((float32s * 4) / PAGE);

/** Offsets are aligned to 16 elements (64 bytes in float32): SIMD- and cache-line-friendly. */
const ALIGN = 16;
/** Elements kept free past the last buffer: vector kernels may read (never write) a few floats past a buffer's end. */
const SLACK = 16;

export interface ParameterSlot {
  readonly offset: number;
  readonly shape: readonly number[];
  readonly size: number;
}

export class Memory {
  private data: FloatArray;
  /** Where buffers are, in sizes rounded up to ALIGN elements (so every offset stays aligned). */
  private readonly blocks = new FreeList();
  private readonly slots = new Map<string, ParameterSlot>();
  /** Changes when the buffer is replaced (grown or moved): every view must then be remade. */
  generation = 0;

  constructor(
    readonly dtype: Precision,
    private wasm: WebAssembly.Memory | null,
    capacity: number,
    /** The GPU buffer holding the values of a WebGPU device (then `view` refuses: values are read back asynchronously). */
    readonly gpu: GpuArena | null = null,
  ) {
    this.data = wasm ? new Float32Array(wasm.buffer) : this.make(gpu ? 0 : capacity);
  }

  /** The WebAssembly.Memory holding a float32 memory, else null. */
  get webAssemblyMemory(): WebAssembly.Memory | null {
    return this.wasm;
  }

  /**
   * Reserves `size` elements and returns their offset: the first freed block that fits, else at
   * the end. `what` names what the elements are for, in the error when the memory cannot hold them.
   */
  alloc(size: number, what: () => string = () => 'a buffer'): number {
    const rounded = Math.ceil(size / ALIGN) * ALIGN;
    const offset = this.blocks.alloc(rounded);
    if (offset + size + SLACK > this.length) {
      try {
        this.grow(offset + size + SLACK, size, what);
      } catch (e) {
        this.blocks.free(offset, rounded);
        throw e;
      }
    }
    return offset;
  }

  /** Gives back elements from `alloc` (a plan's buffers, an uploaded dataset) for later allocations to reuse. */
  free(offset: number, size: number): void {
    this.blocks.free(offset, Math.ceil(size / ALIGN) * ALIGN);
  }

  view(offset: number, size: number): FloatArray {
    if (this.gpu) throw new RunError('device memory: the values of a webgpu device live on the GPU; read them with readAsync');
    return this.data.subarray(offset, offset + size);
  }

  /** Sets elements from `offset` (on a GPU: ordered before the next submitted work). */
  write(offset: number, values: ArrayLike<number>): void {
    if (this.gpu) this.gpu.write(offset, values);
    else this.data.set(values, offset);
  }

  /** Elements the memory holds now. */
  private get length(): number {
    return this.gpu ? this.gpu.length : this.data.length;
  }

  /** The same elements as 32-bit integers (float32 memory only): indices for kernels. */
  int32View(offset: number, size: number): Int32Array {
    if (this.dtype !== 'float32') throw new GraphError('Memory.int32View: only a float32 memory holds 32-bit elements');
    return new Int32Array(this.data.buffer, this.data.byteOffset + offset * 4, size);
  }

  /** Elements in use (parameters and every plan's buffers). */
  get size(): number {
    return this.blocks.end;
  }

  /** The storage of a parameter, allocated and filled from `initial` the first time it is asked for. */
  parameter(name: string, shape: readonly number[], initial: ParameterInit): ParameterSlot {
    const slot = this.slots.get(name);
    if (slot) {
      if (slot.shape.length !== shape.length || slot.shape.some((d, i) => d !== shape[i])) {
        throw new GraphError(`Device: parameter '${name}' is [${slot.shape}] here but [${shape}] in the graph being compiled`);
      }
      return slot;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const created = { offset: this.alloc(size), shape: [...shape], size };
    if (this.gpu) {
      // Drawn into a staging array in the device's precision, then uploaded.
      const staging = this.make(size);
      fillInitial(staging, initial);
      this.write(created.offset, staging);
    } else fillInitial(this.view(created.offset, size), initial);
    this.slots.set(name, created);
    return created;
  }

  /** The slot of a parameter, or undefined. */
  slot(name: string): ParameterSlot | undefined {
    return this.slots.get(name);
  }

  parameterNames(): string[] {
    return [...this.slots.keys()];
  }

  /** Moves the contents into `target` (a shared memory for a helper thread); like growing, it makes every view stale. */
  moveTo(target: WebAssembly.Memory): void {
    new Uint8Array(target.buffer).set(new Uint8Array(this.wasm!.buffer));
    this.wasm = target;
    this.data = new Float32Array(target.buffer);
    this.generation++;
  }

  /** Drops the buffer (the device is disposed): what it held can be collected. */
  release(): void {
    this.gpu?.destroy();
    this.wasm = null;
    this.data = this.make(0);
    this.generation++;
  }

  /** Grows to hold `needed` elements: by what is needed and an eighth more, not by doubling, up to the limit. */
  private grow(needed: number, size: number, what: () => string): void {
    const bytes = (n: number) => formatBytes(n * (this.dtype === 'float32' ? 4 : 8));
    const refuse = (why: string) =>
      new RunError(`device memory: ${what()} needs ${bytes(size)}, ${bytes(needed)} in all, ${why} (${bytes(this.blocks.end)} in use: parameters, plans, uploaded data)`);
    if (needed > MAX_ELEMENTS) throw refuse(`beyond the ${bytes(MAX_ELEMENTS)} a device holds`);
    const limit = this.gpu ? this.gpu.maxElements : MAX_ELEMENTS;
    if (needed > limit) throw refuse(`beyond the ${bytes(limit)} one GPU storage binding holds on this adapter`);
    const length = Math.min(limit, Math.max(needed + (needed >> 3), this.length + 16384));
    try {
      if (this.gpu) {
        this.gpu.grow(length, this.blocks.end);
      } else if (this.wasm) {
        // Growing a WebAssembly.Memory keeps its contents and detaches the old buffer.
        this.wasm.grow(pagesFor(length) - this.wasm.buffer.byteLength / PAGE);
        this.data = new Float32Array(this.wasm.buffer);
      } else {
        const bigger = this.make(length);
        bigger.set(this.data.subarray(0, this.blocks.end));
        this.data = bigger;
      }
    } catch (e) {
      if (e instanceof RangeError) throw refuse(`and the system refused to grow the memory to ${bytes(length)} (${e.message})`);
      throw e;
    }
    this.generation++;
  }

  private make(length: number): FloatArray {
    return this.dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  }
}
