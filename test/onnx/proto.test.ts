/**
 * The protobuf reader and writer, byte for byte against the encodings protobuf's documentation
 * gives, and a written ModelProto read back field for field.
 */
import { describe, expect, it } from 'vitest';
import { DataType, decodeModel, encodeModel, Writer } from '../../src/onnx/proto.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('protobuf wire format', () => {
  it('writes varints, negative int64, strings, floats and packed fields as protobuf does', () => {
    expect(hex(new Writer().varint(1, 150).finish())).toBe('089601'); // the documentation's example
    expect(hex(new Writer().varint(1, 0).varint(1, 127).varint(1, 128).finish())).toBe('0800087f088001');
    expect(hex(new Writer().varint(1, -1).finish())).toBe('08ffffffffffffffffff01'); // int64 −1: ten bytes
    expect(hex(new Writer().varint(1, 2 ** 40).finish())).toBe('088080808080' + '20');
    expect(hex(new Writer().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new Writer().float(2, 1.5).finish())).toBe('150000c03f');
    expect(hex(new Writer().packedVarints(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705'); // the documentation's packed example
  });

  it('reads back what it writes: a ModelProto field for field, int64 values past 2³¹ and below 0 included', () => {
    const bytes = encodeModel({
      irVersion: 8,
      opset: 17,
      producerName: 'p',
      producerVersion: 'v',
      graphName: 'g',
      nodes: [
        { name: 'n0', opType: 'Reshape', inputs: ['x', 's'], outputs: ['r'], attributes: [{ name: 'allowzero', int: 0 }], docString: 'at a.ts:1:1' },
        { name: 'n1', opType: 'LeakyRelu', inputs: ['r'], outputs: ['y'], attributes: [{ name: 'alpha', float: 0.25 }, { name: 'ints', ints: [-1, 2 ** 33] }, { name: 'floats', floats: [0.5, -2] }, { name: 'mode', string: 'constant' }] },
      ],
      initializers: [
        { name: 's', dims: [2], dataType: DataType.INT64, values: [-1, 2 ** 40] },
        { name: 'w', dims: [2, 2], dataType: DataType.FLOAT, values: [1, -2, 0.5, 3] },
      ],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 4, null] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT }],
    });
    const m = decodeModel(bytes);
    expect([m.irVersion, m.producerName, m.producerVersion, m.opsets]).toEqual([8, 'p', 'v', [{ domain: '', version: 17 }]]);
    const g = m.graph!;
    expect(g.name).toBe('g');
    expect(g.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs, n.docString])).toEqual([
      ['n0', 'Reshape', ['x', 's'], ['r'], 'at a.ts:1:1'],
      ['n1', 'LeakyRelu', ['r'], ['y'], ''],
    ]);
    const [alpha, ints, floats, mode] = g.nodes[1].attributes;
    expect([alpha.name, alpha.f, alpha.type]).toEqual(['alpha', 0.25, 1]);
    expect([ints.ints, ints.type]).toEqual([[-1, 2 ** 33], 7]);
    expect(floats.floats).toEqual([0.5, -2]);
    expect(new TextDecoder().decode(mode.s)).toBe('constant');
    const [s, w] = g.initializers;
    expect([s.name, s.dims, s.dataType]).toEqual(['s', [2], DataType.INT64]);
    const view = new DataView(s.raw!.buffer, s.raw!.byteOffset);
    expect([view.getBigInt64(0, true), view.getBigInt64(8, true)]).toEqual([-1n, 2n ** 40n]);
    expect(Array.from(new Float32Array(w.raw!.slice().buffer))).toEqual([1, -2, 0.5, 3]);
    expect(g.inputs.map((v) => [v.name, v.elemType, v.shape])).toEqual([['x', DataType.FLOAT, ['batch', 4, null]]]);
    expect(g.outputs.map((v) => [v.name, v.shape])).toEqual([['y', undefined]]);
  });

  it('skips unknown fields of every wire type, as protobuf requires', () => {
    const w = new Writer();
    w.varint(1, 8).varint(99, 5).float(98, 1).string(97, 'ignored').message(7, (g) => g.string(2, 'kept').varint(50, 1)).message(8, (o) => o.varint(2, 13));
    const m = decodeModel(w.finish());
    expect([m.irVersion, m.graph!.name, m.opsets[0].version]).toEqual([8, 'kept', 13]);
  });
});
