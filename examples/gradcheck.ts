/**
 * npm run gradcheck — checks every op's gradient against central finite differences in float64
 * (random directions; Hessian-vector products for the second-order cases) and autodiff against
 * the hand-derived BP1–BP4 on the classic nets. Prints a table; exits 1 if anything is over
 * tolerance.
 */
import { gradCheck } from '../src/index.ts';
import { gradientCases, notDifferentiable } from '../src/testing/gradient-cases.ts';
import { compareWithReference, referenceNets } from '../src/nn/reference/index.ts';

const FD_TOLERANCE = 1e-6;
const BP_TOLERANCE = 1e-10;
let failures = 0;

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i])).join('  ');
}

console.log('Finite differences (float64, central, 4 random directions), tolerance', FD_TOLERANCE);
const widths = [20, 44, 6, 10, 4];
console.log(row(['op', 'case', 'order', 'max error', ''], widths));
const worstByOp = new Map<string, number>();
for (const c of gradientCases()) {
  const { maxRelativeError } = gradCheck(c.build, c.inputs, { order: c.order ?? 1 });
  const ok = maxRelativeError <= FD_TOLERANCE;
  if (!ok) failures++;
  worstByOp.set(c.op, Math.max(worstByOp.get(c.op) ?? 0, maxRelativeError));
  console.log(row([c.op, c.label, String(c.order ?? 1), maxRelativeError.toExponential(2), ok ? 'ok' : 'FAIL'], widths));
}
console.log(`\nWorst per op: ${[...worstByOp].map(([op, e]) => `${op} ${e.toExponential(1)}`).join(', ')}`);
console.log(`No gradient by definition: ${notDifferentiable.join(', ')}`);

console.log('\nAutodiff vs hand-derived BP1–BP4 (float64, random N(0,1) parameters and batch), tolerance', BP_TOLERANCE);
const netWidths = [16, 8, 20, 10, 4];
console.log(row(['net', 'hidden', 'cost', 'max error', ''], netWidths));
for (const spec of referenceNets) {
  const { maxRelativeError } = compareWithReference(spec);
  const ok = maxRelativeError <= BP_TOLERANCE;
  if (!ok) failures++;
  console.log(row([`[${spec.sizes}]`, spec.hidden, spec.cost, maxRelativeError.toExponential(2), ok ? 'ok' : 'FAIL'], netWidths));
}

console.log(failures === 0 ? '\nAll gradients agree.' : `\n${failures} check(s) over tolerance.`);
process.exit(failures === 0 ? 0 : 1);
