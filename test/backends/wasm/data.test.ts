import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/index.ts';
import { wasmArena } from './arena.ts';

/** Copies values into the arena and returns their offset. */
const upload = (memory: ReturnType<typeof wasmArena>, values: Float32Array) => {
  const at = memory.alloc(values.length);
  memory.view(at, values.length).set(values);
  return at;
};

describe('WebAssembly data kernels', () => {
  it('gatherRows copies the indexed rows exactly, for rows of any width, and writes nothing else', () => {
    const rng = new Rng(7);
    for (const features of [1, 3, 4, 7, 16, 17, 33, 784]) {
      const memory = wasmArena();
      const wasm = memory.wasm;
      const rows = 50;
      const data = Float32Array.from({ length: rows * features }, () => rng.normal());
      const source = upload(memory, data);
      for (const n of [1, 5, 10]) {
        const indices = memory.alloc(n);
        const out = memory.alloc(n * features + 8);
        const order = Array.from({ length: n }, () => rng.int(rows));
        memory.int32View(indices, n).set(order);
        const view = memory.view(out, n * features + 8);
        view.fill(12345);
        wasm.gatherRows(source * 4, indices * 4, n, 4 * features, out * 4);
        const want = order.flatMap((i) => Array.from(data.subarray(i * features, (i + 1) * features)));
        expect(Array.from(view.subarray(0, n * features))).toEqual(want);
        expect(Array.from(view.subarray(n * features))).toEqual(new Array(8).fill(12345));
      }
    }
  });

  it('firstNonFinite finds the first NaN or ±∞ anywhere (vector part or tail), or −1', () => {
    const memory = wasmArena();
    const wasm = memory.wasm;
    const out = memory.alloc(1);
    const first = (values: Float32Array) => {
      wasm.firstNonFinite(upload(memory, values) * 4, values.length, out * 4);
      return memory.int32View(out, 1)[0];
    };
    for (const n of [1, 3, 4, 5, 17, 1000]) {
      const clean = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3.4e38);
      expect(first(clean)).toBe(-1);
      for (const at of new Set([0, Math.floor(n / 2), n - 1])) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const values = clean.slice();
          values[at] = bad;
          if (at + 2 < n) values[at + 2] = NaN; // a later one does not count
          expect(first(values)).toBe(at);
        }
      }
    }
  });
});
