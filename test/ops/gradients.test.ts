import { describe, expect, it } from 'vitest';
import { gradCheck, listOps } from '../../src/index.ts';
import { gradientCases, notDifferentiable } from '../../src/testing/gradient-cases.ts';

const cases = gradientCases();

describe('finite differences in float64, random directions: max relative error ≤ 1e-6', () => {
  it.each(cases.map((c) => [`${c.op} ${c.label}${c.order === 2 ? ' (Hessian-vector)' : ''}`, c] as const))('%s', (_, c) => {
    const { maxRelativeError } = gradCheck(c.build, c.inputs, { order: c.order ?? 1, training: c.training });
    expect(maxRelativeError).toBeLessThanOrEqual(1e-6);
  });
});

describe('the catalogue', () => {
  it('covers every registered op that has a gradient rule', () => {
    const covered = new Set(cases.map((c) => c.op));
    const missing = listOps()
      .map((op) => op.name)
      .filter((name) => !covered.has(name) && !notDifferentiable.includes(name));
    expect(missing).toEqual([]);
  });

  it('has second-order cases through sigmoid, tanh and exp', () => {
    const second = new Set(cases.filter((c) => c.order === 2).map((c) => c.op));
    for (const op of ['sigmoid', 'tanh', 'exp']) expect(second).toContain(op);
  });

  it('catches a wrong gradient (the check can fail)', () => {
    // d/dx of x³ written wrongly as 2x².
    const wrong = gradCheck((x) => x.pow(3).stopGradient().add(x.square().mul(x).sub(x.square().mul(x).stopGradient())).add(x.square().mul(x.stopGradient()).mul(-1 / 3)), [{ shape: [3] }]);
    expect(wrong.maxRelativeError).toBeGreaterThan(1e-2);
  });
});
