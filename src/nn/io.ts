/**
 * Saving and loading models, in one documented format: a safetensors file.
 *
 *   8 bytes   little-endian length N of the header
 *   N bytes   JSON header: one entry per tensor {dtype, shape, data_offsets}, and __metadata__
 *             whose "deltagraph" string is the model as JSON (graph nodes, input, output,
 *             loss, optimizer config, epochs trained)
 *   the rest  the tensors' bytes, little-endian: every parameter by name (optimizer state
 *             included, so training resumes exactly) and every constant as "constant:<node>"
 *
 * Any safetensors reader can get at the weights. In Node, saveModel and loadModel (node/files.ts)
 * write and read such files.
 */
import { isOp, ops } from '../ops/index.ts';
import { Graph } from '../graph/graph.ts';
import { DeltaGraphError } from '../core/errors.ts';
import { ancestors, type Attrs, type DType } from '../core/ir.ts';
import type { Precision } from '../runtime/memory.ts';
import type { Shape } from '../core/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { lossNames, type LossName } from './losses.ts';
import { Model } from './model.ts';
import { optimizerFromConfig, type OptimizerConfig } from './optim.ts';

export const MODEL_FORMAT = 'deltagraph-model';
export const MODEL_VERSION = 1;

/** A model file that cannot be read, or does not fit: names the file, the offset and what is wrong. */
export class ModelFileError extends DeltaGraphError {
  override name = 'ModelFileError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly offset?: number,
  ) {
    super(`${file}: ${offset === undefined ? '' : `byte ${offset}: `}${detail}`);
  }
}

interface SavedNode {
  op: string;
  inputs: number[];
  attrs: Attrs;
  shape: Shape;
  dtype: DType;
  name?: string;
}

interface SavedModel {
  format: typeof MODEL_FORMAT;
  version: number;
  dtype: Precision;
  nodes: SavedNode[];
  input: number;
  output: number;
  compile?: { loss: LossName; optimizer: OptimizerConfig; l2?: number; labels: number; lossNode: number };
  epochsTrained: number;
}

interface TensorEntry {
  dtype: 'F32' | 'F64';
  shape: number[];
  data_offsets: [number, number];
}

/** The model as bytes (the file format above). */
export function modelToBytes(model: Model): Uint8Array {
  const g = model.graph;
  const nodes = g.ir().nodes;
  const config = model.config;
  const loss = model.loss;
  // The inference graph (and the loss), plus every parameter: gradients and updates are remade by fit.
  const roots = [model.output.id, ...(loss ? [loss.id, model.labels.id] : [])];
  const keep = new Set([...ancestors(nodes, roots), ...g.parameters.map((p) => p.id)]);
  const ids = [...keep].sort((a, b) => a - b);
  const index = new Map(ids.map((id, i) => [id, i]));
  const saved: SavedModel = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    dtype: model.device.dtype,
    nodes: ids.map((id) => {
      const n = nodes[id];
      return { op: n.op, inputs: n.inputs.map((i) => index.get(i)!), attrs: n.attrs, shape: n.shape, dtype: n.dtype, ...(n.name ? { name: n.name } : {}) };
    }),
    input: index.get(model.input.id)!,
    output: index.get(model.output.id)!,
    epochsTrained: model.epochsTrained,
    ...(config && loss
      ? {
          compile: {
            loss: config.loss,
            optimizer: config.optimizer.config,
            ...(config.l2 === undefined ? {} : { l2: config.l2 }),
            labels: index.get(model.labels.id)!,
            lossNode: index.get(loss.id)!,
          },
        }
      : {}),
  };

  const tensors: [string, TensorEntry, ArrayLike<number>, Float32ArrayConstructor | Float64ArrayConstructor][] = [];
  let offset = 0;
  const add = (name: string, shape: number[], values: ArrayLike<number>, f64: boolean) => {
    const bytes = values.length * (f64 ? 8 : 4);
    tensors.push([name, { dtype: f64 ? 'F64' : 'F32', shape, data_offsets: [offset, offset + bytes] }, values, f64 ? Float64Array : Float32Array]);
    offset += bytes;
  };
  for (const p of g.parameters) {
    if (model.device.hasParameter(p.name!)) add(p.name!, p.shape as number[], model.device.read(p.name!), model.device.dtype === 'float64');
    else add(p.name!, p.shape as number[], g.ir().data.get(p.id)!, true);
  }
  for (const id of ids) if (isOp(nodes[id], ops.constant)) add(`constant:${index.get(id)}`, nodes[id].shape as number[], g.ir().data.get(id)!, true);

  const header: Record<string, unknown> = { __metadata__: { deltagraph: JSON.stringify(saved) } };
  for (const [name, entry] of tensors) header[name] = entry;
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces after the JSON align the data to 8 bytes.
  const headerBytes = new Uint8Array(json.length + ((8 - ((8 + json.length) % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const base = 8 + headerBytes.length;
  for (const [, entry, values, Type] of tensors) {
    const typed = Type.from(values);
    out.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), base + entry.data_offsets[0]);
  }
  return out;
}

/** A model from bytes in the file format above; `file` names the source in errors. */
export function modelFromBytes(bytes: Uint8Array, file = '<memory>'): Model {
  const fail = (detail: string, offset?: number): never => {
    throw new ModelFileError(file, detail, offset);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a model file (a safetensors header needs 8)`, 0);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > bytes.length) fail(`the header claims ${headerLength} bytes but the file has ${bytes.length - 8} after the length (truncated?)`, 0);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`, 8);
  }
  const meta = (header.__metadata__ as Record<string, string> | undefined)?.deltagraph;
  if (typeof meta !== 'string') return fail('no deltagraph model in the safetensors metadata (is this a deltagraph model file?)', 8);
  let saved: SavedModel;
  try {
    saved = JSON.parse(meta);
  } catch (e) {
    return fail(`the model description is not valid JSON (${(e as Error).message})`, 8);
  }
  if (saved.format !== MODEL_FORMAT) fail(`format is '${saved.format}', expected '${MODEL_FORMAT}'`, 8);
  if (saved.version !== MODEL_VERSION) fail(`format version ${saved.version} is not supported (this deltagraph reads version ${MODEL_VERSION})`, 8);

  const base = 8 + headerLength;
  const dataLength = bytes.length - base;
  const tensor = (name: string): Float64Array => {
    const entry = header[name] as TensorEntry | undefined;
    if (!entry) return fail(`tensor '${name}' is missing`, 8);
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const width = entry.dtype === 'F64' ? 8 : entry.dtype === 'F32' ? 4 : fail(`tensor '${name}' has dtype ${entry.dtype}; F32 or F64 expected`, 8);
    const [begin, end] = entry.data_offsets;
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && end === begin + size * width && end <= dataLength)) {
      fail(`tensor '${name}' ${JSON.stringify(entry.shape)} ${entry.dtype} has data offsets [${begin}, ${end}] that do not fit ${size} values in ${dataLength} bytes of data`, base + begin);
    }
    const copy = new Uint8Array(bytes.subarray(base + begin, base + end)); // a copy: aligned, and not a Buffer pool view
    const values = Float64Array.from(width === 8 ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer));
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`tensor '${name}' has ${values[bad]} at index ${bad}`, base + begin + bad * width);
    return values;
  };

  const g = new Graph();
  const made: Tensor[] = [];
  try {
    saved.nodes.forEach((n, i) => {
      const shape = n.shape as number[];
      if (n.op === ops.input.name) made.push(g.input(n.name!, n.shape, n.dtype));
      else if (n.op === ops.parameter.name) made.push(g.parameter(n.name!, shape, tensor(n.name!), { trainable: n.attrs.trainable !== false }));
      else if (n.op === ops.constant.name) made.push(g.constant(tensor(`constant:${i}`), shape, n.dtype));
      else made.push(g.apply(n.op, n.inputs.map((k) => made[k]), n.attrs, n.name));
    });
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    return fail(`the graph cannot be rebuilt: ${(e as Error).message}${/unknown op/.test((e as Error).message) ? ' (define custom ops with defineOp before loading)' : ''}`);
  }
  const labels = saved.compile ? made[saved.compile.labels] : undefined;
  const model = new Model({ inputs: made[saved.input], outputs: made[saved.output], dtype: saved.dtype, ...(labels ? { labels } : {}) });
  if (saved.compile) {
    if (!lossNames.includes(saved.compile.loss)) fail(`unknown loss '${saved.compile.loss}'`);
    model.compile({ loss: saved.compile.loss, optimizer: optimizerFromConfig(saved.compile.optimizer), ...(saved.compile.l2 === undefined ? {} : { l2: saved.compile.l2 }) });
  }
  // Every parameter's saved value is its initial value in the new graph, optimizer state included.
  model.epochsTrained = saved.epochsTrained ?? 0;
  return model;
}
