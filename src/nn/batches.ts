/** Small helpers over a batch of outputs: the predicted class of a row, and how many rows are right. */
import type { FloatArray } from '../backends/registry.ts';

export function argmax(values: ArrayLike<number>, start: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[start + j] > values[start + best]) best = j;
  return best;
}

/** Rows of `out` (n × classes) whose largest entry is at the label. */
export function countCorrect(out: FloatArray, labels: ArrayLike<number>, n: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < n; r++) if (argmax(out, r * classes, classes) === labels[r]) correct++;
  return correct;
}
