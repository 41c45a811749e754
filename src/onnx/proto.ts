/**
 * The part of onnx.proto that models use, read and written exactly in protobuf's wire format:
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto (tensor
 * types), TensorShapeProto and OperatorSetIdProto, with their field numbers from onnx.proto.
 *
 * Hand-written rather than protobufjs + a schema: the subset is nine messages, a reader must refuse
 * hostile files (a length past the end, a tensor claiming 10¹² values) before allocating what they
 * claim and say at which byte and in which field, and the browser entry stays a few KB.
 * Unknown fields are skipped, as protobuf requires; wrong wire types are errors.
 */
import { OnnxError } from './errors.ts';

/** TensorProto.DataType values this module knows by name. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
export const dataTypeNames: Record<number, string> = {
  1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};

/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** A tensor as read (TensorProto): an initializer, or the value of a Constant node's attribute. */
export interface TensorProto {
  /** Its name ('' when unnamed, as in an attribute). */
  name: string;
  /** Its shape (dims), outermost first; [] for a scalar. */
  dims: number[];
  /** Its element type, a TensorProto.DataType number (1 FLOAT, 7 INT64, 9 BOOL, 11 DOUBLE, …; 0 when not given). */
  dataType: number;
  /** Little-endian values (raw_data), the usual form. */
  raw?: Uint8Array;
  /** Values of a FLOAT tensor not in `raw` (float_data). */
  floatData?: number[];
  /** Values of INT32, INT8, UINT8, BOOL (and FLOAT16 bits) not in `raw` (int32_data). */
  int32Data?: number[];
  /** Values of an INT64 tensor not in `raw` (int64_data). */
  int64Data?: number[];
  /** Values of a DOUBLE tensor not in `raw` (double_data). */
  doubleData?: number[];
  /** data_location EXTERNAL or external_data entries: the values live in another file. */
  external: boolean;
  /** Byte offset in the file where the message's fields start. */
  offset: number;
}

/** A node's attribute as read (AttributeProto): which of the value fields is set depends on `type`. */
export interface AttributeProto {
  /** The attribute's name, e.g. 'kernel_shape'. */
  name: string;
  /** Its AttributeProto.AttributeType number (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, 8 STRINGS; 0 when not given). */
  type: number;
  /** A FLOAT value. */
  f?: number;
  /** An INT value. */
  i?: number;
  /** A STRING value, as its bytes (UTF-8). */
  s?: Uint8Array;
  /** A TENSOR value. */
  t?: TensorProto;
  /** A FLOATS value ([] when not set). */
  floats: number[];
  /** An INTS value ([] when not set). */
  ints: number[];
  /** Set when the attribute holds a graph (If, Loop bodies): never imported. */
  hasGraph: boolean;
  /** Byte offset in the file where the message's fields start. */
  offset: number;
}

/** One node of the graph (NodeProto): an op applied to named values. */
export interface NodeProto {
  /** The node's name ('' when not given). */
  name: string;
  /** The op, e.g. 'Conv', 'Gemm', 'Relu'. */
  opType: string;
  /** The op's domain: '' (or 'ai.onnx') for the default domain. */
  domain: string;
  /** Names of the values it reads, in order; '' for an optional input left out. */
  inputs: string[];
  /** Names of the values it writes, in order. */
  outputs: string[];
  /** Its attributes, in the file's order. */
  attributes: AttributeProto[];
  /** Its doc_string (deltagraph writes the node's description and the user's line there). */
  docString: string;
  /** Byte offset in the file where the message's fields start. */
  offset: number;
}

/** A dimension: a number, a symbolic name (dim_param, e.g. 'batch') or nothing. */
export type DimProto = number | string | null;

/** A graph input or output as declared (ValueInfoProto): name, element type and shape. */
export interface ValueInfoProto {
  /** The value's name. */
  name: string;
  /** Undefined when the type is not a tensor type (sequence, map, optional). */
  elemType?: number;
  /** Undefined when the shape is not given. */
  shape?: DimProto[];
  /** Byte offset in the file where the message's fields start. */
  offset: number;
}

/** The model's graph (GraphProto): its nodes, initializers (the weights), inputs and outputs. */
export interface GraphProto {
  /** The graph's name. */
  name: string;
  /** The nodes, in the file's order (ONNX requires it topological). */
  nodes: NodeProto[];
  /** The initializers: named constant tensors, the model's weights. */
  initializers: TensorProto[];
  /** The declared inputs, in order; older exporters list the initializers among them too. */
  inputs: ValueInfoProto[];
  /** The declared outputs, in order. */
  outputs: ValueInfoProto[];
  /** How many sparse initializers the graph has (their contents are skipped; importOnnx refuses them). */
  sparseInitializers: number;
}

/** An opset the model imports (OperatorSetIdProto): a domain and its version. */
export interface OpsetProto {
  /** The domain: '' (or 'ai.onnx') for the default ONNX ops, e.g. 'com.microsoft' for others. */
  domain: string;
  /** The opset version, e.g. 17. */
  version: number;
}

/** A decoded ONNX model file (ModelProto), as {@link decodeModel} returns it: the fields models use, under camelCase names. */
export interface ModelProto {
  /** The ONNX IR version the file declares (ir_version; deltagraph writes 8). */
  irVersion: number;
  /** The tool that wrote the file (producer_name, e.g. 'pytorch', 'deltagraph'); '' when not given. */
  producerName: string;
  /** That tool's version (producer_version); '' when not given. */
  producerVersion: string;
  /** The opsets imported (opset_import), in the file's order. */
  opsets: OpsetProto[];
  /** The graph; undefined when the file has none. */
  graph?: GraphProto;
  /** The model's doc_string; '' when not given. */
  docString: string;
  /** Local functions (ModelProto.functions): never imported. */
  functions: number;
  /** ModelProto.metadata_props, key → value. */
  metadata: Map<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Reading

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const utf8 = new TextDecoder();

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    readonly path: string,
  ) {
    this.pos = start;
  }

  fail(message: string, at = this.pos): never {
    throw new OnnxError(`not a valid ONNX file: ${message} (at byte ${at}, in ${this.path})`, { offset: at });
  }

  /** A varint as a number: exact to 2⁵³; int64 negatives (two's complement) come out negative. */
  varint(): number {
    let lo = 0;
    let hi = 0;
    const start = this.pos;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail('the data ends inside a number', start);
      if (i >= 10) this.fail('a number longer than 10 bytes', start);
      const b = this.bytes[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) break;
    }
    lo >>>= 0;
    return hi * 2 ** 32 + lo; // hi is signed: a negative int64 comes out negative
  }

  /** The bytes of a length-delimited field, checked against what is left before anything is allocated. */
  span(): [number, number] {
    const at = this.pos;
    const n = this.varint();
    if (n < 0 || n > this.end - this.pos) this.fail(`a field declares ${n} bytes but only ${this.end - this.pos} are left`, at);
    const start = this.pos;
    this.pos += n;
    return [start, this.pos];
  }

  sub(name: string): Reader {
    const [start, end] = this.span();
    return new Reader(this.bytes, start, end, `${this.path}.${name}`);
  }

  string(): string {
    const [start, end] = this.span();
    return utf8.decode(this.bytes.subarray(start, end));
  }

  fixed(size: 4 | 8): number {
    if (this.end - this.pos < size) this.fail('the data ends inside a number');
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, size);
    this.pos += size;
    return size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_I64) this.fixed(8);
    else if (wire === WIRE_LEN) this.span();
    else if (wire === WIRE_I32) this.fixed(4);
    else this.fail(`wire type ${wire} (groups or garbage)`);
  }

  /** Calls `field` for each field of the message; it returns false for fields it does not read. */
  each(field: (num: number, wire: number, at: number) => boolean): void {
    while (this.pos < this.end) {
      const at = this.pos;
      const key = this.varint();
      const num = Math.floor(key / 8);
      const wire = key % 8;
      if (num === 0) this.fail('field number 0', at);
      if (!field(num, wire, at)) this.skip(wire);
    }
  }

  expect(wire: number, want: number, name: string, at: number): void {
    if (wire !== want) this.fail(`field ${name} has wire type ${wire}, expected ${want}`, at);
  }

  /** A repeated number field, packed or not. */
  repeated(out: number[], wire: number, scalar: number, read: () => number, name: string, at: number): void {
    if (wire === WIRE_LEN) {
      const [start, end] = this.span();
      const outer = this.pos;
      this.pos = start;
      while (this.pos < end) out.push(read());
      if (this.pos !== end) this.fail(`packed ${name} overruns its length`, start);
      this.pos = outer;
    } else {
      this.expect(wire, scalar, name, at);
      out.push(read());
    }
  }
}

function readTensor(r: Reader): TensorProto {
  const t: TensorProto = { name: '', dims: [], dataType: 0, external: false, offset: r.pos };
  const list = (key: 'floatData' | 'int32Data' | 'int64Data' | 'doubleData') => (t[key] ??= []);
  r.each((num, wire, at) => {
    switch (num) {
      case 1: return r.repeated(t.dims, wire, WIRE_VARINT, () => r.varint(), 'dims', at), true;
      case 2: return r.expect(wire, WIRE_VARINT, 'data_type', at), (t.dataType = r.varint()), true;
      case 4: return r.repeated(list('floatData'), wire, WIRE_I32, () => r.fixed(4), 'float_data', at), true;
      case 5: return r.repeated(list('int32Data'), wire, WIRE_VARINT, () => r.varint(), 'int32_data', at), true;
      case 7: return r.repeated(list('int64Data'), wire, WIRE_VARINT, () => r.varint(), 'int64_data', at), true;
      case 8: return r.expect(wire, WIRE_LEN, 'name', at), (t.name = r.string()), true;
      case 9: {
        r.expect(wire, WIRE_LEN, 'raw_data', at);
        const [start, end] = r.span();
        t.raw = r.bytes.subarray(start, end);
        return true;
      }
      case 10: return r.repeated(list('doubleData'), wire, WIRE_I64, () => r.fixed(8), 'double_data', at), true;
      case 13: return r.expect(wire, WIRE_LEN, 'external_data', at), r.span(), (t.external = true), true;
      case 14: {
        r.expect(wire, WIRE_VARINT, 'data_location', at);
        if (r.varint() === 1) t.external = true; // the number is read whatever external already was
        return true;
      }
      default: return false;
    }
  });
  return t;
}

function readAttribute(r: Reader): AttributeProto {
  const a: AttributeProto = { name: '', type: 0, floats: [], ints: [], hasGraph: false, offset: r.pos };
  r.each((num, wire, at) => {
    switch (num) {
      case 1: return r.expect(wire, WIRE_LEN, 'name', at), (a.name = r.string()), true;
      case 2: return r.expect(wire, WIRE_I32, 'f', at), (a.f = r.fixed(4)), true;
      case 3: return r.expect(wire, WIRE_VARINT, 'i', at), (a.i = r.varint()), true;
      case 4: {
        r.expect(wire, WIRE_LEN, 's', at);
        const [start, end] = r.span();
        a.s = r.bytes.subarray(start, end);
        return true;
      }
      case 5: return r.expect(wire, WIRE_LEN, 't', at), (a.t = readTensor(r.sub('t'))), true;
      case 6:
      case 11: return r.span(), (a.hasGraph = true), true;
      case 7: return r.repeated(a.floats, wire, WIRE_I32, () => r.fixed(4), 'floats', at), true;
      case 8: return r.repeated(a.ints, wire, WIRE_VARINT, () => r.varint(), 'ints', at), true;
      case 20: return r.expect(wire, WIRE_VARINT, 'type', at), (a.type = r.varint()), true;
      default: return false;
    }
  });
  return a;
}

function readNode(r: Reader): NodeProto {
  const n: NodeProto = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [], docString: '', offset: r.pos };
  r.each((num, wire, at) => {
    if (num <= 7 && num !== 5) r.expect(wire, WIRE_LEN, `NodeProto field ${num}`, at);
    switch (num) {
      case 1: return n.inputs.push(r.string()), true;
      case 2: return n.outputs.push(r.string()), true;
      case 3: return (n.name = r.string()), true;
      case 4: return (n.opType = r.string()), true;
      case 5: return r.expect(wire, WIRE_LEN, 'attribute', at), n.attributes.push(readAttribute(r.sub(`attribute[${n.attributes.length}]`))), true;
      case 6: return (n.docString = r.string()), true;
      case 7: return (n.domain = r.string()), true;
      default: return false;
    }
  });
  return n;
}

function readShape(r: Reader): DimProto[] {
  const dims: DimProto[] = [];
  r.each((num, wire, at) => {
    if (num !== 1) return false;
    r.expect(wire, WIRE_LEN, 'dim', at);
    const d = r.sub(`dim[${dims.length}]`);
    let dim: DimProto = null;
    d.each((k, w, a) => {
      if (k === 1) return d.expect(w, WIRE_VARINT, 'dim_value', a), (dim = d.varint()), true;
      if (k === 2) return d.expect(w, WIRE_LEN, 'dim_param', a), (dim = d.string()), true;
      return false;
    });
    dims.push(dim);
    return true;
  });
  return dims;
}

function readValueInfo(r: Reader): ValueInfoProto {
  const v: ValueInfoProto = { name: '', offset: r.pos };
  r.each((num, wire, at) => {
    if (num === 1) return r.expect(wire, WIRE_LEN, 'name', at), (v.name = r.string()), true;
    if (num !== 2) return false;
    r.expect(wire, WIRE_LEN, 'type', at);
    const type = r.sub('type');
    type.each((k, w, a) => {
      if (k !== 1) return false; // sequence, map, optional, sparse: elemType stays undefined
      type.expect(w, WIRE_LEN, 'tensor_type', a);
      const tensor = type.sub('tensor_type');
      tensor.each((j, tw, ta) => {
        if (j === 1) return tensor.expect(tw, WIRE_VARINT, 'elem_type', ta), (v.elemType = tensor.varint()), true;
        if (j === 2) return tensor.expect(tw, WIRE_LEN, 'shape', ta), (v.shape = readShape(tensor.sub('shape'))), true;
        return false;
      });
      return true;
    });
    return true;
  });
  return v;
}

function readGraph(r: Reader): GraphProto {
  const g: GraphProto = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], sparseInitializers: 0 };
  r.each((num, wire, at) => {
    if ([1, 2, 5, 11, 12, 15].includes(num)) r.expect(wire, WIRE_LEN, `GraphProto field ${num}`, at);
    switch (num) {
      case 1: return g.nodes.push(readNode(r.sub(`node[${g.nodes.length}]`))), true;
      case 2: return (g.name = r.string()), true;
      case 5: return g.initializers.push(readTensor(r.sub(`initializer[${g.initializers.length}]`))), true;
      case 11: return g.inputs.push(readValueInfo(r.sub(`input[${g.inputs.length}]`))), true;
      case 12: return g.outputs.push(readValueInfo(r.sub(`output[${g.outputs.length}]`))), true;
      case 15: return r.span(), g.sparseInitializers++, true;
      default: return false;
    }
  });
  return g;
}

/** Parses ONNX model bytes (a ModelProto); throws OnnxError with the byte offset on malformed input. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new Reader(bytes, 0, bytes.length, 'ModelProto');
  const m: ModelProto = { irVersion: 0, producerName: '', producerVersion: '', opsets: [], docString: '', functions: 0, metadata: new Map() };
  r.each((num, wire, at) => {
    switch (num) {
      case 1: return r.expect(wire, WIRE_VARINT, 'ir_version', at), (m.irVersion = r.varint()), true;
      case 2: return r.expect(wire, WIRE_LEN, 'producer_name', at), (m.producerName = r.string()), true;
      case 3: return r.expect(wire, WIRE_LEN, 'producer_version', at), (m.producerVersion = r.string()), true;
      case 6: return r.expect(wire, WIRE_LEN, 'doc_string', at), (m.docString = r.string()), true;
      case 7: {
        r.expect(wire, WIRE_LEN, 'graph', at);
        if (m.graph) r.fail('two graphs in one model', at);
        m.graph = readGraph(r.sub('graph'));
        return true;
      }
      case 8: {
        r.expect(wire, WIRE_LEN, 'opset_import', at);
        const o = r.sub(`opset_import[${m.opsets.length}]`);
        const opset: OpsetProto = { domain: '', version: 0 };
        o.each((k, w, a) => {
          if (k === 1) return o.expect(w, WIRE_LEN, 'domain', a), (opset.domain = o.string()), true;
          if (k === 2) return o.expect(w, WIRE_VARINT, 'version', a), (opset.version = o.varint()), true;
          return false;
        });
        m.opsets.push(opset);
        return true;
      }
      case 14: {
        r.expect(wire, WIRE_LEN, 'metadata_props', at);
        const e = r.sub('metadata_props');
        let [key, value] = ['', ''];
        e.each((k, w, a) => {
          if (k === 1) return e.expect(w, WIRE_LEN, 'key', a), (key = e.string()), true;
          if (k === 2) return e.expect(w, WIRE_LEN, 'value', a), (value = e.string()), true;
          return false;
        });
        m.metadata.set(key, value);
        return true;
      }
      case 25: return r.expect(wire, WIRE_LEN, 'functions', at), r.span(), m.functions++, true;
      default: return false;
    }
  });
  return m;
}

// ---------------------------------------------------------------------------------------------
// Writing

const utf8Encode = new TextEncoder();

/** Appends protobuf fields to a growing buffer; nested messages are written by `message`. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private rawVarint(v: number): void {
    this.room(10);
    if (v < 0) {
      // int64 two's complement: ten bytes.
      let big = BigInt.asUintN(64, BigInt(v));
      for (let i = 0; i < 10; i++) {
        const b = Number(big & 0x7fn);
        big >>= 7n;
        this.buf[this.len++] = big === 0n ? b : b | 0x80;
        if (big === 0n) break;
      }
      return;
    }
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  private key(num: number, wire: number): void {
    this.rawVarint(num * 8 + wire);
  }

  varint(num: number, v: number): this {
    this.key(num, WIRE_VARINT);
    this.rawVarint(v);
    return this;
  }

  float(num: number, v: number): this {
    this.key(num, WIRE_I32);
    this.room(4);
    new DataView(this.buf.buffer, this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  bytes(num: number, data: Uint8Array): this {
    this.key(num, WIRE_LEN);
    this.rawVarint(data.length);
    this.room(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(num: number, s: string): this {
    return this.bytes(num, utf8Encode.encode(s));
  }

  packedVarints(num: number, values: readonly number[]): this {
    const inner = new Writer();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(num, inner.finish());
  }

  packedFloats(num: number, values: readonly number[]): this {
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(num, data);
  }

  message(num: number, write: (w: Writer) => void): this {
    const inner = new Writer();
    write(inner);
    return this.bytes(num, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** What the exporter writes; encoded by `encodeModel`. */
export interface TensorOut {
  name: string;
  dims: readonly number[];
  dataType: typeof DataType.FLOAT | typeof DataType.INT64;
  values: ArrayLike<number>;
}
export type AttributeOut =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: readonly number[] }
  | { name: string; floats: readonly number[] }
  | { name: string; string: string }
  | { name: string; tensor: TensorOut };
export interface NodeOut {
  name: string;
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly AttributeOut[];
  docString?: string;
}
export interface ValueInfoOut {
  name: string;
  elemType: number;
  /** Undefined: the shape is not stated. */
  shape?: readonly DimProto[];
}
export interface ModelOut {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  nodes: readonly NodeOut[];
  initializers: readonly TensorOut[];
  inputs: readonly ValueInfoOut[];
  outputs: readonly ValueInfoOut[];
  metadata?: ReadonlyMap<string, string>;
}

function writeTensor(w: Writer, t: TensorOut): void {
  w.packedVarints(1, t.dims).varint(2, t.dataType).string(8, t.name);
  const n = t.values.length;
  const raw = new Uint8Array(n * (t.dataType === DataType.FLOAT ? 4 : 8));
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    if (t.dataType === DataType.FLOAT) view.setFloat32(i * 4, t.values[i], true);
    else view.setBigInt64(i * 8, BigInt(t.values[i]), true);
  }
  w.bytes(9, raw);
}

function writeAttribute(w: Writer, a: AttributeOut): void {
  w.string(1, a.name);
  if ('int' in a) w.varint(3, a.int).varint(20, AttributeType.INT);
  else if ('float' in a) w.float(2, a.float).varint(20, AttributeType.FLOAT);
  else if ('ints' in a) w.packedVarints(8, a.ints).varint(20, AttributeType.INTS);
  else if ('floats' in a) w.packedFloats(7, a.floats).varint(20, AttributeType.FLOATS);
  else if ('string' in a) w.string(4, a.string).varint(20, AttributeType.STRING);
  else w.message(5, (t) => writeTensor(t, a.tensor)).varint(20, AttributeType.TENSOR);
}

function writeValueInfo(w: Writer, v: ValueInfoOut): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      v.shape === undefined
        ? tensor.varint(1, v.elemType)
        : tensor.varint(1, v.elemType).message(2, (shape) => {
            for (const d of v.shape!) shape.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : typeof d === 'string' ? dim.string(2, d) : undefined));
          }),
    ),
  );
}

/** ONNX model bytes (a ModelProto) for a graph of the default domain at one opset. */
export function encodeModel(m: ModelOut): Uint8Array {
  const w = new Writer();
  w.varint(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  w.message(7, (g) => {
    for (const n of m.nodes) {
      g.message(1, (node) => {
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        node.string(3, n.name).string(4, n.opType);
        for (const a of n.attributes ?? []) node.message(5, (attr) => writeAttribute(attr, a));
        if (n.docString) node.string(6, n.docString);
      });
    }
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (tensor) => writeTensor(tensor, t));
    for (const v of m.inputs) g.message(11, (info) => writeValueInfo(info, v));
    for (const v of m.outputs) g.message(12, (info) => writeValueInfo(info, v));
  });
  w.message(8, (o) => o.string(1, '').varint(2, m.opset));
  for (const [key, value] of m.metadata ?? []) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}
