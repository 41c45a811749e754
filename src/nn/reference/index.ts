export * from './matrix.ts';
export * from './backprop.ts';
export { compareWithReference, buildLoss, referenceNets, relativeError, type NetSpec, type Comparison } from './compare.ts';
// The learner's toolkit built on the reference: traceBackprop and checkBackprop.
export * from '../learn/index.ts';
