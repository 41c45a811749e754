/// <reference types="@webgpu/types" preserve="true" />
/**
 * How a plan runs on a WebGPU device. Binding makes, once per plan, every kernel's pipelines
 * (cached by WGSL text across plans), one bind group over the device memory and the workgroup
 * counts; a step then records them into one compute pass and submits once: batch copies from
 * uploaded rows first, the fed inputs written before, outputs read back only when asked.
 * Command buffers are single-use in WebGPU, so "recorded once" means the pass is re-encoded
 * from this prepared list each step (a few µs of JS per dispatch), with nothing allocated.
 */
import { RunError } from '../core/errors.ts';
import type { GpuArena, GpuContext, GpuDispatch } from '../backends/index.ts';

export interface GpuStepKernel {
  /** Names the node in errors: `%12 matMul 'dense_1/kernel' (built at file:line)`. */
  readonly label: string;
  readonly dispatches: readonly GpuDispatch[];
}

/** What one step did on the GPU, for `program.stats`. */
export interface GpuStepStats {
  /** Compute dispatches recorded in the step's one pass. */
  readonly dispatches: number;
  /** Command buffers submitted (1: the whole step is one submit). */
  readonly submits: number;
  /** Bytes written to the GPU for the step (fed inputs; rows gathered on the GPU are not uploaded). */
  readonly bytesUploaded: number;
  /** Bytes read back (0 for a step submitted without reading). */
  readonly bytesRead: number;
  /** GPU buffers made during the step (a bound plan makes none). */
  readonly allocations: number;
}

/** A copy of uploaded rows into an input, queued by `gather` for the next submit. */
export interface RowCopy {
  readonly source: GPUBuffer;
  readonly sourceOffset: number;
  readonly targetOffset: number;
  readonly bytes: number;
}

/** Steps whose outputs the GPU keeps before they must be read (fitAsync reads far more often). */
export const KEPT_STEPS = 256;

export class GpuSteps {
  private readonly pipelines: GPUComputePipeline[] = [];
  private readonly groups: (readonly [number, number, number])[] = [];
  /** Which kernel each dispatch belongs to (for error messages). */
  private readonly owners: number[] = [];
  private bindGroup: GPUBindGroup | null = null;
  private boundTo: GPUBuffer | null = null;
  last: GpuStepStats = { dispatches: 0, submits: 0, bytesUploaded: 0, bytesRead: 0, allocations: 0 };
  /** Outputs of steps kept on the GPU (a mappable buffer, `stride` values a step) until `readKept`. */
  private kept: { buffer: GPUBuffer; steps: number; stride: number } | null = null;

  constructor(
    private readonly context: GpuContext,
    private readonly arena: GpuArena,
    readonly kernels: readonly GpuStepKernel[],
  ) {
    kernels.forEach((kernel, k) => {
      for (const d of kernel.dispatches) {
        const [x, y, z] = d.workgroups;
        if (x * y * z === 0) continue;
        this.pipelines.push(context.pipeline(d.code, kernel.label));
        this.groups.push(d.workgroups);
        this.owners.push(k);
      }
    });
  }

  get dispatchCount(): number {
    return this.pipelines.length;
  }

  /** Waits for the pipelines to compile; throws naming the node whose kernel WebGPU refused. */
  async ready(): Promise<void> {
    await this.context.checkErrors();
  }

  /**
   * Records and submits one step: `writes` (fed inputs, written before the step), `copies`
   * (batches from uploaded rows), every dispatch in order, then `reads` (ranges of the memory)
   * copied out. Returns the values read, or null.
   */
  submit(
    writes: readonly (readonly [number, Float32Array])[],
    copies: readonly RowCopy[],
    reads: readonly (readonly [number, number])[] | null,
    keep: readonly (readonly [number, number])[] | null = null,
  ): Promise<Float32Array[]> | null {
    const { context, arena } = this;
    const before = { up: arena.bytesUploaded, read: arena.bytesRead, allocations: arena.allocations };
    for (const [offset, values] of writes) arena.write(offset, values);
    if (this.boundTo !== arena.buffer) {
      this.bindGroup = context.bindGroup(arena.buffer);
      this.boundTo = arena.buffer;
    }
    let result: Promise<Float32Array[]> | null = null;
    context.scoped(`a step of ${this.kernels.length} kernels`, () => {
      const encoder = context.device.createCommandEncoder();
      for (const c of copies) encoder.copyBufferToBuffer(c.source, c.sourceOffset, arena.buffer, c.targetOffset * 4, c.bytes);
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, this.bindGroup!);
      const { pipelines, groups } = this;
      for (let i = 0; i < pipelines.length; i++) {
        pass.setPipeline(pipelines[i]);
        const [x, y, z] = groups[i];
        pass.dispatchWorkgroups(x, y, z);
      }
      pass.end();
      if (keep) this.keepInto(encoder, keep);
      if (reads) result = arena.read(reads, encoder);
      else context.device.queue.submit([encoder.finish()]);
    });
    this.last = {
      dispatches: this.pipelines.length,
      submits: 1,
      bytesUploaded: arena.bytesUploaded - before.up,
      bytesRead: reads ? reads.reduce((s, [, n]) => s + n * 4, 0) : 0,
      allocations: arena.allocations - before.allocations,
    };
    return result;
  }

  /** Copies ranges of the memory into the next step's place in the kept buffer (made at the first step). */
  private keepInto(encoder: GPUCommandEncoder, ranges: readonly (readonly [number, number])[]): void {
    const stride = ranges.reduce((s, [, n]) => s + n, 0);
    if (!this.kept) {
      this.arena.allocations++;
      const buffer = this.context.device.createBuffer({ size: Math.max(4, KEPT_STEPS * stride * 4), usage: 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */ });
      this.kept = { buffer, steps: 0, stride };
    }
    const kept = this.kept;
    if (kept.steps === KEPT_STEPS) throw new RunError(`the outputs of ${KEPT_STEPS} steps are kept on the GPU unread: read them (readKept) at least every ${KEPT_STEPS} steps`);
    let at = kept.steps * stride;
    for (const [offset, size] of ranges) {
      if (size > 0) encoder.copyBufferToBuffer(this.arena.buffer, offset * 4, kept.buffer, at * 4, size * 4);
      at += size;
    }
    kept.steps++;
  }

  /** The values kept by the steps since the last call, one array per step (after those steps). */
  async readKept(): Promise<Float32Array[]> {
    const kept = this.kept;
    if (!kept || kept.steps === 0) return [];
    const bytes = kept.steps * kept.stride * 4;
    await kept.buffer.mapAsync(0x0001 /* GPUMapMode.READ */, 0, bytes);
    const all = new Float32Array(kept.buffer.getMappedRange(0, bytes).slice(0));
    kept.buffer.unmap();
    this.arena.bytesRead += bytes;
    const steps = Array.from({ length: kept.steps }, (_, s) => all.subarray(s * kept.stride, (s + 1) * kept.stride));
    kept.steps = 0;
    return steps;
  }

  /** Frees the kept buffer. */
  destroy(): void {
    this.kept?.buffer.destroy();
    this.kept = null;
  }

  /** The label of kernel k, for a fault it reported. */
  labelOf(k: number): string {
    const kernel = this.kernels[k];
    if (!kernel) throw new RunError(`a GPU kernel reported fault code ${k + 1}, which names no kernel of this plan`);
    return kernel.label;
  }
}
