/**
 * Every built-in op, by name: `ops.matMul`, `ops.softmax`, … Importing this module registers
 * them (each family file registers its ops when loaded).
 */
import * as conv from './conv.ts';
import * as elementwise from './elementwise.ts';
import * as fused from './fused.ts';
import * as matmul from './matmul.ts';
import * as movement from './movement.ts';
import * as phase from './phase.ts';
import * as random from './random.ts';
import * as reduce from './reduce.ts';
import * as softmax from './softmax.ts';
import * as sources from './sources.ts';

export const ops = {
  input: sources.input,
  parameter: sources.parameter,
  constant: sources.constant,
  neg: elementwise.neg,
  exp: elementwise.exp,
  log: elementwise.log,
  sqrt: elementwise.sqrt,
  square: elementwise.square,
  pow: elementwise.pow,
  abs: elementwise.abs,
  sign: elementwise.sign,
  step: elementwise.step,
  sigmoid: elementwise.sigmoid,
  tanh: elementwise.tanh,
  relu: elementwise.relu,
  softplus: elementwise.softplus,
  softsign: elementwise.softsign,
  add: elementwise.add,
  sub: elementwise.sub,
  mul: elementwise.mul,
  div: elementwise.div,
  maximum: elementwise.maximum,
  where: elementwise.where,
  equal: elementwise.equal,
  cast: elementwise.cast,
  sum: reduce.sum,
  max: reduce.max,
  logSumExp: reduce.logSumExp,
  count: reduce.count,
  broadcastAxes: reduce.broadcastAxes,
  matMul: matmul.matMul,
  batchMatMul: matmul.batchMatMul,
  transpose: movement.transpose,
  conv2d: conv.conv2d,
  conv2dBackpropInput: conv.conv2dBackpropInput,
  conv2dBackpropFilter: conv.conv2dBackpropFilter,
  maxPool2d: conv.maxPool2d,
  maxPool2dGrad: conv.maxPool2dGrad,
  maxPool2dGradGrad: conv.maxPool2dGradGrad,
  avgPool2d: conv.avgPool2d,
  avgPool2dGrad: conv.avgPool2dGrad,

  reshape: movement.reshape,
  concat: movement.concat,
  slice: movement.slice,
  pad: movement.pad,
  gather: movement.gather,
  gatherGrad: movement.gatherGrad,
  stopGradient: movement.stopGradient,
  softmax: softmax.softmax,
  logSoftmax: softmax.logSoftmax,
  softmaxCrossEntropy: softmax.softmaxCrossEntropy,
  oneHot: softmax.oneHot,
  dropoutMask: random.dropoutMask,
  inTrainPhase: phase.inTrainPhase,
  subScaledMatMul: fused.subScaledMatMul,
  matMulBiasActivation: fused.matMulBiasActivation,
  conv2dBiasActivation: fused.conv2dBiasActivation,
  softmaxCrossEntropyGrad: fused.softmaxCrossEntropyGrad,
} as const;

export { getOp, listOps, registerOp, isOp, hasTrait, floatOnly, intIfAllInt, floatResult, type OpDef, type Trait, type VjpContext, type VjpRule } from './registry.ts';
