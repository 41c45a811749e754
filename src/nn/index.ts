/**
 * deltagraph/nn: models, losses, optimizers, training, data and model bytes on top of the graph
 * API. Imports no Node module, so it runs in a page and a worker; Node's entry (node/index.ts)
 * adds the file helpers.
 */
import '../backends/index.ts';
import './layers.ts';

export { Model, type CompileConfig, type Evaluation, type ModelOptions } from './model.ts';
export { fit, fitAsync, type BatchLogs, type Callback, type EpochLogs, type FitOptions, type History, type TrainInfo } from './fit.ts';
export { applyActivation, avgPool2d, batchNorm, conv2d, dense, dropout, embedding, flatten, globalAveragePooling2d, layerNorm, maxPool2d, type Activation, type BatchNormOptions, type Conv2dOptions, type DenseOptions, type EmbeddingOptions, type LayerNormOptions, type LayerRecord, type Pool2dOptions } from './layers.ts';
export { losses, lossFor, lossNames, quadratic, binaryCrossEntropy, softmaxCrossEntropy, type LossName } from './losses.ts';
export { sgd, momentum, adam, stepDecay, cosineDecay, learningRateAt, optimizerFromConfig, type Optimizer, type OptimizerConfig, type Schedule, type LearningRate } from './optim.ts';
export { earlyStopping, progressBar, type EarlyStopping, type EarlyStoppingOptions, type ProgressOptions } from './callbacks.ts';
export { modelToBytes, modelToBytesAsync, modelFromBytes, ModelFileError, MODEL_FORMAT, MODEL_VERSION } from './io.ts';
export { epochTicks, historySeries, historyToCsv, niceTicks, terminalChart, svgChart, type Series } from './plot.ts';
export { Rng } from '../core/rng.ts';
export { randomNormal, randomUniform, constantInit, resolveInitializer, initializerNames, type Initializer, type InitializerFn, type InitializerName } from '../graph/initializers.ts';
export * from './data/index.ts';
