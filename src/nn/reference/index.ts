export * from './matrix.ts';
export * from './backprop.ts';
export { compareWithReference, buildLoss, relativeError, type NetSpec, type Comparison } from './compare.ts';
