/**
 * Trains a fresh MNIST net off the page's main thread, so drawing and the bars stay responsive:
 * fetches the four IDX files the dev server serves at /mnist/, builds Nielsen's classic net with
 * the asked hidden size, trains it with fitAsync (which yields, so this worker still gets messages)
 * and posts the loss every few steps, each epoch's accuracy, and at the end the model's bytes.
 */
import { Device, Graph, wasmFeatures, type WasmFeatures } from '../../src/index.ts';
import '../../src/webgpu.ts';
import { MNIST_FILES, Model, mnistFromIdx, modelToBytesAsync, parseIdxAsync, sgd } from '../../src/nn/index.ts';

export interface TrainRequest {
  hidden: number;
  epochs: number;
  /** Training images to use (the first of the 50,000). */
  limit: number;
  batchSize: number;
  seed: number;
  /** 'wasm' (the CPU) or 'webgpu' (the GPU, where the browser has WebGPU). */
  backend: 'wasm' | 'webgpu';
}

export type WorkerMessage =
  | { type: 'status'; text: string }
  /** Mean training loss over the steps since the last message; `step` counts from the start. */
  | { type: 'loss'; step: number; loss: number }
  | { type: 'epoch'; epoch: number; loss: number; accuracy: number; valAccuracy: number; msPerStep: number }
  | {
      type: 'done';
      model: ArrayBuffer;
      testAccuracy: number;
      msPerStep: number;
      /** The device the net trained on, as deltagraph describes it ('wasm (asked for)', 'webgpu (google swiftshader, …)'). */
      backend: string;
      steps: number;
      features: WasmFeatures;
      /** Whether the model's device started a helper thread (a Web Worker of this worker), and what it did. */
      helperThread: boolean;
      threadStats: ReturnType<Model['device']['threadStats']>;
      crossOriginIsolated: boolean;
    }
  | { type: 'error'; message: string };

const post = (message: WorkerMessage, transfer: Transferable[] = []) => postMessage(message, { transfer });

onmessage = (event: MessageEvent<TrainRequest>) => {
  train(event.data).catch((err: Error) => post({ type: 'error', message: err.message }));
};

async function train(request: TrainRequest): Promise<void> {
  post({ type: 'status', text: 'downloading MNIST…' });
  const read = async (name: string) => {
    const response = await fetch(`/mnist/${name}`);
    if (!response.ok) throw new Error(`GET /mnist/${name}: ${response.status} ${await response.text()}`);
    return parseIdxAsync(new Uint8Array(await response.arrayBuffer()), name);
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [MNIST_FILES.trainImages, MNIST_FILES.trainLabels, MNIST_FILES.testImages, MNIST_FILES.testLabels].map(read),
  );
  const data = mnistFromIdx({ trainImages: trainImages!, trainLabels: trainLabels!, testImages: testImages!, testLabels: testLabels! }, { limit: request.limit });

  // Nielsen's classic net: sigmoid layers, quadratic cost, N(0,1) init, SGD with η = 3.
  const g = new Graph({ seed: request.seed });
  const x = g.input('x', [null, 784]);
  const init = { kernelInitializer: 'randomNormal', biasInitializer: 'randomNormal' } as const;
  const h = g.dense(x, request.hidden, { activation: 'sigmoid', ...init });
  const device = await Device.create({ backend: request.backend });
  const model = new Model({ inputs: x, outputs: g.dense(h, 10, { activation: 'sigmoid', ...init }), device });
  model.compile({ loss: 'quadratic', optimizer: sgd({ learningRate: 3 }) });
  post({ type: 'status', text: `training on ${data.train.count} images on ${device.backendNote}…` });

  const every = Math.max(10, Math.floor(data.train.count / request.batchSize / 50));
  let steps = 0;
  let sumBefore = 0; // running sum of this epoch's step losses at the last message
  const history = await model.fitAsync(data.train, {
    epochs: request.epochs,
    batchSize: request.batchSize,
    seed: request.seed,
    validationData: data.validation,
    callbacks: [
      { onEpochBegin: () => (sumBefore = 0) },
      {
        onBatchEnd: ({ step, steps: perEpoch, loss }) => {
          steps++;
          if (step % every !== 0 && step !== perEpoch) return;
          const sum = loss * step; // logs.loss is the epoch's mean so far
          post({ type: 'loss', step: steps, loss: (sum - sumBefore) / (step % every || every) });
          sumBefore = sum;
        },
        onEpochEnd: (e) => post({ type: 'epoch', epoch: e.epoch, loss: e.loss, accuracy: e.accuracy, valAccuracy: e.valAccuracy ?? NaN, msPerStep: e.msPerStep }),
      },
    ],
  });
  const msPerStep = history.epochs.reduce((s, e) => s + e.msPerStep, 0) / history.epochs.length;
  const bytes = await modelToBytesAsync(model);
  const done: WorkerMessage = {
    type: 'done',
    model: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    testAccuracy: (await model.evaluateAsync(data.test)).accuracy,
    msPerStep,
    backend: device.backendNote,
    steps,
    features: wasmFeatures(),
    helperThread: model.device.shared,
    threadStats: model.device.threadStats(),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
  model.dispose();
  post(done, [done.model]);
}
