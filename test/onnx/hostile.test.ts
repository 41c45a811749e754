/**
 * Malformed, hostile and unsupported ONNX files are refused with an OnnxError that says what is
 * wrong and where (byte offset, node, op type, attribute), before anything a file claims is
 * allocated; nothing is imported as a silently different model.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/index.ts';
import { Model } from '../../src/nn/index.ts';
import { exportOnnx, importOnnx, OnnxError } from '../../src/onnx/index.ts';
import { DataType, encodeModel, Writer, type NodeOut, type TensorOut } from '../../src/onnx/proto.ts';

const float = (name: string, shape: (number | string)[]) => ({ name, elemType: DataType.FLOAT, shape });

/** A model of the default domain: x [batch, 4] through `nodes` to y. */
function model(nodes: NodeOut[], options: { opset?: number; initializers?: TensorOut[] } = {}): Uint8Array {
  return encodeModel({ irVersion: 8, opset: options.opset ?? 17, producerName: 'test', producerVersion: '1', graphName: 'g', nodes, initializers: options.initializers ?? [], inputs: [float('x', ['batch', 4])], outputs: [float('y', ['batch', 4])] });
}

function refusal(bytes: Uint8Array): OnnxError {
  try {
    importOnnx(bytes);
  } catch (e) {
    if (e instanceof OnnxError) return e;
    throw new Error(`expected an OnnxError, got ${String(e)}`);
  }
  throw new Error('expected the file to be refused, but it imported');
}

function small(): Uint8Array {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [null, 4]);
  return exportOnnx(new Model({ inputs: x, outputs: g.dense(x, 3, { activation: 'relu' }) }));
}

describe('importOnnx refuses bad files clearly', () => {
  it('a valid hand-made model imports (the builder of these cases is right)', () => {
    const { outputs } = importOnnx(model([{ name: 'r', opType: 'Relu', inputs: ['x'], outputs: ['y'] }]));
    expect(outputs[0].node.op).toBe('relu');
  });

  it('truncated files, at every length, with the byte offset', () => {
    const bytes = small();
    let refused = 0;
    for (let n = 0; n < bytes.length; n += 7) {
      const e = refusal(bytes.subarray(0, n));
      expect(e.message).toMatch(/ONNX|graph|initializer|input|output|reads/);
      refused++;
    }
    expect(refused).toBeGreaterThan(10);
    expect(refusal(bytes.subarray(0, 20)).message).toMatch(/not a valid ONNX file: .*at byte \d+/);
  });

  it('a field declaring more bytes than the file has, without allocating them', () => {
    const w = new Writer();
    w.varint(1, 8);
    const head = w.finish();
    // field 7 (graph), length-delimited, declaring 2³¹ bytes.
    const bytes = Uint8Array.from([...head, 0x3a, 0x80, 0x80, 0x80, 0x80, 0x08, 1, 2, 3]);
    const before = process.memoryUsage().heapUsed;
    const e = refusal(bytes);
    expect(e.message).toMatch(/declares 2147483648 bytes but only 3 are left/);
    expect(e.offset).toBe(3);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 2 ** 20);
  });

  it('a tensor whose dims claim absurd sizes, or more values than its data holds', () => {
    const huge: TensorOut = { name: 'w', dims: [100_000, 100_000, 1000], dataType: DataType.FLOAT, values: [1, 2] };
    expect(refusal(model([{ name: 'a', opType: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], { initializers: [huge] })).message).toMatch(
      /initializer 'w': dims \[100000,100000,1000\] declare more than 1,073,741,824 values/,
    );
    const short: TensorOut = { name: 'w', dims: [4], dataType: DataType.FLOAT, values: [1, 2] };
    expect(refusal(model([{ name: 'a', opType: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], { initializers: [short] })).message).toMatch(/initializer 'w': dims \[4\] declare 4 values but the data holds 2/);
  });

  it('external data references', () => {
    const w = new Writer();
    w.varint(1, 8);
    w.message(7, (g) => {
      g.message(5, (t) => t.packedVarints(1, [4]).varint(2, DataType.FLOAT).string(8, 'w').message(13, (e) => e.string(1, 'location').string(2, 'weights.bin')).varint(14, 1));
      g.message(11, (i) => i.string(1, 'x').message(2, (t) => t.message(1, (tt) => tt.varint(1, DataType.FLOAT).message(2, (s) => s.message(1, (d) => d.varint(1, 4))))));
    });
    w.message(8, (o) => o.string(1, '').varint(2, 17));
    expect(refusal(w.finish()).message).toMatch(/initializer 'w': its values are in an external file/);
  });

  it('a cycle in the graph, naming the nodes', () => {
    const e = refusal(
      model([
        { name: 'first', opType: 'Add', inputs: ['x', 'b'], outputs: ['a'] },
        { name: 'second', opType: 'Relu', inputs: ['a'], outputs: ['b'] },
        { name: 'out', opType: 'Identity', inputs: ['a'], outputs: ['y'] },
      ]),
    );
    expect(e.message).toMatch(/cycle: Add node 'first', Relu node 'second'/);
  });

  it('a value nothing defines', () => {
    expect(refusal(model([{ name: 'n', opType: 'Relu', inputs: ['ghost'], outputs: ['y'] }])).message).toMatch(/Relu node 'n' reads 'ghost', which no node, input or initializer defines/);
  });

  it('an unknown opset domain, an unsupported operator, attribute or attribute value, naming op, node and attribute', () => {
    const custom = encodeModel({ irVersion: 8, opset: 17, producerName: 't', producerVersion: '1', graphName: 'g', nodes: [{ name: 'n', opType: 'Relu', inputs: ['x'], outputs: ['y'] }], initializers: [], inputs: [float('x', [1, 4])], outputs: [float('y', [1, 4])] });
    // Re-encode with the node in another domain: NodeProto field 7.
    const w = new Writer();
    w.varint(1, 8).message(7, (g) => {
      g.message(1, (n) => n.string(1, 'x').string(2, 'y').string(3, 'fused').string(4, 'FusedGemm').string(7, 'com.microsoft'));
      g.message(11, (i) => i.string(1, 'x').message(2, (t) => t.message(1, (tt) => tt.varint(1, DataType.FLOAT).message(2, (s) => s.message(1, (d) => d.varint(1, 4))))));
      g.message(12, (i) => i.string(1, 'y').message(2, (t) => t.message(1, (tt) => tt.varint(1, DataType.FLOAT))));
    });
    w.message(8, (o) => o.string(1, '').varint(2, 17)).message(8, (o) => o.string(1, 'com.microsoft').varint(2, 1));
    expect(importOnnx(custom).outputs).toHaveLength(1);
    const domain = refusal(w.finish());
    expect(domain.message).toMatch(/FusedGemm node 'fused' is in the opset domain 'com.microsoft'/);

    const op = refusal(model([{ name: 'rnn', opType: 'LSTM', inputs: ['x'], outputs: ['y'] }]));
    expect([op.op, op.node]).toEqual(['LSTM', 'rnn']);
    expect(op.message).toMatch(/LSTM node 'rnn': the operator LSTM is not supported/);

    const attribute = refusal(model([{ name: 'act', opType: 'Softmax', inputs: ['x'], outputs: ['y'], attributes: [{ name: 'axis', int: 1 }, { name: 'mystery', int: 3 }] }]));
    expect([attribute.op, attribute.node, attribute.attribute]).toEqual(['Softmax', 'act', 'mystery']);
    expect(attribute.message).toMatch(/Softmax node 'act': attribute 'mystery': not supported \(importOnnx reads axis of Softmax\)/);

    const image = { name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4, 5, 5] };
    const grouped = encodeModel({
      irVersion: 8, opset: 17, producerName: 't', producerVersion: '1', graphName: 'g',
      nodes: [{ name: 'conv', opType: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attributes: [{ name: 'group', int: 2 }] }],
      initializers: [{ name: 'w', dims: [4, 2, 3, 3], dataType: DataType.FLOAT, values: new Array(72).fill(0.1) }],
      inputs: [image], outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 4, 3, 3] }],
    });
    const group = refusal(grouped);
    expect([group.op, group.node, group.attribute]).toEqual(['Conv', 'conv', 'group']);
    expect(group.message).toMatch(/Conv node 'conv': attribute 'group': group 2 \(grouped or depthwise convolution\) is not supported/);

    expect(refusal(model([{ name: 'add3', opType: 'Max', inputs: ['x', 'x', 'x'], outputs: ['y'] }])).message).toMatch(/Max node 'add3': 3 inputs/);
  });

  it('opsets outside 13–21, and files that are not ONNX at all', () => {
    expect(refusal(model([{ name: 'r', opType: 'Relu', inputs: ['x'], outputs: ['y'] }], { opset: 9 })).message).toMatch(/opset 9; importOnnx reads opsets 13 to 21/);
    expect(refusal(new TextEncoder().encode('{"not": "onnx"}')).message).toMatch(/not a valid ONNX file/);
    expect(refusal(new Uint8Array(0)).message).toMatch(/no graph/);
  });
});
