/**
 * The flat memory of a Device: parameters and every plan's buffers in one typed array, so kernels
 * get views made once per plan and a run allocates nothing. float32 memory lives in a
 * WebAssembly.Memory, so wasm kernels work on it in place; only `view`, `grow` and `moveTo` know
 * how the buffer is held.
 */
import { GraphError } from '../core/errors.ts';
import type { FloatArray } from '../backends/index.ts';

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
  private used = 0;
  private readonly slots = new Map<string, ParameterSlot>();
  /** Changes when the buffer is replaced (grown or moved): every view must then be remade. */
  generation = 0;

  constructor(
    readonly dtype: Precision,
    private wasm: WebAssembly.Memory | null,
    capacity: number,
  ) {
    this.data = wasm ? new Float32Array(wasm.buffer) : this.make(capacity);
  }

  /** The WebAssembly.Memory holding a float32 memory, else null. */
  get webAssemblyMemory(): WebAssembly.Memory | null {
    return this.wasm;
  }

  /** Reserves `size` elements and returns their offset. */
  alloc(size: number): number {
    const offset = Math.ceil(this.used / ALIGN) * ALIGN;
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

  /** Elements in use (parameters and every plan's buffers). */
  get size(): number {
    return this.used;
  }

  /** The storage of a parameter, allocated and set to `initial` the first time it is asked for. */
  parameter(name: string, shape: readonly number[], initial: ArrayLike<number>): ParameterSlot {
    const slot = this.slots.get(name);
    if (slot) {
      if (slot.shape.length !== shape.length || slot.shape.some((d, i) => d !== shape[i])) {
        throw new GraphError(`Device: parameter '${name}' is [${slot.shape}] here but [${shape}] in the graph being compiled`);
      }
      return slot;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const created = { offset: this.alloc(size), shape: [...shape], size };
    this.data.set(initial, created.offset);
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

  private grow(needed: number): void {
    const length = Math.max(needed, this.data.length * 2);
    if (this.wasm) {
      // Growing a WebAssembly.Memory keeps its contents and detaches the old buffer.
      this.wasm.grow(pagesFor(length) - this.wasm.buffer.byteLength / PAGE);
      this.data = new Float32Array(this.wasm.buffer);
    } else {
      const bigger = this.make(length);
      bigger.set(this.data.subarray(0, this.used));
      this.data = bigger;
    }
    this.generation++;
  }

  private make(length: number): FloatArray {
    return this.dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  }
}
