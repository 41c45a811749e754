/** A fixed WebAssembly memory with the wasm kernels over it and a bump allocator, for kernel tests. */
import { expect } from 'vitest';
import { createWasmMemory, wasmKernels, type WasmKernels } from '../../../src/backends/index.ts';

export interface Arena {
  wasm: WasmKernels;
  /** Reserves `size` floats (64-byte aligned, with 16 floats of slack after) and returns their offset. */
  alloc(size: number): number;
  view(offset: number, size: number): Float32Array;
  int32View(offset: number, size: number): Int32Array;
}

export function wasmArena(pages = 256): Arena {
  const memory = createWasmMemory(pages);
  const wasm = wasmKernels(memory);
  expect(wasm).not.toBeNull();
  let used = 0;
  return {
    wasm: wasm!,
    alloc(size) {
      const at = used;
      used += Math.ceil(size / 16) * 16 + 16;
      if (used * 4 > memory.buffer.byteLength) throw new Error('wasmArena: out of memory');
      return at;
    },
    view: (offset, size) => new Float32Array(memory.buffer, offset * 4, size),
    int32View: (offset, size) => new Int32Array(memory.buffer, offset * 4, size),
  };
}
