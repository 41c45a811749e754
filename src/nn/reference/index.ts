/**
 * deltagraph/reference: the hand-derived backpropagation equations BP1–BP4, written plainly for
 * learners (row form: samples are rows, z = a·w + b), and the toolkit built on them that traces
 * and checks backprop ({@link traceBackprop}, {@link checkBackprop}, {@link explainBackprop}).
 *
 * @module deltagraph/reference
 */
export * from './matrix.ts';
export * from './backprop.ts';
export { compareWithReference, buildLoss, referenceNets, relativeError, type NetSpec, type Comparison } from './compare.ts';
// The learner's toolkit built on the reference: traceBackprop and checkBackprop.
export * from '../learn/index.ts';
