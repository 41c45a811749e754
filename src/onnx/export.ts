/**
 * deltagraph → ONNX: the inference graph of a model (or of chosen outputs of a graph) as an ONNX
 * model at opset 17, IR version 8.
 *
 * - The inference graph: inTrainPhase takes its inference branch (batchNorm's moving statistics),
 *   dropout is left out, gradients and updates are never reached from the outputs.
 * - Layout: deltagraph's images are NHWC, ONNX's Conv and pooling NCHW. The exported model takes
 *   its input in the deltagraph layout; each conv2d and pooling op is wrapped in Transposes
 *   (NHWC → NCHW → NHWC), and a conv filter stays an initializer [kh, kw, in, out] under its
 *   deltagraph name, turned to ONNX's [out, in, kh, kw] by a Transpose node (runtimes fold it).
 *   So every parameter is an initializer under its deltagraph name with its deltagraph shape.
 * - Dynamic batch: a dimension unknown in the graph (null) is the symbolic dimension 'batch'.
 * - Types: float tensors are FLOAT, int tensors INT64; a Cast goes where deltagraph promotes.
 * An op with no ONNX form here is refused naming the op, the node and the user's line.
 */
import type { DType, Node } from '../core/ir.ts';
import { describeNode } from '../core/ir.ts';
import { placement, type PoolAttrs, type WindowAttrs } from '../ops/conv.ts';
import type { Graph } from '../graph/graph.ts';
import { initialValues } from '../graph/initializers.ts';
import { Tensor } from '../graph/tensor.ts';
import { OnnxError } from './errors.ts';
import { DataType, encodeModel, type AttributeOut, type DimProto, type NodeOut, type TensorOut, type ValueInfoOut } from './proto.ts';

/** The model metadata key listing the initializers that are not trainable (a JSON array of names). */
export const FROZEN_KEY = 'deltagraph.nonTrainable';

/** The opset of the default ONNX domain that exportOnnx writes (17). */
export const ONNX_OPSET = 17;
/** The ONNX IR version that exportOnnx writes (8, the one that goes with opset 17). */
export const ONNX_IR_VERSION = 8;

/** What exportOnnx needs of a Model (deltagraph/nn's Model fits). */
export interface ExportableModel {
  /** The graph the model's input and output belong to. */
  readonly graph: Graph;
  /** The model's input: the ONNX graph's one input, under its name. */
  readonly input: Tensor;
  /** The model's output: the ONNX graph's one output, named 'output'. */
  readonly output: Tensor;
  /** The current parameter values by name, written as the initializers. */
  getWeights(): Map<string, Float64Array>;
}

/** A bare graph's inputs and outputs, and optionally parameter values by name (default: the graph's initial values). */
export interface ExportSpec {
  /** The graph's input tensors the outputs read, in the order of the ONNX inputs (under their names). */
  inputs: readonly Tensor[];
  /** The tensors to export as the ONNX outputs, in order (at least one, all of the inputs' graph). */
  outputs: readonly Tensor[];
  /** Names of the ONNX outputs (default: the output node's name, else output_0, output_1, …). */
  outputNames?: readonly string[];
  /** Parameter values by parameter name, written instead of the graph's initial values (a parameter not in it keeps its initial value). */
  weights?: ReadonlyMap<string, ArrayLike<number>>;
}

/** Options of {@link exportOnnx}. */
export interface ExportOptions {
  /** The ONNX graph's name (default 'deltagraph'). */
  graphName?: string;
}

type Elem = typeof DataType.FLOAT | typeof DataType.INT64 | typeof DataType.BOOL;
const elemOf = (d: DType): Elem => (d === 'int' ? DataType.INT64 : DataType.FLOAT);

const unaryOps: Record<string, string> = {
  neg: 'Neg', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', abs: 'Abs', sign: 'Sign', sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu', softplus: 'Softplus', softsign: 'Softsign', stopGradient: 'Identity',
};
const binaryOps: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', pow: 'Pow', maximum: 'Max' };

/**
 * ONNX model bytes of a Model's inference graph (its input to its output, named 'output', with
 * its current weights), or of a graph's chosen inputs and outputs.
 *
 * @example
 * const bytes = exportOnnx(model); // then: new ort.InferenceSession(bytes) in onnxruntime
 */
export function exportOnnx(model: ExportableModel | ExportSpec, options: ExportOptions = {}): Uint8Array {
  const spec: ExportSpec = 'getWeights' in model ? { inputs: [model.input], outputs: [model.output], outputNames: ['output'], weights: model.getWeights() } : model;
  if (!Array.isArray(spec.inputs) || !Array.isArray(spec.outputs) || spec.outputs.length === 0) throw new OnnxError('exportOnnx: give a Model, or { inputs, outputs } tensors of one graph');
  const graph = spec.outputs[0].graph;
  for (const t of [...spec.inputs, ...spec.outputs]) {
    if (!(t instanceof Tensor) || t.graph !== graph) throw new OnnxError(`exportOnnx: inputs and outputs must be tensors of one graph, got ${String(t)}`);
  }
  return new Exporter(graph, spec).run(options.graphName ?? 'deltagraph');
}

class Exporter {
  private readonly ir;
  private readonly names = new Map<number, string>();
  private readonly types = new Map<string, Elem>();
  private readonly nodes: NodeOut[] = [];
  private readonly initializers: TensorOut[] = [];
  private readonly inputIds: Set<number>;
  private counter = 0;

  constructor(
    private readonly graph: Graph,
    private readonly spec: ExportSpec,
  ) {
    this.ir = graph.ir();
    this.inputIds = new Set(spec.inputs.map((t) => t.id));
  }

  run(graphName: string): Uint8Array {
    // Translated in id order (inputs first), so that `value` never recurses deeply: a chain of
    // thousands of ops exports without exhausting the stack.
    for (const id of this.needed()) this.value(id);
    const outputs: ValueInfoOut[] = this.spec.outputs.map((t, i) => {
      const name = this.spec.outputNames?.[i] ?? t.name ?? `output_${i}`;
      const value = this.value(t.id);
      if (value !== name) this.emit('Identity', [value], { name, node: t.node });
      return { name, elemType: this.types.get(value)!, shape: dims(t.node) };
    });
    const inputs: ValueInfoOut[] = this.spec.inputs.map((t) => ({ name: t.name!, elemType: elemOf(t.dtype), shape: dims(t.node) }));
    // Which initializers are not trainable (batchNorm's moving statistics): importOnnx keeps them so.
    const frozen = this.initializers.filter((t) => this.graph.has(t.name) && this.graph.get(t.name).node.attrs.trainable === false).map((t) => t.name);
    const metadata = new Map(frozen.length > 0 ? [[FROZEN_KEY, JSON.stringify(frozen)]] : []);
    return encodeModel({ irVersion: ONNX_IR_VERSION, opset: ONNX_OPSET, producerName: 'deltagraph', producerVersion: '0.1', graphName, nodes: this.nodes, initializers: this.initializers, inputs, outputs, metadata });
  }

  /** The nodes `translate` reads for `node`: what the inference graph needs of it. */
  private reads(node: Node): readonly number[] {
    const [a, b] = node.inputs.map((i) => this.ir.nodes[i]);
    switch (node.op) {
      case 'inTrainPhase':
        return [node.inputs[1]];
      case 'mul':
        return b.op === 'dropoutMask' ? [a.id] : a.op === 'dropoutMask' ? [b.id] : node.inputs;
      case 'div':
        return this.isMean(node) ? [a.inputs[0]] : node.inputs;
      case 'count':
        return this.axes(node).every((k) => a.shape[k] !== null) ? [] : node.inputs;
      default:
        return node.inputs;
    }
  }

  /** Whether div(sum(x, axes), count(x, axes)) (how mean is built): exported as ReduceMean. */
  private isMean(node: Node): boolean {
    const [a, b] = node.inputs.map((i) => this.ir.nodes[i]);
    return a.op === 'sum' && b.op === 'count' && a.inputs[0] === b.inputs[0] && a.dtype === 'float' && JSON.stringify(this.axes(a)) === JSON.stringify(this.axes(b)) && a.attrs.keepDims === b.attrs.keepDims;
  }

  /** Ids of the nodes the outputs need, ascending. */
  private needed(): number[] {
    const seen = new Set<number>();
    const stack = this.spec.outputs.map((t) => t.id);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...this.reads(this.ir.nodes[id]));
    }
    return [...seen].sort((x, y) => x - y);
  }

  /** The ONNX value holding node `id`, emitting what it needs first. */
  private value(id: number): string {
    const known = this.names.get(id);
    if (known !== undefined) return known;
    const node = this.ir.nodes[id];
    const name = this.translate(node);
    this.names.set(id, name);
    return name;
  }

  private fresh(node: Node, what: string): string {
    return `${node.name ?? `${node.op}_${node.id}`}/${what}_${++this.counter}`;
  }

  /** Appends an ONNX node with one output; returns the output's name. */
  private emit(opType: string, inputs: readonly string[], o: { node: Node; name?: string; attributes?: AttributeOut[]; type?: Elem }): string {
    const output = o.name ?? (o.node.name && !this.types.has(o.node.name) ? o.node.name : this.fresh(o.node, opType));
    this.nodes.push({ name: `${opType}_${this.nodes.length}`, opType, inputs, outputs: [output], attributes: o.attributes, docString: o.node.site ? `${describeNode(o.node)} at ${o.node.site}` : describeNode(o.node) });
    this.types.set(output, o.type ?? this.types.get(inputs[0]) ?? DataType.FLOAT);
    return output;
  }

  private initializer(name: string, dims: readonly number[], dataType: typeof DataType.FLOAT | typeof DataType.INT64, values: ArrayLike<number>): string {
    this.initializers.push({ name, dims, dataType, values });
    this.types.set(name, dataType);
    return name;
  }

  /** A Constant node: initializers are kept for parameters, which importers make trainable. */
  private constant(node: Node, what: string, dims: readonly number[], dataType: typeof DataType.FLOAT | typeof DataType.INT64, values: ArrayLike<number>): string {
    return this.emit('Constant', [], { node, name: this.fresh(node, what), attributes: [{ name: 'value', tensor: { name: '', dims, dataType, values } }], type: dataType });
  }

  private ints(node: Node, values: readonly number[], what: string): string {
    return this.constant(node, what, [values.length], DataType.INT64, values);
  }

  /** `value` as type `to`, a Cast inserted when it is not. */
  private as(value: string, to: Elem, node: Node): string {
    return this.types.get(value) === to ? value : this.emit('Cast', [value], { node, name: this.fresh(node, 'cast'), attributes: [{ name: 'to', int: to }], type: to });
  }

  private refuse(node: Node, why: string): never {
    throw new OnnxError(`exportOnnx: ${describeNode(node)} ${why}`, { op: node.op, node: describeNode(node), site: node.site });
  }

  private translate(node: Node): string {
    const { op, attrs } = node;
    const out = elemOf(node.dtype);
    const input = (i: number, type: Elem = out) => this.as(this.value(node.inputs[i]), type, node);
    const final = (opType: string, inputs: string[], attributes?: AttributeOut[], type: Elem = out) => this.emit(opType, inputs, { node, attributes, type });
    switch (op) {
      case 'input':
        if (!this.inputIds.has(node.id)) this.refuse(node, `is an input the outputs read but it is not among the exported inputs (${this.spec.inputs.map((t) => `'${t.name}'`).join(', ')})`);
        this.types.set(node.name!, out);
        return node.name!;
      case 'parameter': {
        const values = this.spec.weights?.get(node.name!) ?? initialValues(this.ir.init.get(node.id)!);
        return this.initializer(node.name!, node.shape as number[], DataType.FLOAT, values);
      }
      case 'constant': {
        // A Constant node, not an initializer: importers take initializers for parameters.
        const tensor: TensorOut = { name: '', dims: node.shape as number[], dataType: out === DataType.INT64 ? DataType.INT64 : DataType.FLOAT, values: this.ir.data.get(node.id)! };
        return final('Constant', [], [{ name: 'value', tensor }]);
      }
      case 'inTrainPhase':
        return this.value(node.inputs[1]); // the inference branch
      case 'square': {
        const x = input(0);
        return final('Mul', [x, x]);
      }
      case 'step': {
        const x = input(0, DataType.FLOAT);
        const positive = this.emit('Greater', [x, this.constant(node, 'zero', [], DataType.FLOAT, [0])], { node, name: this.fresh(node, 'positive'), type: DataType.BOOL });
        const one = this.constant(node, 'one', [], out === DataType.INT64 ? DataType.INT64 : DataType.FLOAT, [1]);
        const alpha = this.constant(node, 'alpha', [], out === DataType.INT64 ? DataType.INT64 : DataType.FLOAT, [(attrs.alpha as number | undefined) ?? 0]);
        return final('Where', [positive, one, alpha]);
      }
      case 'mul': {
        // x · dropoutMask: the mask is all ones in inference, so dropout is left out.
        const [a, b] = node.inputs.map((i) => this.ir.nodes[i]);
        if (b.op === 'dropoutMask') return this.value(a.id);
        if (a.op === 'dropoutMask') return this.value(b.id);
        return final('Mul', [input(0), input(1)]);
      }
      case 'div': {
        // sum(x, axes) / count(x, axes), which is how mean is built: ReduceMean, batch or not.
        const a = this.ir.nodes[node.inputs[0]];
        if (this.isMean(node)) return final('ReduceMean', [this.value(a.inputs[0])], [{ name: 'axes', ints: this.axes(a) }, { name: 'keepdims', int: a.attrs.keepDims ? 1 : 0 }]);
        return final('Div', [input(0), input(1)]);
      }
      case 'where':
        return final('Where', [input(0, DataType.BOOL), input(1), input(2)]);
      case 'equal': {
        const common = [0, 1].every((i) => this.ir.nodes[node.inputs[i]].dtype === 'int') ? DataType.INT64 : DataType.FLOAT;
        const eq = this.emit('Equal', [input(0, common), input(1, common)], { node, name: this.fresh(node, 'equal'), type: DataType.BOOL });
        return final('Cast', [eq], [{ name: 'to', int: DataType.FLOAT }]);
      }
      case 'cast':
        return final('Cast', [this.value(node.inputs[0])], [{ name: 'to', int: out }]);
      case 'sum':
        return final('ReduceSum', [input(0), this.ints(node, this.axes(node), 'axes')], [{ name: 'keepdims', int: attrs.keepDims ? 1 : 0 }]);
      case 'max':
      case 'logSumExp':
        return final(op === 'max' ? 'ReduceMax' : 'ReduceLogSumExp', [input(0)], [{ name: 'axes', ints: this.axes(node) }, { name: 'keepdims', int: attrs.keepDims ? 1 : 0 }]);
      case 'count': {
        const x = this.ir.nodes[node.inputs[0]];
        const axes = this.axes(node);
        const dims = axes.map((a) => x.shape[a]);
        if (dims.every((d) => d !== null)) return this.constant(node, 'count', [], DataType.FLOAT, [dims.reduce<number>((p, d) => p * d!, 1)]);
        // An unknown dimension (the batch): counted at run time from the shape.
        const shape = this.emit('Shape', [this.value(x.id)], { node, name: this.fresh(node, 'shape'), type: DataType.INT64 });
        const picked = this.emit('Gather', [shape, this.ints(node, axes, 'axes')], { node, name: this.fresh(node, 'dims'), type: DataType.INT64 });
        const product = this.emit('ReduceProd', [picked], { node, name: this.fresh(node, 'product'), attributes: [{ name: 'keepdims', int: 0 }], type: DataType.INT64 });
        return final('Cast', [product], [{ name: 'to', int: DataType.FLOAT }]);
      }
      case 'matMul': {
        const flags: AttributeOut[] = [{ name: 'transA', int: attrs.transposeA ? 1 : 0 }, { name: 'transB', int: attrs.transposeB ? 1 : 0 }];
        return final('Gemm', [input(0), input(1)], flags);
      }
      case 'batchMatMul': {
        const side = (i: number, flag: unknown) => {
          const v = input(i);
          if (!flag) return v;
          const rank = this.ir.nodes[node.inputs[i]].shape.length;
          return this.emit('Transpose', [v], { node, name: this.fresh(node, 'transpose'), attributes: [{ name: 'perm', ints: rank === 3 ? [0, 2, 1] : [1, 0] }] });
        };
        return final('MatMul', [side(0, attrs.transposeA), side(1, attrs.transposeB)]);
      }
      case 'transpose':
        return final('Transpose', [input(0)], [{ name: 'perm', ints: attrs.perm as number[] }]);
      case 'reshape':
        return final('Reshape', [input(0), this.ints(node, attrs.shape as number[], 'shape')]);
      case 'concat':
        return final('Concat', [input(0), input(1)], [{ name: 'axis', int: attrs.axis as number }]);
      case 'slice': {
        const x = this.ir.nodes[node.inputs[0]];
        const begin = attrs.begin as number[];
        const size = attrs.size as number[];
        const axes = x.shape.map((_, i) => i).filter((i) => !(begin[i] === 0 && (size[i] === -1 || size[i] === x.shape[i])));
        const ends = axes.map((i) => (size[i] === -1 ? (x.shape[i] as number) : begin[i] + size[i]));
        return final('Slice', [input(0), this.ints(node, axes.map((i) => begin[i]), 'starts'), this.ints(node, ends, 'ends'), this.ints(node, axes, 'axes')]);
      }
      case 'pad': {
        const paddings = attrs.paddings as [number, number][];
        const value = this.constant(node, 'value', [], out === DataType.INT64 ? DataType.INT64 : DataType.FLOAT, [attrs.constantValue as number]);
        return final('Pad', [input(0), this.ints(node, [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])], 'pads'), value], [{ name: 'mode', string: 'constant' }]);
      }
      case 'gather':
        return final('Gather', [input(0), input(1, DataType.INT64)], [{ name: 'axis', int: attrs.axis as number }]);
      case 'softmax':
      case 'logSoftmax':
        return final(op === 'softmax' ? 'Softmax' : 'LogSoftmax', [input(0)], [{ name: 'axis', int: attrs.axis as number }]);
      case 'conv2d': {
        const filter = this.emit('Transpose', [input(1)], { node, name: this.fresh(node, 'oihw'), attributes: [{ name: 'perm', ints: [3, 2, 0, 1] }] });
        const f = this.ir.nodes[node.inputs[1]].shape as number[];
        return this.nchw(node, 'Conv', [filter], attrs as unknown as WindowAttrs, [f[0], f[1]]);
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const pool = attrs as unknown as PoolAttrs;
        const extra: AttributeOut[] = op === 'avgPool2d' ? [{ name: 'count_include_pad', int: 0 }] : [];
        return this.nchw(node, op === 'maxPool2d' ? 'MaxPool' : 'AveragePool', [], pool, [...pool.poolSize], extra);
      }
      default:
        if (op in unaryOps) return final(unaryOps[op], [input(0)]);
        if (op in binaryOps) return final(binaryOps[op], [input(0), input(1)]);
        return this.refuse(node, `has no ONNX export: op '${op}' is not one exportOnnx translates (it exports the inference graph: dense, conv2d, pooling, batchNorm, layerNorm, softmax, embedding and elementwise ops; losses, dropout masks outside x·mask and gradient ops are not part of it)`);
    }
  }

  /** The reduced axes of a reduction node, every axis for null, non-negative. */
  private axes(node: Node): number[] {
    const rank = this.ir.nodes[node.inputs[0]].shape.length;
    const given = node.attrs.axes as number | readonly number[] | null;
    const list = given === null ? [...Array(rank).keys()] : typeof given === 'number' ? [given] : [...given];
    return list.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  }

  /** A conv or pooling op over NHWC x: Transpose to NCHW, the ONNX op, Transpose back. */
  private nchw(node: Node, opType: string, extraInputs: string[], window: WindowAttrs, kernel: number[], extra: AttributeOut[] = []): string {
    const x = this.ir.nodes[node.inputs[0]];
    const [, h, w] = x.shape as [null, number, number, number];
    const [top, bottom] = pads(h, kernel[0], 0, window);
    const [left, right] = pads(w, kernel[1], 1, window);
    const nchw = this.emit('Transpose', [this.value(x.id)], { node, name: this.fresh(node, 'nchw'), attributes: [{ name: 'perm', ints: [0, 3, 1, 2] }] });
    const attributes: AttributeOut[] = [
      { name: 'kernel_shape', ints: kernel },
      { name: 'strides', ints: [...window.strides] },
      { name: 'pads', ints: [top, left, bottom, right] },
      // AveragePool has dilations from opset 19 only; pooling layers never dilate.
      ...(opType === 'AveragePool' ? [] : [{ name: 'dilations', ints: [...window.dilations] }]),
      ...extra,
    ];
    const y = this.emit(opType, [nchw, ...extraInputs], { node, name: this.fresh(node, opType.toLowerCase()), attributes });
    return this.emit('Transpose', [y], { node, attributes: [{ name: 'perm', ints: [0, 2, 3, 1] }] });
  }
}

/** [before, after] padding along one spatial axis, as deltagraph places the windows. */
function pads(length: number, size: number, axis: 0 | 1, window: WindowAttrs): [number, number] {
  const { out, before } = placement(length, size, axis, window);
  if (window.padding === 'valid') return [0, 0];
  if (window.padding !== 'same') return [window.padding[axis][0], window.padding[axis][1]];
  const span = (size - 1) * window.dilations[axis] + 1;
  return [before, Math.max((out - 1) * window.strides[axis] + span - length, 0) - before];
}

function dims(node: Node): DimProto[] {
  return node.shape.map((d, i) => (d === null ? (i === 0 ? 'batch' : `${node.name ?? 'dim'}_${i}`) : d));
}
