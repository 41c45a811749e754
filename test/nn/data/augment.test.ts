import { describe, expect, it } from 'vitest';
import { DataError, randomShift, Rng } from '../../../src/nn/index.ts';
import { adam } from '../../../src/nn/index.ts';
import { blobs, smallModel } from '../helpers.ts';

describe('randomShift', () => {
  it('moves whole images by at most maxShift pixels, filling what comes in', () => {
    const shift = randomShift({ width: 5, height: 4, maxShift: 1 });
    const image = Float32Array.from({ length: 20 }, (_, i) => i + 1);
    const rng = new Rng(3);
    const seen = new Set<string>();
    for (let t = 0; t < 50; t++) {
      const x = image.slice();
      shift(x, 1, rng);
      // Find the shift: where pixel (1,1) (value 7) went.
      const at = x.indexOf(7);
      const [dy, dx] = [Math.floor(at / 5) - 1, (at % 5) - 1];
      expect(Math.abs(dx)).toBeLessThanOrEqual(1);
      expect(Math.abs(dy)).toBeLessThanOrEqual(1);
      seen.add(`${dx},${dy}`);
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 5; c++) {
          const fr = r - dy;
          const fc = c - dx;
          expect(x[r * 5 + c]).toBe(fr >= 0 && fr < 4 && fc >= 0 && fc < 5 ? image[fr * 5 + fc] : 0);
        }
      }
    }
    expect(seen.size).toBe(9);
  });

  it('refuses bad sizes', () => {
    expect(() => randomShift({ width: 0, height: 4, maxShift: 1 })).toThrow(DataError);
    expect(() => randomShift({ width: 2, height: 2, maxShift: 1 })(new Float32Array(3), 1, new Rng(1))).toThrow(/3 values cannot hold 1 images of 2x2/);
  });

  it('is applied by fit to every training batch, reproducibly', () => {
    const run = (augment: boolean) => {
      const model = smallModel({ seed: 2 }).compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.01 }) });
      const calls: number[] = [];
      const shift = randomShift({ width: 4, height: 3, maxShift: 1 });
      model.fit(blobs(40), { epochs: 1, batchSize: 16, seed: 5, ...(augment ? { augment: (x: Float32Array | Float64Array, n: number, rng: Rng) => (calls.push(n), shift(x, n, rng)) } : {}) });
      return { calls, weights: [...model.getWeights().values()].map((w) => Array.from(w)) };
    };
    const a = run(true);
    expect(a.calls).toEqual([16, 16, 8]);
    expect(run(true).weights).toEqual(a.weights);
    expect(run(false).weights).not.toEqual(a.weights);
  });
});
