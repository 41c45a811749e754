/// <reference types="@webgpu/types" preserve="true" />
/**
 * The memory of a WebGPU Device: one storage buffer of float32 values that every kernel binds
 * whole (as `m`), so a plan needs one bind group and kernels address tensors by element offsets
 * baked into their WGSL. Growing makes a larger buffer and copies the old one into it on the GPU.
 * Values are written with `queue.writeBuffer` (ordered before the next submit) and read back
 * asynchronously through a mappable staging buffer.
 */
import { RunError } from '../../core/errors.ts';
import { formatBytes } from '../../core/limits.ts';
import type { GpuContext } from './context.ts';

/** GPUBufferUsage's values (the global exists only where WebGPU does). */
const USAGE = { storage: 0x80, copySrc: 0x04, copyDst: 0x08, mapRead: 0x01 } as const;

export class GpuArena {
  private buf: GPUBuffer;
  /** Elements the buffer holds. */
  private capacity: number;
  /** Bytes written to and read from the GPU, for the stats. */
  bytesUploaded = 0;
  bytesRead = 0;
  /** Buffers made (the memory, staging for reads): a compiled step should make none. */
  allocations = 0;
  private staging: GPUBuffer[] = [];

  constructor(
    readonly context: GpuContext,
    capacity: number,
  ) {
    this.capacity = Math.max(capacity, 64);
    this.buf = this.make(this.capacity);
  }

  get buffer(): GPUBuffer {
    return this.buf;
  }

  get length(): number {
    return this.capacity;
  }

  /** The most elements one binding sees: the largest memory a WebGPU Device can have. */
  get maxElements(): number {
    const limits = this.context.limits;
    return Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4);
  }

  /** Makes the memory hold `length` elements, keeping what it holds. */
  grow(length: number, used: number): void {
    if (length > this.maxElements) throw new RangeError(`beyond the ${formatBytes(this.maxElements * 4)} one GPU storage binding holds on this adapter`);
    const bigger = this.make(length);
    const encoder = this.context.device.createCommandEncoder();
    const bytes = Math.min(used, this.capacity) * 4;
    if (bytes > 0) encoder.copyBufferToBuffer(this.buf, 0, bigger, 0, bytes);
    this.context.device.queue.submit([encoder.finish()]);
    this.buf.destroy();
    this.buf = bigger;
    this.capacity = length;
  }

  /** Writes values at an element offset (converted to float32). */
  write(offset: number, values: ArrayLike<number>): void {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length === 0) return;
    this.context.checkAlive();
    this.context.device.queue.writeBuffer(this.buf, offset * 4, data.buffer, data.byteOffset, data.byteLength);
    this.bytesUploaded += data.byteLength;
  }

  /**
   * Reads ranges [offset, size) after the work submitted so far: copies them into a staging
   * buffer in `encoder` (or a new one), submits, and waits for the map.
   */
  async read(ranges: readonly (readonly [number, number])[], encoder?: GPUCommandEncoder): Promise<Float32Array[]> {
    const device = this.context.device;
    const total = ranges.reduce((s, [, size]) => s + size, 0);
    const bytes = Math.max(4, total * 4);
    const staging = this.takeStaging(bytes);
    const enc = encoder ?? device.createCommandEncoder();
    let at = 0;
    for (const [offset, size] of ranges) {
      if (size > 0) enc.copyBufferToBuffer(this.buf, offset * 4, staging, at * 4, size * 4);
      at += size;
    }
    device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(0x0001 /* GPUMapMode.READ */, 0, bytes);
    } catch (e) {
      this.context.checkAlive();
      throw new RunError(`reading from the GPU failed: ${(e as Error).message}`);
    }
    const all = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    this.staging.push(staging);
    this.bytesRead += total * 4;
    at = 0;
    return ranges.map(([, size]) => all.subarray(at, (at += size)));
  }

  /** Frees the buffers. */
  destroy(): void {
    this.buf.destroy();
    for (const s of this.staging) s.destroy();
    this.staging = [];
  }

  /** A mappable buffer of at least `bytes` (kept for the next read: reads of one size make none). */
  private takeStaging(bytes: number): GPUBuffer {
    const i = this.staging.findIndex((s) => s.size >= bytes);
    if (i >= 0) return this.staging.splice(i, 1)[0];
    this.allocations++;
    return this.context.device.createBuffer({ size: Math.ceil(bytes / 256) * 256, usage: USAGE.mapRead | USAGE.copyDst });
  }

  private make(length: number): GPUBuffer {
    this.allocations++;
    return this.context.device.createBuffer({ size: length * 4, usage: USAGE.storage | USAGE.copySrc | USAGE.copyDst });
  }
}

/** Rows of a dataset in a buffer of their own (not the memory): batches are copied from it on the GPU. */
export class GpuRows {
  readonly buffer: GPUBuffer;
  constructor(context: GpuContext, values: Float32Array) {
    const limit = context.limits.maxBufferSize;
    if (values.byteLength > limit) throw new RunError(`uploadRows: ${formatBytes(values.byteLength)} of rows is more than one GPU buffer holds here (${formatBytes(limit)})`);
    this.buffer = context.device.createBuffer({ size: Math.max(4, Math.ceil(values.byteLength / 4) * 4), usage: USAGE.copySrc | USAGE.copyDst });
    context.device.queue.writeBuffer(this.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
  }
  destroy(): void {
    this.buffer.destroy();
  }
}
