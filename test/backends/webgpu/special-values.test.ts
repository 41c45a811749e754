import { describe, expect, it } from 'vitest';
import { runKernel, specialCases, specialValues, type SpecialCase } from '../../../src/testing/special-values.ts';
import { runGpuKernel } from './gpu.ts';

const name = (v: number) => (Number.isNaN(v) ? 'NaN' : v > 0 ? '+∞' : '−∞');
/** No lanes on a GPU: one element, an odd count with the special value first, inside and last. */
const counts = [1, 2, 5];

/**
 * The WGSL kernel of each op gives the documented value at NaN and ±∞ (WGSL lets a compiler
 * assume neither exists, so the kernels test the bits), and leaves every output that does not
 * read the special value as the float32 JS kernel computes it, within float32 rounding.
 */
async function checkEveryPosition(c: SpecialCase, v: number) {
  let checked = 0;
  for (const n of counts) {
    for (let p = 0; p < n; p++) {
      const special = c.inputs(n, p, v);
      const plain = c.inputs(n, p, null);
      const expected = c.expected(v, n, p, plain.values);
      const reads = c.reads(n, p);
      const { output: out } = await runGpuKernel(c.op, special.values, special.shapes, c.attrs);
      const without = runKernel(c.op, 'js float64', plain.values, plain.shapes, c.attrs)!;
      const at = `n = ${n}, position ${p}`;
      reads.forEach((i, k) => {
        const e = expected[k];
        if (e === 'finite') expect(Number.isFinite(out[i]), `${at}: output ${i} is ${out[i]}`).toBe(true);
        else expect(out[i], `${at}: output ${i}`).toBe(Math.fround(e));
      });
      out.forEach((x, i) => {
        if (reads.includes(i)) return;
        const what = `${at}: output ${i} does not read the special value`;
        if (Number.isFinite(without[i])) expect(Math.abs(x - without[i]), `${what} (${x} vs ${without[i]})`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(without[i])));
        else expect(x, what).toBe(without[i]);
      });
      checked++;
    }
  }
  return checked;
}

describe('WebGPU: NaN and ±∞ in every position, the same rule as the CPU kernels', () => {
  for (const c of specialCases()) {
    it.each(specialValues.map((v) => [name(v), v]))(`${c.label}: %s`, async (_, v) => {
      expect(await checkEveryPosition(c, v)).toBeGreaterThan(0);
    });
  }
});
