/** deltagraph/nn: models, losses, optimizers, training, data and save/load on top of the graph API. */
export { Model, type BatchLogs, type Callback, type CompileConfig, type EpochLogs, type Evaluation, type FitOptions, type History, type ModelOptions, type TrainInfo } from './model.ts';
export { losses, lossFor, lossNames, quadratic, binaryCrossEntropy, softmaxCrossEntropy, type LossName } from './losses.ts';
export { sgd, momentum, adam, stepDecay, cosineDecay, learningRateAt, optimizerFromConfig, type Optimizer, type OptimizerConfig, type Schedule, type LearningRate } from './optim.ts';
export { earlyStopping, progressBar, type EarlyStopping, type EarlyStoppingOptions, type ProgressOptions } from './callbacks.ts';
export { saveModel, loadModel, modelToBytes, modelFromBytes, ModelFileError, MODEL_FORMAT, MODEL_VERSION } from './io.ts';
export { historySeries, historyToCsv, terminalChart, svgChart, type Series } from './plot.ts';
export { Rng, randomNormal, randomUniform, constantInit, resolveInitializer, initializerNames, type Initializer, type InitializerFn, type InitializerName } from './init.ts';
export * from './data/index.ts';
