import { describe, expect, it } from 'vitest';
import { Graph } from '../../../src/index.ts';
import { DataError, Model, randomShift, Rng, sgd } from '../../../src/nn/index.ts';
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

  it('moves every channel of [h, w, c] images (NHWC rows) by the same shift', () => {
    const [width, height, channels] = [4, 3, 3];
    const at = (r: number, c: number, k: number) => (r * width + c) * channels + k;
    // Channel k of pixel (r, c) holds 100·k + its pixel number, so any mix-up of channels or pixels shows.
    const image = Float32Array.from({ length: width * height * channels }, (_, i) => 100 * (i % channels) + Math.floor(i / channels) + 1);
    const shift = randomShift({ width, height, channels, maxShift: 1, fill: -1 });
    const rng = new Rng(4);
    const seen = new Set<string>();
    for (let t = 0; t < 60; t++) {
      const x = new Float32Array(2 * image.length);
      x.set(image, 0);
      x.set(image, image.length);
      shift(x, 2, rng);
      for (let n = 0; n < 2; n++) {
        const out = x.subarray(n * image.length, (n + 1) * image.length);
        // Find the shift: where channel 0 of pixel (1,1) (value 6) went.
        const p = out.indexOf(6) / channels;
        const [dy, dx] = [Math.floor(p / width) - 1, (p % width) - 1];
        seen.add(`${dx},${dy}`);
        for (let r = 0; r < height; r++) {
          for (let c = 0; c < width; c++) {
            const [fr, fc] = [r - dy, c - dx];
            for (let k = 0; k < channels; k++) {
              expect(out[at(r, c, k)]).toBe(fr >= 0 && fr < height && fc >= 0 && fc < width ? image[at(fr, fc, k)] : -1);
            }
          }
        }
      }
    }
    expect(seen.size).toBe(9);
  });

  it('shifts the images of a Model with image input [null, h, w, c] in fit, and refuses rows of another size', () => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, 3, 4, 2]);
    const model = new Model({ inputs: x, outputs: g.dense(g.flatten(x), 3) }).compile({ loss: 'softmaxCrossEntropy', optimizer: sgd({ learningRate: 0.1 }) });
    const data = blobs(20, 24);
    const features: (number | undefined)[] = [];
    const shift = randomShift({ width: 4, height: 3, channels: 2, maxShift: 1 });
    model.fit(data, { epochs: 1, batchSize: 8, augment: (xb, n, rng, f) => (features.push(f), shift(xb, n, rng, f)) });
    expect(features).toEqual([24, 24, 24]);
    expect(() => model.fit(data, { epochs: 1, batchSize: 8, augment: randomShift({ width: 4, height: 3, maxShift: 1 }) })).toThrow(
      /randomShift: images of 4x3 are 12 values, but the rows have 24 features/,
    );
  });

  it('refuses bad sizes', () => {
    expect(() => randomShift({ width: 0, height: 4, maxShift: 1 })).toThrow(DataError);
    expect(() => randomShift({ width: 2, height: 2, maxShift: 1 })(new Float32Array(3), 1, new Rng(1))).toThrow(/3 values cannot hold 1 images of 2x2/);
    expect(() => randomShift({ width: 2, height: 2, channels: 3, maxShift: 1 })(new Float32Array(20), 2, new Rng(1))).toThrow(/20 values cannot hold 2 images of 2x2x3/);
    expect(() => randomShift({ width: 2, height: 2, channels: 0, maxShift: 1 })).toThrow(/channels must be positive whole numbers.*got 2, 2, 0, 1/);
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
