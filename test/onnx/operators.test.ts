/**
 * Operator by operator, against ONNX Runtime: each deltagraph op exported (alone or with the few
 * ops it needs) gives ORT's values and imports back to the same values; each ONNX operator the
 * importer reads, in a one-node model, gives what ORT gives. docs/interop.md's table names these.
 */
import { describe, expect, it } from 'vitest';
import { Graph, Rng, type Tensor } from '../../src/index.ts';
import { exportOnnx, importOnnx } from '../../src/onnx/index.ts';
import { DataType, encodeModel, type AttributeOut, type TensorOut } from '../../src/onnx/proto.ts';
import { ort, relativeDifference, runGraph, runOrt } from './models.ts';

const rng = new Rng(17);
const values = (n: number, positive = false) => Float32Array.from({ length: n }, () => (positive ? 0.2 + rng.next() * 2 : rng.next() * 4 - 2));
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

type Build = (x: Tensor) => Tensor;
const X = [2, 6, 6, 3];
const exportCases: [string, readonly number[], Build, boolean?][] = [
  ['neg exp log sqrt abs sign', [3, 4], (x) => x.abs().add(0.1).log().neg().exp().sqrt().mul(x.sign())],
  ['square pow', [3, 4], (x) => x.square().add(x.abs().add(0.5).pow(1.5))],
  ['sigmoid tanh relu softplus softsign', [3, 4], (x) => x.sigmoid().add(x.tanh()).add(x.relu()).add(x.softplus()).add(x.softsign())],
  ['add sub mul div (broadcast)', [3, 4], (x) => x.add(x.graph.constant([1, 2, 3, 4])).sub(0.5).mul(x).div(x.abs().add(1))],
  ['maximum minimum', [3, 4], (x) => x.maximum(x.neg().mul(0.5)).add(x.minimum(0.25))],
  ['step where equal', [3, 4], (x) => x.step(0.25).add(x.relu().equal(0).where(x.mul(2), x.neg()))],
  ['cast', [3, 4], (x) => x.mul(3).cast('int').cast('float')],
  ['sum max logSumExp count (mean)', [3, 4], (x) => x.sum(1, true).add(x.max(1, true)).add(x.logSumExp(-1, true)).add(x.mean(0, true)).add(x.mean())],
  ['matMul (transposes)', [3, 4], (x) => x.matMul(x.graph.constant(values(20), [5, 4]), false, true).add(x.matMul(x, true, false).sum())],
  ['batchMatMul', [2, 3, 4], (x) => x.matMul(x, false, true).matMul(x).add(x.matMul(x.graph.constant(values(20), [4, 5])).sum())],
  ['transpose reshape', [2, 3, 4], (x) => x.transpose([2, 0, 1]).reshape([4, -1])],
  ['concat slice pad', [3, 4], (x) => x.concat(x.mul(2), 1).slice([0, 2], [-1, 5]).pad([[1, 0], [2, 1]], 0.5)],
  ['softmax logSoftmax', [3, 4], (x) => x.softmax(0).add(x.logSoftmax(-1))],
  ['conv2d (strides, dilations, same and explicit padding)', X, (x) => x.conv2d(x.graph.constant(values(3 * 3 * 3 * 4), [3, 3, 3, 4]), { strides: 2, padding: 'same' }).add(x.conv2d(x.graph.constant(values(2 * 2 * 3 * 4), [2, 2, 3, 4]), { dilations: 2, padding: [[1, 1], [0, 0]], strides: [2, 1] }).slice([0, 0, 0, 0], [-1, 3, 3, -1]))],
  ['maxPool2d avgPool2d (same padding)', X, (x) => x.maxPool2d(3, { strides: 2, padding: 'same' }).add(x.avgPool2d(3, { strides: 2, padding: 'same' }))],
  ['stopGradient', [3, 4], (x) => x.stopGradient().mul(2)],
];

describe('export, op by op: ONNX Runtime agrees, and importing back gives the same values', () => {
  it.each(exportCases)('%s', async (_, shape, build) => {
    const g = new Graph({ seed: 1 });
    const x = g.input('x', [null, ...shape.slice(1)]);
    const y = build(x);
    const feed = values(size(shape));
    const ours = runGraph(g, y, { x: feed });
    const bytes = exportOnnx({ inputs: [x], outputs: [y], outputNames: ['output'] });
    expect(relativeDifference(await runOrt(bytes, { x: new ort.Tensor('float32', feed, shape as number[]) }), ours)).toBeLessThanOrEqual(1e-5);
    const back = importOnnx(bytes);
    expect(relativeDifference(runGraph(back.graph, back.outputs[0], { x: feed }), ours)).toBeLessThanOrEqual(1e-6);
  });

  it('gather (int ids) and int arithmetic', async () => {
    const g = new Graph({ seed: 1 });
    const ids = g.input('ids', [null, 3], 'int');
    const table = g.parameter('table', [5, 2], values(10));
    const y = table.gather(ids).sum(-1).add(ids.add(ids).mul(ids).cast('float'));
    const feed = Int32Array.from([0, 4, 2, 1, 1, 3]);
    const ours = runGraph(g, y, { ids: feed });
    const bytes = exportOnnx({ inputs: [ids], outputs: [y], outputNames: ['output'] });
    expect(relativeDifference(await runOrt(bytes, { ids: new ort.Tensor('int64', BigInt64Array.from(feed, BigInt), [2, 3]) }), ours)).toBeLessThanOrEqual(1e-6);
    const back = importOnnx(bytes);
    expect(Array.from(runGraph(back.graph, back.outputs[0], { ids: feed }))).toEqual(Array.from(ours));
  });
});

/** A one-node ONNX model of `op` over float input x (and constant or initializer inputs), run by ORT and by deltagraph. */
async function compareOne(op: string, shape: number[], options: { attributes?: AttributeOut[]; extra?: TensorOut[]; constants?: TensorOut[]; positive?: boolean; opset?: number; out?: number } = {}): Promise<number> {
  const extra = options.extra ?? [];
  const constants = options.constants ?? [];
  const feed = values(size(shape), options.positive);
  const nodes = [
    ...constants.map((t) => ({ name: `c_${t.name}`, opType: 'Constant', inputs: [], outputs: [t.name], attributes: [{ name: 'value', tensor: { ...t, name: '' } }] })),
    { name: 'node', opType: op, inputs: ['x', ...extra.map((t) => t.name), ...constants.map((t) => t.name)], outputs: ['y'], attributes: options.attributes },
  ];
  const bytes = encodeModel({ irVersion: 8, opset: options.opset ?? 17, producerName: 'test', producerVersion: '1', graphName: op, nodes, initializers: extra, inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', ...shape.slice(1)] }], outputs: [{ name: 'y', elemType: options.out ?? DataType.FLOAT }] });
  const theirs = await runOrt(bytes, { x: new ort.Tensor('float32', feed, shape) }, 'y');
  const { graph, outputs } = importOnnx(bytes);
  return relativeDifference(runGraph(graph, outputs[0].dtype === 'int' ? outputs[0].cast('float') : outputs[0], { x: feed }), theirs);
}

const f = (name: string, dims: number[], data?: number[]): TensorOut => ({ name, dims, dataType: DataType.FLOAT, values: data ?? Array.from(values(size(dims))) });
const i64 = (name: string, data: number[], dims = [data.length]): TensorOut => ({ name, dims, dataType: DataType.INT64, values: data });

const importCases: [string, number[], Parameters<typeof compareOne>[2]?][] = [
  ['Relu', [2, 5]], ['Sigmoid', [2, 5]], ['Tanh', [2, 5]], ['Exp', [2, 5]], ['Log', [2, 5], { positive: true }], ['Neg', [2, 5]], ['Sqrt', [2, 5], { positive: true }],
  ['Abs', [2, 5]], ['Sign', [2, 5]], ['Softplus', [2, 5]], ['Softsign', [2, 5]], ['Erf', [3, 8]], ['Identity', [2, 5]], ['Dropout', [2, 5]],
  ['Add', [2, 5], { extra: [f('b', [5])] }], ['Sub', [2, 5], { extra: [f('b', [5])] }], ['Mul', [2, 5], { extra: [f('b', [1, 5])] }], ['Div', [2, 5], { extra: [f('b', [5], [1, 2, -3, 4, 5])] }],
  ['Pow', [2, 5], { positive: true, constants: [f('e', [], [2.5])] }], ['Max', [2, 5], { extra: [f('b', [5])] }], ['Min', [2, 5], { extra: [f('b', [5])] }],
  ['Softmax', [2, 5], { attributes: [{ name: 'axis', int: 0 }] }], ['LogSoftmax', [2, 5]],
  ['MatMul', [2, 3, 4], { extra: [f('w', [4, 6])] }], ['MatMul', [2, 2, 3, 4], { extra: [f('w', [2, 2, 4, 3])] }],
  ['Gemm', [3, 4], { extra: [f('w', [5, 4]), f('c', [5])], attributes: [{ name: 'transB', int: 1 }, { name: 'alpha', float: 0.5 }, { name: 'beta', float: 2 }] }],
  ['Conv', [2, 3, 7, 7], { extra: [f('w', [4, 3, 3, 3]), f('b', [4])], attributes: [{ name: 'strides', ints: [2, 2] }, { name: 'pads', ints: [1, 0, 1, 2] }] }],
  ['Conv', [2, 3, 7, 7], { extra: [f('w', [4, 3, 3, 3])], attributes: [{ name: 'auto_pad', string: 'SAME_UPPER' }, { name: 'strides', ints: [2, 2] }] }],
  ['Conv', [2, 3, 7, 7], { extra: [f('w', [4, 3, 2, 2])], attributes: [{ name: 'dilations', ints: [2, 3] }, { name: 'pads', ints: [1, 1, 0, 2] }] }],
  ['MaxPool', [2, 3, 7, 7], { attributes: [{ name: 'kernel_shape', ints: [3, 3] }, { name: 'strides', ints: [2, 2] }, { name: 'pads', ints: [1, 1, 1, 1] }] }],
  ['AveragePool', [2, 3, 7, 7], { attributes: [{ name: 'kernel_shape', ints: [2, 3] }, { name: 'pads', ints: [0, 1, 0, 1] }] }],
  ['GlobalAveragePool', [2, 3, 5, 5]],
  ['BatchNormalization', [2, 3, 4, 4], { extra: [f('s', [3]), f('b', [3]), f('m', [3]), f('v', [3], [0.5, 1, 2])], attributes: [{ name: 'epsilon', float: 1e-3 }] }],
  ['LayerNormalization', [2, 3, 4], { extra: [f('s', [3, 4]), f('b', [3, 4])], attributes: [{ name: 'axis', int: 1 }] }],
  ['ReduceMean', [2, 3, 4], { attributes: [{ name: 'axes', ints: [1, -1] }] }], ['ReduceMax', [2, 3, 4], { attributes: [{ name: 'axes', ints: [2] }, { name: 'keepdims', int: 0 }] }],
  ['ReduceSum', [2, 3, 4], { constants: [i64('axes', [1])] }], ['ReduceMin', [2, 3, 4], { attributes: [{ name: 'axes', ints: [0] }] }], ['ReduceLogSumExp', [2, 3, 4], { attributes: [{ name: 'axes', ints: [2] }] }],
  ['Transpose', [2, 3, 4], { attributes: [{ name: 'perm', ints: [0, 2, 1] }] }],
  ['Reshape', [2, 3, 4], { constants: [i64('s', [0, -1, 2])] }], ['Flatten', [2, 3, 4]], ['Flatten', [2, 3, 4], { attributes: [{ name: 'axis', int: 2 }] }],
  ['Squeeze', [2, 1, 4], { constants: [i64('a', [1])] }], ['Unsqueeze', [2, 3], { constants: [i64('a', [0, -1])] }],
  ['Concat', [2, 3], { extra: [f('b', [2, 2])], attributes: [{ name: 'axis', int: 1 }] }],
  ['Slice', [2, 6, 4], { constants: [i64('st', [1, -3]), i64('en', [5, 100]), i64('ax', [1, 2])] }],
  ['Pad', [2, 3, 4], { constants: [i64('p', [0, 1, 2, 0, 0, 1]), f('v', [], [0.5])] }],
  ['Gather', [2, 5], { constants: [i64('i', [4, 0, -1], [3])], attributes: [{ name: 'axis', int: 1 }] }],
  ['Equal', [2, 3], { constants: [f('b', [3], [0, 0, 0])], out: DataType.BOOL }],
  ['Greater', [2, 3], { constants: [f('b', [3], [0, 0.5, -0.5])], out: DataType.BOOL }],
  ['Less', [2, 3], { constants: [f('b', [3], [0, 0.5, -0.5])], out: DataType.BOOL }],
  ['Cast', [2, 3], { attributes: [{ name: 'to', int: DataType.INT64 }], out: DataType.INT64 }],
];

describe('import, operator by operator: the same values as ONNX Runtime', () => {
  it.each(importCases.map(([op, shape, options], k) => [`${op} #${k}`, op, shape, options] as const))('%s', async (_, op, shape, options) => {
    expect(await compareOne(op, shape, options)).toBeLessThanOrEqual(1e-5);
  });

  it('Where over Equal, Shape → ConstantOfShape, Not', async () => {
    const bytes = encodeModel({
      irVersion: 8, opset: 17, producerName: 't', producerVersion: '1', graphName: 'g',
      nodes: [
        { name: 'c', opType: 'Constant', inputs: [], outputs: ['c'], attributes: [{ name: 'value', tensor: f('', [3], [1, 5, 2]) }] },
        { name: 'eq', opType: 'Equal', inputs: ['x', 'c'], outputs: ['e'] },
        { name: 'not', opType: 'Not', inputs: ['e'], outputs: ['n'] },
        { name: 'shape', opType: 'Shape', inputs: ['x'], outputs: ['s'], attributes: [{ name: 'start', int: 1 }] },
        { name: 'fill', opType: 'ConstantOfShape', inputs: ['s'], outputs: ['o'], attributes: [{ name: 'value', tensor: f('', [1], [1.5]) }] },
        { name: 'where', opType: 'Where', inputs: ['n', 'x', 'o'], outputs: ['y'] },
      ],
      initializers: [],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 3] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT }],
    });
    const feed = Float32Array.from([1, 3, 2, 3, 5, 7]);
    const theirs = await runOrt(bytes, { x: new ort.Tensor('float32', feed, [2, 3]) }, 'y');
    const { graph, outputs } = importOnnx(bytes);
    expect(Array.from(runGraph(graph, outputs[0], { x: feed }))).toEqual(Array.from(theirs));
    expect(Array.from(theirs)).toEqual([1.5, 3, 1.5, 3, 1.5, 7]);
  });
});
