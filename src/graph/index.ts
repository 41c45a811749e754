export { Graph, type GraphOptions, type NestedNumbers, type TrainingUpdate } from './graph.ts';
export { Tensor, type TensorLike, type WindowOptions } from './tensor.ts';
export { grad, valueAndGrad, reduceToShape, type GradOptions } from './autodiff.ts';
export { constantInit, initializerNames, randomNormal, randomUniform, resolveInitializer, type Draw, type Initializer, type InitializerFn, type InitializerName, type ParameterInit } from './initializers.ts';
export { formatGraph, formatMath, formatNode, graphToDot, notesOf, type PrintNotes } from './print.ts';
export { labelNode, labelOf } from './labels.ts';
export { optimize, passNames, stabilize, type PassName } from './passes/index.ts';
