/** The learner's toolkit: see backprop happen (traceBackprop) and check a hand-written one (checkBackprop). */
import '../../backends/index.ts';

export { findDenseLayers, type DenseLayer, type LayerActivation } from './dense-layers.ts';
export { traceBackprop, denseNetGraph, learnerNetToTrace, formatTrace, modelToTrace, referenceNetOf, BackpropTracer, type BackpropTrace, type GraphToTrace, type LayerTensors, type LayerTrace, type TraceBatch, type TracedQuantity, type Weights, type LearnerNetToTrace, type LearnerNetOptions, type SamplePairs } from './trace.ts';
export { checkBackprop, whereText, type ArrayKind, type BackpropCheck, type BugId, type CallCheck, type CheckOptions, type ClassicBug, type Diagnosis, type Equation, type Form, type HiddenActivation, type LearnerBackprop, type LearnerGradients, type LearnerNet, type LearnerNetwork, type NetworkLike, type QuantityCheck, type Values2D, type Where } from './check.ts';
export { explainBackprop, type ExplainPage } from './explain.ts';
export { renderDot, withGraphPicture } from './pictures.ts';
