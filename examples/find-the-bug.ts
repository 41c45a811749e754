/**
 * npm run find-the-bug [-- <bug>] [-- --table] — "check my backprop" on a port of network.py.
 *
 * examples/network-py.ts is Nielsen's network.py written in TypeScript the way a learner ports it
 * (number[][], column form, per-sample backprop(x, y) returning [nablaB, nablaW], and
 * updateMiniBatch(miniBatch, eta)), with a switch that plants one classic bug. checkBackprop sets
 * its weights, calls backprop sample by sample and updateMiniBatch on several mini-batches, holds
 * every result against deltagraph's autodiff, and says where the code first goes wrong and which
 * classic bug reproduces its output.
 *
 * Without an argument it walks every bug and prints each report; with a bug's name, only that one;
 * with --table it runs every bug on three nets, [3,3,3] (square), [4,5,3] and [2,4,3,2], each net
 * alone, and prints one markdown row per bug: what the checker reports and whether it named the bug.
 */
import { checkBackprop, whereText, type BackpropCheck } from 'deltagraph/reference';
import { expectedBug, Network, networkPyBugs, type NetworkPyBug } from './network-py.ts';

type Planted = NetworkPyBug | 'none';
const all: Planted[] = ['none', ...networkPyBugs];

export function check(bug: Planted, sizes?: number[][], seed = 1): BackpropCheck {
  const cost = bug === 'none' ? 'quadratic' : expectedBug[bug].cost;
  return checkBackprop({ network: (s) => new Network(s, { bug: bug === 'none' ? undefined : bug, cost }) }, { form: 'column', cost, ...(sizes ? { sizes } : {}), seed });
}

/** One cell: where the checker sends the learner, and the bug it names (✓ when it is the planted one). */
function cell(bug: Planted, r: BackpropCheck): string {
  if (r.ok) return bug === 'none' ? '✓ clean bill' : '✗ passed (bug missed)';
  const d = r.diagnosis;
  const where = d ? whereText(d.where, d.layer).replace(/ \(.*\)$/, '') : `call ${r.firstFailure!.call}`;
  const named = r.bugs.map((b) => b.id).join(', ') || 'no bug named';
  const right = bug !== 'none' && r.bugs.length === 1 && r.bugs[0].id === expectedBug[bug].id;
  return `${where}, call ${d?.call ?? r.firstFailure!.call}: ${named} ${right ? '✓' : '✗'}`;
}

const args = process.argv.slice(2);
if (args.includes('--table')) {
  const shapes = [
    [3, 3, 3],
    [4, 5, 3],
    [2, 4, 3, 2],
  ];
  console.log(`| planted in network.py | ${shapes.map((s) => `[${s}]`).join(' | ')} |`);
  console.log(`|---|${shapes.map(() => '---').join('|')}|`);
  let right = 0;
  let cells = 0;
  for (const bug of all) {
    const row = shapes.map((s) => {
      const r = check(bug, [s]);
      cells++;
      if (bug === 'none' ? r.ok : r.bugs.length === 1 && r.bugs[0].id === expectedBug[bug].id) right++;
      return cell(bug, r);
    });
    console.log(`| ${bug} | ${row.join(' | ')} |`);
  }
  console.log(`\n${right} of ${cells} cells right (the planted bug named alone, or a clean bill for none).`);
} else {
  const chosen = args[0];
  if (chosen !== undefined && !all.includes(chosen as Planted)) {
    console.error(`unknown bug '${chosen}'; choose one of ${all.join(', ')}`);
    process.exit(1);
  }
  for (const bug of chosen ? [chosen as Planted] : all) {
    console.log(`\n=== planted bug: ${bug}`);
    console.log(check(bug).report);
  }
}
