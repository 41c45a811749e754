import { describe, expect, it } from 'vitest';
import { equations, hadamard, map, matMulTransposeA, matMulTransposeB } from '../../../src/nn/reference/index.ts';
import { compareWithReference, referenceNets, type NetSpec } from '../../../src/nn/reference/compare.ts';

describe('autodiff equals the hand-derived BP1–BP4 in float64 (≤ 1e-10 relative)', () => {
  it.each(referenceNets.map((n) => [`[${n.sizes}] ${n.hidden} ${n.cost}`, n] as const))('%s', (_, spec) => {
    for (const seed of [1, 2]) {
      const c = compareWithReference({ ...spec, seed });
      expect(c.maxRelativeError).toBeLessThanOrEqual(1e-10);
      expect(Math.abs(c.lossAutodiff - c.lossReference)).toBeLessThanOrEqual(1e-10 * Math.abs(c.lossReference));
      expect(c.errors).toHaveLength(2 * (spec.sizes.length - 1));
    }
  });
});

describe('the comparison catches the classic hand-written bugs', () => {
  const square: NetSpec = { sizes: [16, 16, 16, 16], hidden: 'sigmoid', cost: 'quadratic', batch: 8 };

  it("σ' taken of the activation instead of z", () => {
    const buggy = compareWithReference(square, {
      bp2: (wNext, deltaNext, z, f) => hadamard(matMulTransposeB(deltaNext, wNext), map(z, (v) => f.prime(f.f(v)))),
    });
    expect(buggy.maxRelativeError).toBeGreaterThan(1e-3);
  });

  it('a transposed BP4', () => {
    const buggy = compareWithReference(square, { bp4: (aPrev, delta) => matMulTransposeA(delta, aPrev) });
    expect(buggy.maxRelativeError).toBeGreaterThan(1e-3);
  });

  it('a missing 1/m', () => {
    const buggy = compareWithReference(referenceNets[0], { bp1: (ctx) => equations.bp1({ ...ctx, m: 1 }) });
    expect(buggy.maxRelativeError).toBeGreaterThan(0.5);
  });

  it('and passes the correct equations given as overrides', () => {
    expect(compareWithReference(square, { ...equations }).maxRelativeError).toBeLessThanOrEqual(1e-10);
  });
});
