import { Graph } from 'deltagraph';
import { adam, earlyStopping, loadMnist, Model, progressBar, randomShift } from 'deltagraph/nn';

const g = new Graph({ seed: 1 });
const x = g.input('x', [null, 784]);
const h = g.dropout(g.dense(x, 256, { activation: 'relu', kernelInitializer: 'heNormal' }), 0.2);
const model = new Model({ inputs: x, outputs: g.dense(h, 10) }); // logits
model.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ learningRate: 0.001 }) });
console.log(model.summary());

const { train, validation, test } = loadMnist({ limit: 10000 }); // the first 10,000 training images
model.fit(train, {
  epochs: 3,
  batchSize: 64,
  validationData: validation,
  augment: randomShift({ width: 28, height: 28, maxShift: 1 }),
  callbacks: [progressBar(), earlyStopping({ monitor: 'valAccuracy', patience: 2 })],
});
console.log(model.evaluate(test)); // { loss, accuracy }
