/// <reference types="@webgpu/types" preserve="true" />
/**
 * The WebGPU device a deltagraph Device runs on: found once (adapter and device requests are
 * async), with the limits its programs need, a cache of compiled pipelines (by WGSL text, so
 * plans with the same kernels share them), and the errors WebGPU reports asynchronously
 * (shader compilation, validation, out of memory, device lost) turned into errors that name
 * the node whose kernel caused them.
 */
import { RunError } from '../../core/errors.ts';

/** Why WebGPU is missing here, or null when a GPU object was found. */
export function webgpuUnavailable(gpu: unknown): string | null {
  if (gpu !== undefined && gpu !== null) return typeof (gpu as GPU).requestAdapter === 'function' ? null : 'the gpu option is not a GPU object (it has no requestAdapter)';
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav === undefined) return 'navigator is undefined (in Node, pass { gpu: create([]) } from the npm package webgpu)';
  if (nav.gpu === undefined) return 'navigator.gpu is undefined (WebGPU needs a browser that has it, in a secure context: https or http://127.0.0.1)';
  return null;
}

/** An error WebGPU reported for a kernel (validation, out of memory, device lost), naming the node. */
export class GpuError extends RunError {
  override name = 'GpuError';
}

/** The GPU adapter a WebGPU device runs on, as WebGPU describes it. */
export interface GpuInfo {
  /** e.g. 'nvidia', 'google' (SwiftShader), 'mesa' (llvmpipe); may be empty. */
  readonly vendor: string;
  /** e.g. 'ampere', 'swiftshader'; may be empty. */
  readonly architecture: string;
  /** Free text from the driver; may be empty. */
  readonly description: string;
  /** Whether the adapter is a software emulation (SwiftShader, llvmpipe): true when WebGPU says so, or its name does. */
  readonly fallback: boolean;
}

/** A pipeline and the label of the node it was made for (to name it in errors). */
interface Pending {
  readonly label: string;
  readonly error: Promise<GPUError | null>;
  readonly info?: Promise<GPUCompilationInfo>;
  readonly code: string;
}

export class GpuContext {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Pipelines compiled so far (each distinct WGSL text once). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }
  private pending: Pending[] = [];
  private lostReason: string | null = null;
  /** Kept referenced for the device's whole life: a collected GPU object ends the process in Node's webgpu package. */
  private readonly gpu: GPU;
  /** Every kernel binds the memory alone, read_write, at binding 0: one layout, so one bind group serves all pipelines. */
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;

  private constructor(
    gpu: GPU,
    readonly device: GPUDevice,
    readonly info: GpuInfo,
  ) {
    this.gpu = gpu;
    this.layout = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: 0x4 /* GPUShaderStage.COMPUTE */, buffer: { type: 'storage' } }] });
    this.pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
    void device.lost.then((info) => {
      this.lostReason = info.reason === 'destroyed' ? 'the device was disposed' : `the GPU device was lost (${info.message || info.reason})`;
    });
  }

  /**
   * Asks for an adapter and a device. The device gets the adapter's limits on buffer sizes (one
   * storage binding sees the whole memory of a Device), the defaults for everything else.
   */
  static async create(gpu: GPU, options: { powerPreference?: GPUPowerPreference } = {}): Promise<GpuContext> {
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) throw new RunError("WebGPU is here but no GPU adapter was found (requestAdapter returned null); use backend 'wasm'");
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      requiredLimits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize },
    });
    const a = adapter.info ?? ({} as GPUAdapterInfo);
    const name = `${a.vendor ?? ''} ${a.architecture ?? ''} ${a.description ?? ''}`;
    const fallback = (a as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|software|warp/i.test(name);
    return new GpuContext(gpu, device, { vendor: a.vendor ?? '', architecture: a.architecture ?? '', description: a.description ?? '', fallback });
  }

  /** Whether a hardware (not emulated) adapter is here: what backend 'auto' asks. */
  static async hasHardwareAdapter(gpu: GPU): Promise<boolean> {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return false;
    const a = adapter.info ?? ({} as GPUAdapterInfo);
    if ((a as { isFallbackAdapter?: boolean }).isFallbackAdapter) return false;
    return !/swiftshader|llvmpipe|lavapipe|software|warp/i.test(`${a.vendor} ${a.architecture} ${a.description}`);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** The pipeline for `code` (made once per text); errors in it are reported by `checkErrors`, naming `label`. */
  pipeline(code: string, label: string): GPUComputePipeline {
    let pipeline = this.pipelines.get(code);
    if (pipeline) return pipeline;
    this.checkAlive();
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label });
    pipeline = device.createComputePipeline({ layout: this.pipelineLayout, compute: { module, entryPoint: 'main' }, label });
    this.pending.push({ label, error: device.popErrorScope(), info: module.getCompilationInfo?.(), code });
    this.pipelines.set(code, pipeline);
    return pipeline;
  }

  /** The bind group of a memory buffer, for every pipeline made here. */
  bindGroup(buffer: GPUBuffer): GPUBindGroup {
    return this.device.createBindGroup({ layout: this.layout, entries: [{ binding: 0, resource: { buffer } }] });
  }

  /** Runs `f` in validation and out-of-memory error scopes; the errors are reported by `checkErrors`. */
  scoped(label: string, f: () => void): void {
    this.checkAlive();
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      f();
    } finally {
      const validation = device.popErrorScope();
      const memory = device.popErrorScope();
      this.pending.push({ label, error: Promise.all([validation, memory]).then(([v, m]) => v ?? m), code: '' });
    }
  }

  /** Throws the first error WebGPU reported since the last check (a kernel that did not compile, a bad dispatch, memory). */
  async checkErrors(): Promise<void> {
    const pending = this.pending;
    if (pending.length === 0) return this.checkAlive();
    this.pending = [];
    for (const p of pending) {
      const error = await p.error;
      if (!error) continue;
      const messages = p.info ? (await p.info).messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`) : [];
      const kind = error.constructor?.name === 'GPUOutOfMemoryError' || /out of memory/i.test(error.message) ? 'ran out of GPU memory' : 'was refused by WebGPU';
      const source = messages.length > 0 ? `\n    ${messages.join('\n    ')}\n--- WGSL ---\n${p.code}` : '';
      throw new GpuError(`${p.label} ${kind}: ${error.message}${source}`);
    }
    this.checkAlive();
  }

  /** Throws when the device was lost or destroyed. */
  checkAlive(): void {
    if (this.lostReason) throw new GpuError(`WebGPU: ${this.lostReason}; create a new Device`);
  }

  get lost(): string | null {
    return this.lostReason;
  }

  destroy(): void {
    this.lostReason ??= 'the device was disposed';
    this.pipelines.clear();
    this.device.destroy();
    void this.gpu;
  }
}
