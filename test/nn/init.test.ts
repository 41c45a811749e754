import { describe, expect, it } from 'vitest';
import { resolveInitializer, Rng } from '../../src/nn/index.ts';

describe('initializers', () => {
  const stats = (values: Float64Array) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return { mean, std: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length), min: Math.min(...values), max: Math.max(...values) };
  };

  it('draw from the right distributions', () => {
    const rng = new Rng(1);
    const n = resolveInitializer('randomNormal')([400, 100], rng);
    expect(stats(n).mean).toBeCloseTo(0, 1);
    expect(stats(n).std).toBeCloseTo(1, 1);
    expect(stats(resolveInitializer('lecunNormal')([400, 100], rng)).std).toBeCloseTo(1 / 20, 2); // N(0, 1/n_in)
    expect(stats(resolveInitializer('heNormal')([400, 100], rng)).std).toBeCloseTo(Math.sqrt(2 / 400), 2);
    const glorot = stats(resolveInitializer('glorotUniform')([400, 100], rng));
    expect(glorot.max).toBeLessThanOrEqual(Math.sqrt(6 / 500));
    expect(glorot.min).toBeGreaterThanOrEqual(-Math.sqrt(6 / 500));
    expect(Array.from(resolveInitializer('zeros')([3], rng))).toEqual([0, 0, 0]);
    expect(() => resolveInitializer('nope' as never)).toThrow(/unknown initializer 'nope'/);
  });

  it('repeat under a seed', () => {
    expect(resolveInitializer('glorotNormal')([5, 5], new Rng(7))).toEqual(resolveInitializer('glorotNormal')([5, 5], new Rng(7)));
    expect(resolveInitializer('glorotNormal')([5, 5], new Rng(7))).not.toEqual(resolveInitializer('glorotNormal')([5, 5], new Rng(8)));
  });
});
