/**
 * ONNX → deltagraph: a model's graph rebuilt with the public graph API, so that it predicts,
 * trains (`Model.fit`), differentiates (`grad`, `gradCheck`), saves and exports again.
 *
 * - Float initializers become parameters under their ONNX names (trainable unless `trainable`
 *   says otherwise; BatchNormalization's running mean and variance never are); int initializers
 *   and Constant nodes become constants.
 * - Values known when the model is read (constants, and the Shape → Gather → Concat → Reshape
 *   chains exporters write for a dynamic batch) are folded: a dimension unknown until run time
 *   (the batch) is carried through them as unknown, and a Reshape target holding it becomes −1.
 * - ONNX's NCHW Conv and pooling run as deltagraph's NHWC ops between two transposes; a transpose
 *   that undoes another is dropped, so a model exported by deltagraph comes back without them.
 * - Anything not translated exactly (an op type, an attribute or a value of one) is an OnnxError
 *   naming the op type, the node and the attribute; malformed files are refused before anything
 *   they declare is allocated.
 */
import { MAX_ELEMENTS, formatBytes } from '../core/limits.ts';
import { Graph } from '../graph/graph.ts';
import type { Tensor } from '../graph/tensor.ts';
import { OnnxError } from './errors.ts';
import { FROZEN_KEY } from './export.ts';
import { DataType, dataTypeNames, decodeModel, type AttributeProto, type NodeProto, type TensorProto } from './proto.ts';

/** Opsets of the default domain the importer reads: 13 (PyTorch's default) to 21. */
export const IMPORT_OPSETS = [13, 21] as const;

/** Options of {@link importOnnx}. */
export interface ImportOptions {
  /** Which float initializers are trainable parameters: all (true, the default), none, or those the function picks. */
  trainable?: boolean | ((name: string) => boolean);
  /** Seed of the new graph (default 1). */
  seed?: number;
  /** Build into this graph instead of a new one (parameter names must be free in it). */
  graph?: Graph;
  /** Tensors of `graph` to use for ONNX inputs, by input name, instead of new inputs (to compose or gradCheck a model). */
  inputs?: Readonly<Record<string, Tensor>>;
}

/** What {@link importOnnx} returns: the rebuilt graph and its inputs, outputs and parameters. */
export interface ImportedModel {
  /** The graph the model was built into: `options.graph`, or a new one. */
  readonly graph: Graph;
  /** The graph's inputs (initializers excluded), in the file's order, under their ONNX names. */
  readonly inputs: Tensor[];
  /** The graph's outputs, in the file's order. */
  readonly outputs: Tensor[];
  /** The parameters made from initializers, under their ONNX names. */
  readonly parameters: Tensor[];
  /** The opset of the default domain the file declares. */
  readonly opset: number;
  /** The tool that wrote the file (producer_name, e.g. 'pytorch'); '' when not given. */
  readonly producer: string;
}

/** A value known while importing: data with its dims; NaN marks a dimension unknown until run time. */
interface Known {
  readonly kind: 'known';
  readonly dims: number[];
  readonly values: Float64Array;
  readonly int: boolean;
}
interface Symbolic {
  readonly kind: 'tensor';
  readonly t: Tensor;
}
interface Initializer {
  readonly kind: 'initializer';
  readonly proto: TensorProto;
}
type Value = Known | Symbolic | Initializer;

const intTypes = new Set<number>([DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOL]);
const floatTypes = new Set<number>([DataType.FLOAT, DataType.DOUBLE]);
const byteSize: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.INT64]: 8, [DataType.INT32]: 4, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.BOOL]: 1 };

/**
 * A deltagraph Graph from ONNX model bytes, with its inputs, outputs and parameters.
 *
 * @example
 * const { graph, inputs, outputs } = importOnnx(bytes);
 * const model = new Model({ inputs: inputs[0], outputs: outputs[0] });
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  if (!(bytes instanceof Uint8Array)) throw new OnnxError(`importOnnx: expected the model's bytes as a Uint8Array, got ${typeof bytes}`);
  const model = decodeModel(bytes);
  if (!model.graph) throw new OnnxError('not an ONNX model: the file has no graph (ModelProto.graph)');
  const opset = model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!opset) throw new OnnxError(`the model imports no opset of the default ONNX domain (it imports ${model.opsets.map((o) => `'${o.domain}' ${o.version}`).join(', ') || 'none'})`);
  if (opset.version < IMPORT_OPSETS[0] || opset.version > IMPORT_OPSETS[1]) {
    throw new OnnxError(`the model is at opset ${opset.version}; importOnnx reads opsets ${IMPORT_OPSETS[0]} to ${IMPORT_OPSETS[1]} (re-export it at one of those)`);
  }
  if (model.graph.sparseInitializers > 0) throw new OnnxError('the model has sparse initializers, which importOnnx does not read');
  // Parameters a deltagraph export marked as not trainable (batchNorm's moving statistics) stay so.
  let frozen: string[] = [];
  try {
    const listed: unknown = JSON.parse(model.metadata.get(FROZEN_KEY) ?? '[]');
    if (Array.isArray(listed)) frozen = listed.filter((n): n is string => typeof n === 'string');
  } catch {
    throw new OnnxError(`the model's metadata '${FROZEN_KEY}' is not a JSON list of names`);
  }
  return new Importer(model.graph, opset.version, model.producerName, options, new Set(frozen)).run();
}

/** Names a node in messages: `Conv node 'conv1'` (or its position when unnamed). */
const describe = (n: NodeProto, index: number) => `${n.opType} node '${n.name || `#${index}`}'`;

class Importer {
  readonly graph: Graph;
  private readonly values = new Map<string, Value>();
  private readonly parameters: Tensor[] = [];
  private readonly initializerNames = new Set<string>();

  constructor(
    private readonly proto: NonNullable<ReturnType<typeof decodeModel>['graph']>,
    readonly opset: number,
    private readonly producer: string,
    private readonly options: ImportOptions,
    private readonly frozen: ReadonlySet<string>,
  ) {
    this.graph = options.graph ?? new Graph({ seed: options.seed ?? 1 });
  }

  run(): ImportedModel {
    let total = 0;
    for (const t of this.proto.initializers) {
      if (this.values.has(t.name)) throw new OnnxError(`two initializers are named '${t.name}'`, { offset: t.offset });
      total += checkTensor(t, `initializer '${t.name}'`);
      if (total > MAX_ELEMENTS) throw new OnnxError(`the initializers declare more than ${MAX_ELEMENTS.toLocaleString('en-US')} values (${formatBytes(MAX_ELEMENTS * 4)} as float32), more than a device holds`, { offset: t.offset });
      this.values.set(t.name, { kind: 'initializer', proto: t });
      this.initializerNames.add(t.name);
    }
    const inputs: Tensor[] = [];
    for (const info of this.proto.inputs) {
      if (this.initializerNames.has(info.name)) continue; // an initializer listed as an input (IR < 4) is a parameter
      const where = `graph input '${info.name}'`;
      if (info.elemType === undefined) throw new OnnxError(`${where} is not a tensor (sequences, maps and optionals are not imported)`, { offset: info.offset });
      const dtype = floatTypes.has(info.elemType) ? 'float' : intTypes.has(info.elemType) ? 'int' : null;
      if (!dtype) throw new OnnxError(`${where} has element type ${dataTypeNames[info.elemType] ?? info.elemType}; importOnnx takes float and integer inputs`, { offset: info.offset });
      if (!info.shape) throw new OnnxError(`${where} has no shape; importOnnx needs every input's rank`, { offset: info.offset });
      const shape = info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
      if (this.values.has(info.name)) throw new OnnxError(`two graph inputs are named '${info.name}'`, { offset: info.offset });
      const bound = this.options.inputs?.[info.name];
      if (bound && (bound.graph !== this.graph || bound.dtype !== dtype || bound.rank !== shape.length || bound.shape.some((d, i) => shape[i] !== null && d !== shape[i]))) {
        throw new OnnxError(`importOnnx: the tensor given for input '${info.name}' (${String(bound)}) must be a ${dtype} tensor of the target graph with a shape fitting ${JSON.stringify(shape)}`);
      }
      const t = bound ?? this.graph.input(info.name, shape, dtype);
      this.values.set(info.name, { kind: 'tensor', t });
      inputs.push(t);
    }
    for (const [index, node] of this.ordered()) {
      const where = describe(node, index);
      if (node.domain !== '' && node.domain !== 'ai.onnx') throw new OnnxError(`${where} is in the opset domain '${node.domain}', which importOnnx does not know (only the default ONNX domain)`, { op: node.opType, node: node.name });
      const rule = rules[node.opType];
      if (!rule) throw new OnnxError(`${where}: the operator ${node.opType} is not supported by importOnnx (see docs/interop.md for the list)`, { op: node.opType, node: node.name });
      const ctx = new NodeContext(this, node, where);
      for (const a of node.attributes) if (!rule.attributes.includes(a.name)) ctx.fail(`not supported (importOnnx reads ${rule.attributes.length > 0 ? rule.attributes.join(', ') : 'no attributes'} of ${node.opType})`, a.name);
      if (rule.inputs !== undefined && node.inputs.length > rule.inputs) ctx.fail(`${node.inputs.length} inputs; importOnnx translates ${node.opType} with at most ${rule.inputs}`);
      const outputs = rule.build(ctx);
      node.outputs.forEach((name, i) => {
        if (name === '') return;
        if (i >= outputs.length) {
          if (this.readers.has(name)) ctx.fail(`output ${i} ('${name}') is read by another node, but importOnnx only computes the first ${outputs.length} output(s) of ${node.opType}`);
          return;
        }
        if (this.values.has(name)) ctx.fail(`output '${name}' is already defined by another node or an initializer`);
        this.values.set(name, outputs[i]);
      });
    }
    const outputs = this.proto.outputs.map((o) => {
      const v = this.values.get(o.name);
      if (!v) throw new OnnxError(`graph output '${o.name}' is made by no node`, { offset: o.offset });
      return this.tensor(v, `graph output '${o.name}'`);
    });
    return { graph: this.graph, inputs, outputs, parameters: this.parameters, opset: this.opset, producer: this.producer };
  }

  /** Value names some node reads (to tell whether an extra output matters). */
  private readers = new Set<string>();

  /** The nodes in an order where every input is made first (Kahn's algorithm); a cycle is refused. */
  private ordered(): [number, NodeProto][] {
    const nodes = this.proto.nodes;
    const maker = new Map<string, number>();
    nodes.forEach((n, i) => n.outputs.forEach((o) => o !== '' && maker.set(o, i)));
    for (const o of this.proto.outputs) this.readers.add(o.name);
    const waiting = nodes.map(() => 0);
    const next = nodes.map((): number[] => []);
    nodes.forEach((n, i) => {
      for (const name of n.inputs) {
        if (name === '') continue;
        this.readers.add(name);
        const from = maker.get(name);
        if (from !== undefined) {
          waiting[i]++;
          next[from].push(i);
        } else if (!this.values.has(name)) {
          throw new OnnxError(`${describe(n, i)} reads '${name}', which no node, input or initializer defines`, { op: n.opType, node: n.name });
        }
      }
    });
    const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
    const order: [number, NodeProto][] = [];
    while (ready.length > 0) {
      const i = ready.shift()!;
      order.push([i, nodes[i]]);
      for (const j of next[i]) if (--waiting[j] === 0) ready.push(j);
    }
    if (order.length < nodes.length) {
      const stuck = nodes.map((n, i) => [n, i] as const).filter(([, i]) => waiting[i] > 0);
      throw new OnnxError(`the graph has a cycle: ${stuck.slice(0, 4).map(([n, i]) => describe(n, i)).join(', ')}${stuck.length > 4 ? ', …' : ''} wait on each other`, { op: stuck[0][0].opType, node: stuck[0][0].name });
    }
    return order;
  }

  value(name: string): Value | undefined {
    return name === '' ? undefined : this.values.get(name);
  }

  /** A value as a graph tensor: a float initializer becomes a parameter, known data a constant. */
  tensor(v: Value, where: string, trainable?: boolean): Tensor {
    if (v.kind === 'tensor') return v.t;
    if (v.kind === 'initializer') {
      const name = v.proto.name;
      // Also reached through Identity under another name (exporters share equal initializers so).
      const made = this.values.get(name);
      if (made?.kind === 'tensor') return made.t;
      const known = decodeTensor(v.proto, `initializer '${name}'`);
      if (known.int) return this.constant(known, where);
      const picked = this.options.trainable ?? true;
      const isTrainable = trainable ?? (this.frozen.has(name) ? false : typeof picked === 'function' ? picked(name) : picked);
      const p = this.graph.parameter(name, known.dims, known.values, { trainable: isTrainable });
      this.parameters.push(p);
      this.values.set(name, { kind: 'tensor', t: p });
      return p;
    }
    return this.constant(v, where);
  }

  private constant(k: Known, where: string): Tensor {
    if (k.values.some(Number.isNaN)) throw new OnnxError(`${where}: a run-time dimension (the batch) is used as data; importOnnx folds shapes into Reshape targets only`);
    return this.graph.constant(k.values, k.dims, k.int ? 'int' : 'float');
  }
}

/** Checks a tensor's declared size against its data before any of it is read; returns its element count. */
function checkTensor(t: TensorProto, where: string): number {
  const fail = (message: string): never => {
    throw new OnnxError(`${where}: ${message}`, { offset: t.offset });
  };
  if (t.external) fail('its values are in an external file (external data), which importOnnx does not read: save the model with its data inside');
  if (!(t.dataType in byteSize)) fail(`element type ${dataTypeNames[t.dataType] ?? t.dataType} is not imported (float, double, int64, int32, int8, uint8 and bool are)`);
  let count = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) fail(`dimension ${d} is not a whole number ≥ 0`);
    count *= d;
    if (count > MAX_ELEMENTS) fail(`dims ${JSON.stringify(t.dims)} declare more than ${MAX_ELEMENTS.toLocaleString('en-US')} values, more than a device holds`);
  }
  const given = t.raw ? t.raw.length / byteSize[t.dataType] : (t.floatData ?? t.int32Data ?? t.int64Data ?? t.doubleData ?? []).length;
  if (given !== count) fail(`dims ${JSON.stringify(t.dims)} declare ${count} values but the data holds ${given}`);
  return count;
}

function decodeTensor(t: TensorProto, where: string): Known {
  const count = checkTensor(t, where);
  const values = new Float64Array(count);
  if (t.raw) {
    const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
    for (let i = 0; i < count; i++) {
      switch (t.dataType) {
        case DataType.FLOAT: values[i] = view.getFloat32(i * 4, true); break;
        case DataType.DOUBLE: values[i] = view.getFloat64(i * 8, true); break;
        case DataType.INT64: values[i] = Number(view.getBigInt64(i * 8, true)); break;
        case DataType.INT32: values[i] = view.getInt32(i * 4, true); break;
        case DataType.INT8: values[i] = view.getInt8(i); break;
        default: values[i] = view.getUint8(i);
      }
    }
  } else values.set(t.floatData ?? t.int32Data ?? t.int64Data ?? t.doubleData ?? []);
  return { kind: 'known', dims: [...t.dims], values, int: intTypes.has(t.dataType) };
}

/** What a rule sees of its node: inputs as tensors or known values, attributes, and `fail`. */
class NodeContext {
  constructor(
    readonly im: Importer,
    readonly node: NodeProto,
    readonly where: string,
  ) {}

  get g(): Graph {
    return this.im.graph;
  }

  fail(message: string, attribute?: string): never {
    throw new OnnxError(`${this.where}: ${attribute ? `attribute '${attribute}': ` : ''}${message}`, { op: this.node.opType, node: this.node.name, attribute });
  }

  has(i: number): boolean {
    return this.im.value(this.node.inputs[i] ?? '') !== undefined;
  }

  raw(i: number): Value {
    const v = this.im.value(this.node.inputs[i] ?? '');
    if (!v) this.fail(`input ${i} is missing`);
    return v;
  }

  /** Input i as a tensor. */
  x(i: number, trainable?: boolean): Tensor {
    return this.im.tensor(this.raw(i), `${this.where}, input ${i}`, trainable);
  }

  /**
   * Input i as a value known now (folded), or undefined for a run-time tensor. A float
   * initializer counts as a tensor: it is a parameter, whose value training changes.
   */
  known(i: number): Known | undefined {
    const v = this.raw(i);
    if (v.kind === 'tensor' || (v.kind === 'initializer' && !intTypes.has(v.proto.dataType))) return undefined;
    return v.kind === 'known' ? v : decodeTensor(v.proto, `initializer '${v.proto.name}'`);
  }

  /** Input i's values, which must be known now (a shape, axes, pads, a pad value). */
  ints(i: number, what: string): number[] {
    const v = this.raw(i);
    const k = v.kind === 'initializer' ? decodeTensor(v.proto, `initializer '${v.proto.name}'`) : this.known(i);
    if (!k) this.fail(`input ${i} (${what}) must be a constant or an initializer (or a shape chain importOnnx folds); it is computed at run time`);
    return Array.from(k.values);
  }

  private attr(name: string): AttributeProto | undefined {
    return this.node.attributes.find((a) => a.name === name);
  }
  int(name: string, fallback: number): number {
    return this.attr(name)?.i ?? fallback;
  }
  float(name: string, fallback: number): number {
    return this.attr(name)?.f ?? fallback;
  }
  intList(name: string): number[] | undefined {
    const a = this.attr(name);
    return a ? a.ints : undefined;
  }
  string(name: string, fallback: string): string {
    const s = this.attr(name)?.s;
    return s ? new TextDecoder().decode(s) : fallback;
  }
  tensorAttr(name: string): TensorProto | undefined {
    return this.attr(name)?.t;
  }
  /** Refuses an attribute whose value importOnnx does not translate. */
  only(name: string, ok: boolean, what: string): void {
    if (!ok) this.fail(what, name);
  }
}

// ---------------------------------------------------------------------------------------------
// Rules: one per ONNX operator, each naming the attributes it reads (any other is refused).

interface Rule {
  readonly attributes: readonly string[];
  /** The most inputs the rule reads (more are refused rather than ignored). */
  readonly inputs?: number;
  readonly build: (ctx: NodeContext) => Value[];
}

const tensorValue = (t: Tensor): Symbolic => ({ kind: 'tensor', t });
const known = (dims: number[], values: ArrayLike<number>, int: boolean): Known => ({ kind: 'known', dims, values: Float64Array.from(values), int });

/** t with its axes permuted, composing with (or cancelling) a transpose that made t. */
function permute(t: Tensor, perm: readonly number[]): Tensor {
  if (t.node.op === 'transpose') {
    const inner = t.node.attrs.perm as number[];
    const composed = perm.map((p) => inner[p]);
    const base = t.graph.tensor(t.node.inputs[0]);
    return composed.every((p, i) => p === i) ? base : base.transpose(composed);
  }
  return perm.every((p, i) => p === i) ? t : t.transpose(perm);
}

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

/** deltagraph's reshape of t to `dims`, where null (a run-time dimension) becomes −1. */
function reshapeTo(ctx: NodeContext, t: Tensor, dims: (number | null)[]): Tensor {
  const unknown = dims.filter((d) => d === null || d === -1).length;
  if (unknown > 1) ctx.fail(`the new shape ${JSON.stringify(dims)} has more than one dimension unknown at import time`);
  return t.reshape(dims.map((d) => d ?? -1));
}

/** Normalised axes (negative counted from the end), checked against the rank. */
function axesIn(ctx: NodeContext, axes: readonly number[], rank: number, what = 'axes'): number[] {
  return axes.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) ctx.fail(`axis ${a} is outside a tensor of rank ${rank}`, what);
    return a < 0 ? a + rank : a;
  });
}

function unary(apply: (t: Tensor) => Tensor): Rule {
  return { attributes: [], inputs: 1, build: (ctx) => [tensorValue(apply(ctx.x(0)))] };
}

/** Binary elementwise ops; on values known now (shape arithmetic) they are folded. */
function binary(apply: (a: Tensor, b: Tensor) => Tensor, fold?: (a: number, b: number, int: boolean) => number): Rule {
  return {
    attributes: [],
    inputs: 2,
    build: (ctx) => {
      const [a, b] = [ctx.known(0), ctx.known(1)];
      if (fold && a && b && (a.values.length === b.values.length || a.values.length === 1 || b.values.length === 1) && a.dims.length <= 1 && b.dims.length <= 1) {
        const n = Math.max(a.values.length, b.values.length);
        const int = a.int && b.int;
        const dims = a.values.length >= b.values.length ? a.dims : b.dims;
        return [known(dims, Array.from({ length: n }, (_, i) => fold(a.values[a.values.length === 1 ? 0 : i], b.values[b.values.length === 1 ? 0 : i], int)), int)];
      }
      return [tensorValue(apply(ctx.x(0), ctx.x(1)))];
    },
  };
}

/** Reductions: axes from the attribute (ReduceMean, ReduceMax before opset 18) or the second input. */
function reduction(apply: (t: Tensor, axes: number[], keep: boolean) => Tensor): Rule {
  return {
    attributes: ['axes', 'keepdims', 'noop_with_empty_axes'],
    build: (ctx) => {
      const x = ctx.x(0);
      const given = ctx.has(1) ? ctx.ints(1, 'axes') : ctx.intList('axes') ?? [];
      const keep = ctx.int('keepdims', 1) === 1;
      if (given.length === 0 && ctx.int('noop_with_empty_axes', 0) === 1) return [tensorValue(x)];
      const axes = given.length === 0 ? x.shape.map((_, i) => i) : axesIn(ctx, given, x.rank);
      return [tensorValue(apply(x, axes, keep))];
    },
  };
}

/** [[top, bottom], [left, right]] or 'same' from ONNX's auto_pad and pads. */
function windowPadding(ctx: NodeContext): 'valid' | 'same' | [[number, number], [number, number]] {
  const auto = ctx.string('auto_pad', 'NOTSET');
  if (auto === 'VALID') return 'valid';
  if (auto === 'SAME_UPPER') return 'same';
  ctx.only('auto_pad', auto === 'NOTSET', `'${auto}' is not supported (NOTSET, VALID and SAME_UPPER are)`);
  const pads = ctx.intList('pads') ?? [0, 0, 0, 0];
  ctx.only('pads', pads.length === 4 && pads.every((p) => p >= 0), `${JSON.stringify(pads)}: importOnnx takes 2-d windows with pads [top, left, bottom, right] ≥ 0`);
  return [[pads[0], pads[2]], [pads[1], pads[3]]];
}

function pair(ctx: NodeContext, name: string, fallback: [number, number]): [number, number] {
  const v = ctx.intList(name) ?? fallback;
  ctx.only(name, v.length === 2 && v.every((d) => Number.isInteger(d) && d >= 1), `${JSON.stringify(v)}: importOnnx takes 2-d windows (two whole numbers ≥ 1)`);
  return [v[0], v[1]];
}

function image(ctx: NodeContext): Tensor {
  const x = ctx.x(0);
  if (x.rank !== 4) ctx.fail(`input X ${JSON.stringify(x.shape)} must be an NCHW image (importOnnx takes 2-d convolutions and pools)`);
  return x;
}

function pool(kind: 'maxPool2d' | 'avgPool2d'): Rule {
  const attributes = ['kernel_shape', 'strides', 'pads', 'auto_pad', 'ceil_mode', 'dilations', ...(kind === 'maxPool2d' ? ['storage_order'] : ['count_include_pad'])];
  return {
    attributes,
    build: (ctx) => {
      const x = image(ctx);
      ctx.only('ceil_mode', ctx.int('ceil_mode', 0) === 0, 'ceil_mode 1 is not supported');
      ctx.only('storage_order', ctx.int('storage_order', 0) === 0, 'storage_order 1 is not supported');
      const padding = windowPadding(ctx);
      const hasPads = padding === 'same' || (Array.isArray(padding) && padding.flat().some((p) => p > 0));
      ctx.only('count_include_pad', ctx.int('count_include_pad', 0) === 0 || !hasPads, 'count_include_pad 1 with padding is not supported (deltagraph averages the pixels inside the image)');
      const size = pair(ctx, 'kernel_shape', [0, 0]);
      const y = permute(x, TO_NHWC)[kind](size, { strides: pair(ctx, 'strides', [1, 1]), padding, dilations: pair(ctx, 'dilations', [1, 1]) });
      return [tensorValue(permute(y, TO_NCHW))];
    },
  };
}

/**
 * erf(x) by Abramowitz & Stegun 7.1.26 (absolute error below 1.5·10⁻⁷), composed of graph ops so
 * that it differentiates; sign(x) carries no gradient and the rest is even in x, so d/dx is right.
 */
function erf(x: Tensor): Tensor {
  const a = x.abs();
  const t = a.mul(0.3275911).add(1).pow(-1);
  const poly = t.mul(t.mul(t.mul(t.mul(t.mul(1.061405429).add(-1.453152027)).add(1.421413741)).add(-0.284496736)).add(0.254829592));
  return x.sign().mul(poly.mul(a.square().neg().exp()).neg().add(1));
}

/** A known 1-d or scalar value's entries picked by known indices (shape chains). */
function gatherKnown(ctx: NodeContext, data: Known, indices: Known): Known {
  if (data.dims.length !== 1) ctx.fail('folding a Gather of a known value takes a 1-d value');
  const n = data.dims[0];
  const picked = Array.from(indices.values, (i) => {
    if (i < -n || i >= n) ctx.fail(`index ${i} is outside the ${n} values`);
    return data.values[i < 0 ? i + n : i];
  });
  return known([...indices.dims], picked, data.int);
}

function castTo(ctx: NodeContext, v: Value, to: number): Value {
  const int = intTypes.has(to);
  if (!int && !floatTypes.has(to)) ctx.fail(`casting to ${dataTypeNames[to] ?? to} is not supported`, 'to');
  if (v.kind !== 'tensor') {
    const k = v.kind === 'known' ? v : decodeTensor(v.proto, `initializer '${v.proto.name}'`);
    const values = to === DataType.BOOL ? k.values.map((x) => (x !== 0 ? 1 : 0)) : int ? k.values.map(Math.trunc) : k.values;
    return known(k.dims, values, int);
  }
  const t = v.t;
  if (to === DataType.BOOL) return tensorValue(t.equal(0).neg().add(1));
  return tensorValue(int === (t.dtype === 'int') ? t : t.cast(int ? 'int' : 'float'));
}

const rules: Record<string, Rule> = {
  Identity: { attributes: [], build: (ctx) => [ctx.raw(0)] },
  Dropout: {
    attributes: ['seed'],
    build: (ctx) => {
      if (ctx.has(2) && ctx.ints(2, 'training_mode')[0] !== 0) ctx.fail('training_mode must be false: importOnnx imports the inference graph');
      return [ctx.raw(0)];
    },
  },
  Constant: {
    attributes: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
    build: (ctx) => {
      const t = ctx.tensorAttr('value');
      if (t) return [decodeTensor(t, `${ctx.where}, attribute 'value'`)];
      const a = ctx.node.attributes[0];
      if (!a) ctx.fail('has no value');
      if (a.name === 'value_float') return [known([], [a.f ?? 0], false)];
      if (a.name === 'value_int') return [known([], [a.i ?? 0], true)];
      if (a.name === 'value_floats') return [known([a.floats.length], a.floats, false)];
      return [known([a.ints.length], a.ints, true)];
    },
  },
  ConstantOfShape: {
    attributes: ['value'],
    build: (ctx) => {
      const dims = ctx.ints(0, 'shape');
      const size = dims.reduce((a, b) => a * b, 1);
      if (!dims.every((d) => Number.isInteger(d) && d >= 0) || size > MAX_ELEMENTS) ctx.fail(`shape ${JSON.stringify(dims)} is not a known shape a device can hold`);
      const t = ctx.tensorAttr('value');
      const fill = t ? decodeTensor(t, `${ctx.where}, attribute 'value'`) : known([1], [0], false);
      return [known(dims, new Float64Array(size).fill(fill.values[0] ?? 0), fill.int)];
    },
  },
  Shape: {
    attributes: ['start', 'end'],
    build: (ctx) => {
      const v = ctx.raw(0);
      const dims: (number | null)[] = v.kind === 'tensor' ? [...v.t.shape] : v.kind === 'known' ? v.dims : v.proto.dims;
      const r = dims.length;
      const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + r : i, 0), r);
      const picked = dims.slice(clamp(ctx.int('start', 0)), clamp(ctx.int('end', r)));
      return [known([picked.length], picked.map((d) => d ?? NaN), true)];
    },
  },
  Cast: {
    attributes: ['to', 'saturate'],
    build: (ctx) => [castTo(ctx, ctx.raw(0), ctx.int('to', 0))],
  },
  Relu: unary((t) => t.relu()),
  Sigmoid: unary((t) => t.sigmoid()),
  Tanh: unary((t) => t.tanh()),
  Exp: unary((t) => t.exp()),
  Log: unary((t) => t.log()),
  Neg: unary((t) => t.neg()),
  Sqrt: unary((t) => t.sqrt()),
  Abs: unary((t) => t.abs()),
  Sign: unary((t) => t.sign()),
  Softplus: unary((t) => t.softplus()),
  Softsign: unary((t) => t.softsign()),
  Erf: unary(erf),
  Add: binary((a, b) => a.add(b), (a, b) => a + b),
  Sub: binary((a, b) => a.sub(b), (a, b) => a - b),
  Mul: binary((a, b) => a.mul(b), (a, b) => a * b),
  Div: binary((a, b) => a.div(b), (a, b, int) => (int ? Math.trunc(a / b) : a / b)),
  Pow: binary((a, b) => a.pow(b)),
  Max: binary((a, b) => a.maximum(b)),
  Min: binary((a, b) => a.minimum(b)),
  Equal: binary((a, b) => a.equal(b), (a, b) => (a === b ? 1 : 0)),
  // Booleans are 1/0 floats in deltagraph; a NaN operand gives NaN here, false in ONNX.
  Greater: binary((a, b) => a.sub(b).step(), (a, b) => (a > b ? 1 : 0)),
  Less: binary((a, b) => b.sub(a).step(), (a, b) => (a < b ? 1 : 0)),
  Not: unary((t) => t.equal(0)),
  ReduceProd: {
    attributes: ['axes', 'keepdims'],
    build: (ctx) => {
      // Only as exporters use it on shapes (an element count): a product of known values.
      const k = ctx.known(0) ?? ctx.fail('only the product of a known 1-d value (an element count from a shape) is supported');
      if (k.dims.length !== 1 || ctx.has(1) || ctx.intList('axes')) ctx.fail('only the product of a known 1-d value (an element count from a shape) is supported');
      const product = k.values.reduce((a, b) => a * b, 1);
      return [known(ctx.int('keepdims', 1) === 1 ? [1] : [], [product], k.int)];
    },
  },
  Where: {
    attributes: [],
    build: (ctx) => [tensorValue(ctx.x(0).where(ctx.x(1), ctx.x(2)))],
  },
  Softmax: {
    attributes: ['axis'],
    build: (ctx) => [tensorValue(ctx.x(0).softmax(ctx.int('axis', -1)))],
  },
  LogSoftmax: {
    attributes: ['axis'],
    build: (ctx) => [tensorValue(ctx.x(0).logSoftmax(ctx.int('axis', -1)))],
  },
  MatMul: {
    attributes: [],
    build: (ctx) => {
      const [a, b] = [ctx.x(0), ctx.x(1)];
      if (a.rank < 2 || b.rank < 2) ctx.fail(`inputs ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)}: importOnnx multiplies matrices of rank ≥ 2`);
      if (a.rank === 2 && b.rank === 2) return [tensorValue(a.matMul(b))];
      if (a.rank <= 3 && b.rank <= 3) return [tensorValue(a.matMul(b))];
      const lead = a.shape.slice(0, -2);
      const [m, n] = [a.shape[a.rank - 2], b.shape[b.rank - 1]];
      if (b.rank === 2) {
        // [..., m, k]·[k, n]: the leading axes folded into the rows.
        const rows = reshapeTo(ctx, a, [null, a.shape[a.rank - 1]]);
        return [tensorValue(reshapeTo(ctx, rows.matMul(b), [...lead, m, n]))];
      }
      if (a.rank !== b.rank || lead.some((d, i) => d !== null && b.shape[i] !== null && d !== b.shape[i])) ctx.fail(`inputs ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)}: importOnnx multiplies batches of equal leading dimensions (no broadcasting of them)`);
      const flat = (t: Tensor) => reshapeTo(ctx, t, [null, t.shape[t.rank - 2], t.shape[t.rank - 1]]);
      return [tensorValue(reshapeTo(ctx, flat(a).matMul(flat(b)), [...lead, m, n]))];
    },
  },
  Gemm: {
    attributes: ['alpha', 'beta', 'transA', 'transB'],
    build: (ctx) => {
      let y = ctx.x(0).matMul(ctx.x(1), ctx.int('transA', 0) === 1, ctx.int('transB', 0) === 1);
      const alpha = ctx.float('alpha', 1);
      if (alpha !== 1) y = y.mul(alpha);
      if (ctx.has(2)) {
        const beta = ctx.float('beta', 1);
        const c = ctx.x(2);
        y = y.add(beta === 1 ? c : c.mul(beta));
      }
      return [tensorValue(y)];
    },
  },
  Conv: {
    attributes: ['kernel_shape', 'strides', 'pads', 'auto_pad', 'dilations', 'group'],
    build: (ctx) => {
      const x = image(ctx);
      ctx.only('group', ctx.int('group', 1) === 1, `group ${ctx.int('group', 1)} (grouped or depthwise convolution) is not supported`);
      const w = ctx.x(1);
      if (w.rank !== 4) ctx.fail(`the weight ${JSON.stringify(w.shape)} must be [out, in, kh, kw]`);
      const kernel = ctx.intList('kernel_shape');
      if (kernel) ctx.only('kernel_shape', kernel[0] === w.shape[2] && kernel[1] === w.shape[3], `${JSON.stringify(kernel)} differs from the weight's ${JSON.stringify(w.shape.slice(2))}`);
      let y = permute(x, TO_NHWC).conv2d(permute(w, [2, 3, 1, 0]), { strides: pair(ctx, 'strides', [1, 1]), padding: windowPadding(ctx), dilations: pair(ctx, 'dilations', [1, 1]) });
      if (ctx.has(2)) y = y.add(ctx.x(2));
      return [tensorValue(permute(y, TO_NCHW))];
    },
  },
  MaxPool: pool('maxPool2d'),
  AveragePool: pool('avgPool2d'),
  GlobalAveragePool: {
    attributes: [],
    build: (ctx) => [tensorValue(image(ctx).mean([2, 3], true))],
  },
  BatchNormalization: {
    attributes: ['epsilon', 'momentum', 'training_mode'],
    build: (ctx) => {
      ctx.only('training_mode', ctx.int('training_mode', 0) === 0, 'training_mode 1 is not supported: importOnnx imports the inference graph (its Model.fit keeps the statistics fixed)');
      const x = ctx.x(0);
      if (x.rank < 2) ctx.fail(`input X ${JSON.stringify(x.shape)} needs a channel axis 1`);
      // Along axis 1 of [N, C, ...]: per-channel values shaped [C, 1, …] to broadcast.
      const perChannel = (t: Tensor) => (x.rank === 2 ? t : t.reshape([t.shape[0] as number, ...Array<number>(x.rank - 2).fill(1)]));
      const [scale, bias] = [ctx.x(1), ctx.x(2)];
      const [mean, variance] = [ctx.x(3, false), ctx.x(4, false)];
      const factor = variance.add(ctx.float('epsilon', 1e-5)).pow(-0.5).mul(scale);
      return [tensorValue(x.sub(perChannel(mean)).mul(perChannel(factor)).add(perChannel(bias)))];
    },
  },
  LayerNormalization: {
    attributes: ['axis', 'epsilon', 'stash_type'],
    build: (ctx) => {
      const x = ctx.x(0);
      const first = axesIn(ctx, [ctx.int('axis', -1)], x.rank, 'axis')[0];
      const axes = x.shape.map((_, i) => i).filter((i) => i >= first);
      const centred = x.sub(x.mean(axes, true));
      let y = centred.div(centred.square().mean(axes, true).add(ctx.float('epsilon', 1e-5)).sqrt()).mul(ctx.x(1));
      if (ctx.has(2)) y = y.add(ctx.x(2));
      return [tensorValue(y)];
    },
  },
  ReduceMean: reduction((t, axes, keep) => t.mean(axes, keep)),
  ReduceSum: reduction((t, axes, keep) => t.sum(axes, keep)),
  ReduceMax: reduction((t, axes, keep) => t.max(axes, keep)),
  ReduceMin: reduction((t, axes, keep) => t.min(axes, keep)),
  ReduceLogSumExp: reduction((t, axes, keep) => t.logSumExp(axes, keep)),
  Transpose: {
    attributes: ['perm'],
    build: (ctx) => {
      const x = ctx.x(0);
      const perm = ctx.intList('perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
      return [tensorValue(permute(x, perm))];
    },
  },
  Reshape: {
    attributes: ['allowzero'],
    build: (ctx) => {
      const target = ctx.ints(1, 'shape');
      const v = ctx.raw(0);
      const dims: (number | null)[] = v.kind === 'tensor' ? [...v.t.shape] : v.kind === 'known' ? v.dims : v.proto.dims;
      const allowZero = ctx.int('allowzero', 0) === 1;
      // 0 copies the input's dimension; NaN is a run-time dimension from a shape chain.
      const wanted = target.map((d, i) => (d === 0 && !allowZero ? (dims[i] ?? NaN) : d));
      const unknown = wanted.filter(Number.isNaN).length;
      const inferred = wanted.filter((d) => d === -1).length;
      let resolved = wanted.map((d) => (Number.isNaN(d) ? -1 : d));
      if (unknown + inferred > 1) {
        // [batch, -1] with the batch the input's one unknown dimension: −1 is the rest of the input.
        const rest = dims.filter((d) => d !== null) as number[];
        if (unknown !== 1 || inferred !== 1 || dims.filter((d) => d === null).length !== 1) ctx.fail(`the target shape ${JSON.stringify(wanted.map((d) => (Number.isNaN(d) ? '?' : d)))} has more than one dimension unknown at import time`);
        const size = rest.reduce((a, b) => a * b, 1) / wanted.filter((d) => d > 0).reduce((a, b) => a * b, 1);
        resolved = wanted.map((d) => (Number.isNaN(d) ? -1 : d === -1 ? size : d));
      }
      if (v.kind !== 'tensor' && unknown === 0) {
        const k = ctx.known(0)!;
        const size = k.values.length;
        const fixed = resolved.reduce((a, b) => (b === -1 ? a : a * b), 1);
        return [known(resolved.map((d) => (d === -1 ? size / fixed : d)), k.values, k.int)];
      }
      return [tensorValue(ctx.x(0).reshape(resolved))];
    },
  },
  Flatten: {
    attributes: ['axis'],
    build: (ctx) => {
      const x = ctx.x(0);
      const axis = ctx.int('axis', 1);
      const k = axis < 0 ? axis + x.rank : axis;
      const product = (d: readonly (number | null)[]) => (d.some((v) => v === null) ? null : (d as number[]).reduce((a, b) => a * b, 1));
      return [tensorValue(reshapeTo(ctx, x, [product(x.shape.slice(0, k)), product(x.shape.slice(k))]))];
    },
  },
  Squeeze: {
    attributes: [],
    build: (ctx) => {
      const v = ctx.raw(0);
      const dims: (number | null)[] = v.kind === 'tensor' ? [...v.t.shape] : v.kind === 'known' ? v.dims : v.proto.dims;
      const axes = ctx.has(1) ? axesIn(ctx, ctx.ints(1, 'axes'), dims.length) : dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      for (const a of axes) if (dims[a] !== 1 && dims[a] !== null) ctx.fail(`axis ${a} has length ${dims[a]}, not 1`);
      const out = dims.filter((_, i) => !axes.includes(i));
      if (v.kind !== 'tensor') return [known(out as number[], ctx.known(0)!.values, ctx.known(0)!.int)];
      return [tensorValue(reshapeTo(ctx, v.t, out))];
    },
  },
  Unsqueeze: {
    attributes: [],
    build: (ctx) => {
      const v = ctx.raw(0);
      const dims: (number | null)[] = v.kind === 'tensor' ? [...v.t.shape] : v.kind === 'known' ? v.dims : v.proto.dims;
      const rank = dims.length + ctx.ints(1, 'axes').length;
      const axes = axesIn(ctx, ctx.ints(1, 'axes'), rank);
      const out: (number | null)[] = [];
      let from = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : dims[from++]);
      if (v.kind !== 'tensor') return [known(out as number[], ctx.known(0)!.values, ctx.known(0)!.int)];
      return [tensorValue(reshapeTo(ctx, v.t, out))];
    },
  },
  Concat: {
    attributes: ['axis'],
    build: (ctx) => {
      const n = ctx.node.inputs.length;
      const parts = Array.from({ length: n }, (_, i) => ctx.known(i));
      if (parts.every((p) => p && p.dims.length === 1)) {
        const values = parts.flatMap((p) => Array.from(p!.values));
        return [known([values.length], values, parts.every((p) => p!.int))];
      }
      const tensors = Array.from({ length: n }, (_, i) => ctx.x(i));
      return [tensorValue(tensors[0].concat(tensors.slice(1), ctx.int('axis', 0)))];
    },
  },
  Slice: {
    attributes: [],
    build: (ctx) => {
      const v = ctx.raw(0);
      const dims: (number | null)[] = v.kind === 'tensor' ? [...v.t.shape] : v.kind === 'known' ? v.dims : v.proto.dims;
      const starts = ctx.ints(1, 'starts');
      const ends = ctx.ints(2, 'ends');
      const axes = ctx.has(3) ? axesIn(ctx, ctx.ints(3, 'axes'), dims.length) : starts.map((_, i) => i);
      const steps = ctx.has(4) ? ctx.ints(4, 'steps') : starts.map(() => 1);
      if (steps.some((s) => s !== 1)) ctx.fail(`steps ${JSON.stringify(steps)}: only step 1 is supported`);
      const begin = dims.map(() => 0);
      const size = dims.map(() => -1);
      axes.forEach((axis, i) => {
        const d = dims[axis];
        if (d === null) {
          if (starts[i] !== 0 || ends[i] < 2 ** 31 - 1) ctx.fail(`axis ${axis} is unknown until run time (the batch); only the whole of it can be sliced`);
          return;
        }
        const clamp = (p: number) => Math.min(Math.max(p < 0 ? p + d : p, 0), d);
        begin[axis] = clamp(starts[i]);
        size[axis] = Math.max(clamp(ends[i]) - begin[axis], 0);
      });
      if (v.kind !== 'tensor' && dims.length === 1) {
        const k = ctx.known(0)!;
        const end = size[0] === -1 ? k.values.length : begin[0] + size[0];
        return [known([end - begin[0]], k.values.subarray(begin[0], end), k.int)];
      }
      return [tensorValue(ctx.x(0).slice(begin, size))];
    },
  },
  Pad: {
    attributes: ['mode'],
    build: (ctx) => {
      ctx.only('mode', ctx.string('mode', 'constant') === 'constant', `mode '${ctx.string('mode', 'constant')}' is not supported (constant is)`);
      const x = ctx.x(0);
      const pads = ctx.ints(1, 'pads');
      const value = ctx.has(2) ? ctx.ints(2, 'constant_value')[0] : 0;
      const axes = ctx.has(3) ? axesIn(ctx, ctx.ints(3, 'axes'), x.rank) : x.shape.map((_, i) => i);
      if (pads.length !== 2 * axes.length || pads.some((p) => p < 0)) ctx.fail(`pads ${JSON.stringify(pads)} must be ${2 * axes.length} whole numbers ≥ 0 (negative pads are not supported)`);
      const paddings = x.shape.map((): [number, number] => [0, 0]);
      axes.forEach((a, i) => (paddings[a] = [pads[i], pads[i + axes.length]]));
      return [tensorValue(x.pad(paddings, value))];
    },
  },
  Gather: {
    attributes: ['axis'],
    build: (ctx) => {
      const [data, indices] = [ctx.known(0), ctx.known(1)];
      if (data && indices && ctx.int('axis', 0) === 0 && data.dims.length === 1) return [gatherKnown(ctx, data, indices)];
      const x = ctx.x(0);
      const axis = axesIn(ctx, [ctx.int('axis', 0)], x.rank, 'axis')[0];
      if (indices) {
        const length = x.shape[axis] ?? ctx.fail(`the gathered axis ${axis} must have a known length`);
        const values = indices.values.map((i) => (i < 0 ? i + length : i));
        return [tensorValue(x.gather(ctx.g.constant(values, indices.dims, 'int'), axis))];
      }
      const ids = ctx.x(1);
      return [tensorValue(x.gather(ids.dtype === 'int' ? ids : ids.cast('int'), axis))];
    },
  },
};

/** The ONNX operators importOnnx translates, for docs and messages. */
export const importedOperators = Object.keys(rules).sort();
