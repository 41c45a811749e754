import { describe, expect, it } from 'vitest';
import { toMnistDigit } from '../../../src/nn/data/digits.ts';
import { loadMnist } from '../../../src/nn/node/mnist.ts';
import { dataError } from './helpers.ts';

const { test: mnist } = loadMnist({ limit: 0, evalLimit: 10 });
const image = (k: number) => mnist.x.subarray(k * 784, (k + 1) * 784);

/** A 28x28 image drawn `factor` times larger at (left, top) of a width x height grey canvas, pixel blocks. */
function drawnLarge(img: Float32Array, width: number, height: number, left: number, top: number, factor = 10): Float32Array {
  const big = new Float32Array(width * height);
  for (let y = 0; y < 28 * factor; y++) {
    for (let x = 0; x < 28 * factor; x++) big[(top + y) * width + left + x] = img[Math.floor(y / factor) * 28 + Math.floor(x / factor)]!;
  }
  return big;
}

const meanAbs = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

/** Grey ink 0..1 as RGBA canvas pixels: dark ink on white paper, opaque. */
function asRgba(ink: Float32Array): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(ink.length * 4);
  ink.forEach((v, i) => rgba.set([255 * (1 - v), 255 * (1 - v), 255 * (1 - v), 255], 4 * i));
  return rgba;
}

describe('toMnistDigit', () => {
  it('gives back real MNIST test digits drawn ten times larger, off-centre', () => {
    for (let k = 0; k < 10; k++) {
      const big = drawnLarge(image(k), 400, 360, 37 + 5 * k, 51 - 3 * k);
      // With no threshold, the box and the centre of mass are MNIST's own: the same image, to rounding.
      expect(meanAbs(toMnistDigit(big, 400, 360, { threshold: 0 }), image(k)), `image ${k}`).toBeLessThan(0.001);
      // The default threshold drops the faintest rim pixels from the box: still close.
      expect(meanAbs(toMnistDigit(big, 400, 360), image(k)), `image ${k}`).toBeLessThan(0.03);
    }
  });

  it('reads canvas RGBA as dark ink on paper, or light ink on a dark ground', () => {
    const big = drawnLarge(image(0), 300, 300, 10, 12);
    const grey = toMnistDigit(big, 300, 300);
    expect(toMnistDigit(asRgba(big), 300, 300)).toEqual(grey);
    const inverted = asRgba(big.map((v) => 1 - v));
    expect(toMnistDigit(inverted, 300, 300, { ink: 'light' })).toEqual(grey);
    // Transparent paper is no ink whatever its colour.
    const transparent = asRgba(big).map((v, i) => (i % 4 === 3 ? 255 * big[i >> 2]! : 0));
    expect(meanAbs(toMnistDigit(transparent, 300, 300), grey)).toBeLessThan(0.01);
  });

  it('scales the ink box to fit 20x20 keeping its aspect ratio, grey levels 0..1, centre of mass at (14, 14)', () => {
    // A solid 100 wide x 50 tall bar at (30, 70) of a 200x200 canvas, faint grey ink (0.5).
    const canvas = new Float32Array(200 * 200);
    for (let y = 70; y < 120; y++) canvas.fill(0.5, y * 200 + 30, y * 200 + 130);
    const out = toMnistDigit(canvas, 200, 200);
    const lit = [...out.keys()].filter((i) => out[i]! > 0);
    const cols = lit.map((i) => i % 28);
    const rows = lit.map((i) => Math.floor(i / 28));
    expect(Math.max(...cols) - Math.min(...cols) + 1).toBe(20);
    expect(Math.max(...rows) - Math.min(...rows) + 1).toBe(10);
    expect(Math.max(...out)).toBe(1); // the darkest stroke is full ink, as MNIST's black pen
    const mass = out.reduce((s, v) => s + v, 0);
    // Shifted by whole pixels: within half a pixel of (14, 14).
    expect(Math.abs(out.reduce((s, v, i) => s + v * (i % 28), 0) / mass - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(out.reduce((s, v, i) => s + v * Math.floor(i / 28), 0) / mass - 14)).toBeLessThanOrEqual(0.5);
  });

  it('anti-aliases by area: a one-pixel-wide line averaged over the pixels it covers', () => {
    // A 40 tall, 1 wide line of full ink: scaled by 1/2 it covers half of one output column.
    const canvas = new Float32Array(60 * 60);
    for (let y = 10; y < 50; y++) canvas[y * 60 + 20] = 1;
    const out = toMnistDigit(canvas, 60, 60);
    // 20 rows lit, each one pixel at 1 (a box 1 wide rounds to one whole pixel column)...
    expect(out.filter((v) => v > 0).length).toBe(20);
    // ...while a 2x2 checkerboard halved averages to grey 0.5 everywhere.
    const board = new Float32Array(40 * 40).map((_, i) => ((i % 40) + Math.floor(i / 40)) % 2);
    const grey = toMnistDigit(board, 40, 40);
    expect(grey.filter((v) => v > 0).every((v) => Math.abs(v - 0.5) < 1e-6)).toBe(true);
    expect(grey.filter((v) => v > 0).length).toBe(400);
  });

  it('says clearly when there is nothing drawn or the size is wrong', () => {
    expect(dataError(() => toMnistDigit(new Uint8ClampedArray(4 * 50 * 40).fill(255), 50, 40)).message).toMatch(/50x40 image has no ink/);
    expect(dataError(() => toMnistDigit(new Float32Array(10), 5, 3)).message).toMatch(/5x3 image has 15 grey or 60 RGBA values, got 10/);
    expect(dataError(() => toMnistDigit(new Float32Array(10), 0, 10)).message).toMatch(/width and height must be positive/);
    expect(dataError(() => toMnistDigit(new Float32Array([0, NaN, 1, 0]), 2, 2)).message).toMatch(/pixel 1 has ink NaN/);
  });
});
