export * from './matrix.ts';
export * from './backprop.ts';
export { compareWithReference, buildLoss, referenceNets, relativeError, type NetSpec, type Comparison } from './compare.ts';
