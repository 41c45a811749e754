/**
 * Saving and loading models, in one documented format: a safetensors file.
 *
 *   8 bytes   little-endian length N of the header
 *   N bytes   JSON header: one entry per tensor {dtype, shape, data_offsets}, and __metadata__
 *             whose "deltagraph" string is the model as JSON (graph nodes, input, output, loss,
 *             optimizer config, epochs trained, a CRC-32 of every tensor, the training updates
 *             of non-trainable state such as batchNorm's moving statistics) and whose
 *             "deltagraph_crc32" is the CRC-32 of that string
 *   the rest  the tensors' bytes, little-endian, contiguous, F64 tensors first so every tensor is
 *             aligned to its element size: every parameter by name (optimizer state included, so
 *             training resumes exactly) and every constant as "constant:<node>"
 *
 * Any safetensors reader can get at the weights. The loader checks everything before it builds
 * anything: the header (size, keys, offsets contiguous, aligned and inside the file, dtype and
 * shape agreeing with the byte length), every field of the model description, and every
 * tensor's checksum; every failure is a ModelFileError naming the file, the byte offset or field,
 * and what is wrong. Version 1 files (no checksums, any tensor order) are still read.
 * In Node, saveModel and loadModel (node/files.ts) write and read such files; a save goes to a
 * temporary file that is renamed over the target, so a crash, a full disk or a size limit mid-save
 * never destroys the previous model.
 */
import { crc32 } from '../core/checksum.ts';
import { isOp, ops } from '../ops/index.ts';
import { Graph } from '../graph/graph.ts';
import { DeltaGraphError, formatValue, GraphError } from '../core/errors.ts';
import type { Device } from '../runtime/device.ts';
import { ancestors, type Attrs, type DType } from '../core/ir.ts';
import { formatShape, type Shape } from '../core/shape.ts';
import type { Precision } from '../runtime/memory.ts';
import { initialValues } from '../graph/initializers.ts';
import type { Tensor } from '../graph/tensor.ts';
import { lossNames, type LossName } from './losses.ts';
import { Model } from './model.ts';
import { optimizerFromConfig, type Optimizer, type OptimizerConfig } from './optim.ts';

/**
 * The `format` written in every model file's metadata: files without it are refused as not deltagraph
 * models.
 */
export const MODEL_FORMAT = 'deltagraph-model';
/** The version this deltagraph writes; it reads this one and every one back to OLDEST_MODEL_VERSION. */
export const MODEL_VERSION = 2;
const OLDEST_MODEL_VERSION = 1;
/** Headers larger than this are refused before they are parsed (safetensors' own limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** A model file that cannot be read, or does not fit: names the file, the offset and what is wrong. */
export class ModelFileError extends DeltaGraphError {
  /** The class name, shown before the message. */
  override name = 'ModelFileError';
  constructor(
    /** The file (or `'bytes'` for modelFromBytes). */
    readonly file: string,
    /** What is wrong, without the location. */
    readonly detail: string,
    /** The byte offset, where the problem is at one. */
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
  /** CRC-32 of every tensor's bytes, by tensor name (version 2). */
  checksums?: Record<string, number>;
  /** The layers `summary()` lists: name, kind and output node (version 2). */
  layers?: { name: string; kind: string; output: number }[];
  /**
   * The graph's training updates (addTrainingUpdate) as node indices; absent when it has none.
   * Added within version 2: a file with one holds inTrainPhase nodes, which an older reader
   * refuses as an unknown op, so it never loads one without its updates.
   */
  trainingUpdates?: { state: number; value: number; when: number }[];
}

interface TensorEntry {
  dtype: 'F32' | 'F64';
  shape: number[];
  data_offsets: [number, number];
}

const WIDTH = { F32: 4, F64: 8 } as const;

/**
 * Why a parameter name cannot go in a model file, or null: the safetensors header is a JSON object
 * keyed by tensor name, beside `__metadata__`, and constants are keyed `constant:<node>`.
 */
function unsavableName(name: string): string | null {
  if (name === '__metadata__') return 'it is the safetensors metadata key';
  if (name === '__proto__') return 'a JSON object cannot hold it as a key safely';
  if (name.startsWith('constant:')) return "names starting with 'constant:' hold the model's constants";
  return null;
}

/**
 * The model as bytes (the file format above). On a WebGPU device, whose values are read back
 * asynchronously, use `modelToBytesAsync`.
 */
export function modelToBytes(model: Model): Uint8Array {
  if (model.device.gpu) throw new GraphError('modelToBytes: the model runs on a webgpu device, whose values are read back asynchronously: use await modelToBytesAsync(model)');
  return encodeModel(model, (name) => model.device.read(name));
}

/** `modelToBytes` on any device (the only way on a WebGPU device): the same bytes. */
export async function modelToBytesAsync(model: Model): Promise<Uint8Array> {
  const values = new Map<string, Float64Array>();
  for (const p of model.graph.parameters) if (model.device.hasParameter(p.name!)) values.set(p.name!, await model.device.readAsync(p.name!));
  return encodeModel(model, (name) => values.get(name)!);
}

function encodeModel(model: Model, read: (name: string) => Float64Array): Uint8Array {
  const g = model.graph;
  for (const p of g.parameters) {
    const why = unsavableName(p.name!);
    if (why) throw new ModelFileError('<model>', `parameter '${p.name}' cannot be saved: ${why}; give it another name`);
  }
  const nodes = g.ir().nodes;
  const config = model.config;
  const loss = model.loss;
  // The inference graph (and the loss), plus every parameter: gradients and updates are remade by fit.
  const roots = [model.output.id, ...(loss ? [loss.id, model.labels.id] : [])];
  // With the training updates of what they compute, so that fit goes on keeping them up.
  const computed = new Set(ancestors(nodes, roots));
  const updates = g.trainingUpdates.filter((u) => computed.has(u.when.id));
  const keep = new Set([...ancestors(nodes, [...roots, ...updates.map((u) => u.value.id)]), ...g.parameters.map((p) => p.id)]);
  const ids = [...keep].sort((a, b) => a - b);
  const index = new Map(ids.map((id, i) => [id, i]));

  const tensors: { name: string; dtype: 'F32' | 'F64'; shape: number[]; bytes: Uint8Array }[] = [];
  const add = (name: string, shape: number[], values: ArrayLike<number>, f64: boolean) => {
    const typed = f64 ? Float64Array.from(values) : Float32Array.from(values);
    tensors.push({ name, dtype: f64 ? 'F64' : 'F32', shape, bytes: new Uint8Array(typed.buffer) });
  };
  for (const p of g.parameters) {
    if (model.device.hasParameter(p.name!)) add(p.name!, p.shape as number[], read(p.name!), model.device.dtype === 'float64');
    else add(p.name!, p.shape as number[], initialValues(g.ir().init.get(p.id)!), true);
  }
  for (const id of ids) if (isOp(nodes[id], ops.constant)) add(`constant:${index.get(id)}`, nodes[id].shape as number[], g.ir().data.get(id)!, true);
  // F64 first: each F64 tensor is a multiple of 8 bytes, so every tensor starts aligned to its width.
  tensors.sort((a, b) => WIDTH[b.dtype] - WIDTH[a.dtype]);

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
    checksums: Object.fromEntries(tensors.map((t) => [t.name, crc32(t.bytes)])),
    layers: g.layers.filter((l) => index.has(l.output.id)).map((l) => ({ name: l.name, kind: l.kind, output: index.get(l.output.id)! })),
    ...(updates.length > 0 ? { trainingUpdates: updates.map((u) => ({ state: index.get(u.state.id)!, value: index.get(u.value.id)!, when: index.get(u.when.id)! })) } : {}),
  };
  const description = JSON.stringify(saved);
  const header: Record<string, unknown> = { __metadata__: { deltagraph: description, deltagraph_crc32: crc32(new TextEncoder().encode(description)).toString(16) } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  // Spaces after the JSON align the data to 8 bytes (TextEncoder, not Buffer: this part runs in browsers too).
  const headerBytes = new Uint8Array(text.length + ((8 - ((8 + text.length) % 8)) % 8)).fill(0x20);
  headerBytes.set(text);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

type Fail = (detail: string, offset?: number) => never;

/** The safetensors layer of a model file, checked. */
interface Safetensors {
  entries: Map<string, TensorEntry>;
  description: string;
  /** Where the tensor data starts. */
  base: number;
}

/** Parses JSON, refusing keys that would reach an object's prototype when copied. */
function parseJson(text: string, what: string, fail: Fail, offset: number): unknown {
  try {
    return JSON.parse(text, (key, value) => {
      if (key === '__proto__') throw new Error("it has a key '__proto__'");
      return value;
    });
  } catch (e) {
    return fail(`${what} is not valid JSON (${(e as Error).message})`, offset);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The first bytes of a file, as text if they read as text, else in hex: what the file might be. */
function startOf(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 16);
  const text = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09);
  const more = bytes.length > head.length ? '…' : '';
  return text ? `with the text ${JSON.stringify(String.fromCharCode(...head))}${more}` : `with the bytes ${Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ')}${more}`;
}

/** The header of a safetensors file: entries checked one by one, then as a layout of the data. */
function readSafetensors(bytes: Uint8Array, fail: Fail): Safetensors {
  // A whole-file verdict, so no byte offset in front: the layout it expected, then what the file starts with.
  const notModel = (why: string): never => fail(`not a deltagraph model file: ${why}`);
  const layout = 'a model file (safetensors) is 8 bytes giving the header length, then a JSON header starting with \'{\'';
  if (bytes.length === 0) notModel('the file is empty');
  if (bytes.length < 9) notModel(`it has only ${bytes.length} bytes, starting ${startOf(bytes)}; ${layout}`);
  if (bytes[8] !== 0x7b) notModel(`${layout}; this file starts ${startOf(bytes)}`);
  const claimed = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (claimed > BigInt(bytes.length - 8)) fail(`the header claims ${claimed} bytes but the file has ${bytes.length - 8} after the length (truncated?)`, 0);
  const headerLength = Number(claimed);
  if (headerLength > MAX_HEADER_BYTES) fail(`the header claims ${headerLength} bytes, more than the ${MAX_HEADER_BYTES} a model file's header may have`, 0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('the header is not valid UTF-8', 8);
  }
  const header = parseJson(text, 'the header', fail, 8);
  if (!isObject(header)) return fail('not a deltagraph model file: the safetensors header is not a JSON object', 8);
  const metadata = header.__metadata__;
  if (!isObject(metadata) || typeof metadata.deltagraph !== 'string') return fail('no deltagraph model in the safetensors metadata (is this a deltagraph model file?)', 8);
  for (const [key, value] of Object.entries(metadata)) if (typeof value !== 'string') fail(`metadata '${key}' is ${formatValue(value)}; safetensors metadata values are strings`, 8);
  const description = metadata.deltagraph;
  const version = (parseJson(description, 'the model description', fail, 8) as { version?: unknown } | null)?.version;
  checkVersion(version, fail);
  if (version !== 1) {
    const sum = crc32(new TextEncoder().encode(description)).toString(16);
    if (metadata.deltagraph_crc32 !== sum) fail(`the model description is corrupt: its CRC-32 is ${sum} but the file recorded ${typeof metadata.deltagraph_crc32 === 'string' ? metadata.deltagraph_crc32 : 'none'}`, 8);
  }

  const base = 8 + headerLength;
  const dataLength = bytes.length - base;
  const entries = new Map<string, TensorEntry>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    entries.set(name, checkEntry(name, entry, fail));
  }
  // The data is the tensors back to back, in offset order: no overlap, no gap, nothing after.
  const ordered = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let end = 0;
  let previous = '';
  for (const [name, entry] of ordered) {
    const [begin, stop] = entry.data_offsets;
    const where = base + Math.min(begin, dataLength);
    if (begin < end) fail(`tensor '${name}' [${begin}, ${stop}] overlaps tensor '${previous}' (ends at ${end})`, where);
    if (begin > end) fail(`${begin - end} bytes of data before tensor '${name}' belong to no tensor (offsets [${begin}, ${stop}])`, base + end);
    if (version !== 1 && begin % WIDTH[entry.dtype] !== 0) fail(`tensor '${name}' ${entry.dtype} starts at data byte ${begin}, not a multiple of ${WIDTH[entry.dtype]} (misaligned)`, where);
    if (stop > dataLength) fail(`tensor '${name}' has data offsets [${begin}, ${stop}] beyond the ${dataLength} bytes of data (truncated?)`, where);
    end = stop;
    previous = name;
  }
  if (end < dataLength) fail(`${dataLength - end} bytes after the last tensor belong to no tensor (trailing garbage?)`, base + end);
  return { entries, description, base };
}

function checkVersion(version: unknown, fail: Fail): void {
  if (typeof version === 'number' && Number.isInteger(version) && version > MODEL_VERSION) {
    fail(`the file is format version ${version}, newer than this deltagraph reads (versions ${OLDEST_MODEL_VERSION} to ${MODEL_VERSION}); update deltagraph to load it`, 8);
  }
  if (!(typeof version === 'number' && Number.isInteger(version) && version >= OLDEST_MODEL_VERSION)) {
    fail(`the format version is ${formatValue(version)}; this deltagraph reads versions ${OLDEST_MODEL_VERSION} to ${MODEL_VERSION}`, 8);
  }
}

/** One tensor entry of the header: exactly {dtype, shape, data_offsets}, its byte length that of its shape. */
function checkEntry(name: string, entry: unknown, fail: Fail): TensorEntry {
  const bad = (what: string): never => fail(`tensor '${name}': ${what}`, 8);
  if (!isObject(entry)) return bad(`the entry is ${formatValue(entry)}, not {dtype, shape, data_offsets}`);
  for (const key of Object.keys(entry)) if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') bad(`unexpected field '${key}'`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (dtype !== 'F32' && dtype !== 'F64') return bad(`dtype is ${formatValue(dtype)}; F32 or F64 expected`);
  if (!Array.isArray(shape) || !shape.every(isCount)) return bad(`shape is ${formatValue(shape)}; a list of whole numbers expected`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    return bad(`data_offsets is ${formatValue(offsets)}; [begin, end] with 0 ≤ begin ≤ end expected`);
  }
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  const needed = size * WIDTH[dtype];
  if (offsets[1] - offsets[0] !== needed) bad(`data offsets [${offsets[0]}, ${offsets[1]}] hold ${offsets[1] - offsets[0]} bytes but ${formatShape(shape)} ${dtype} needs ${needed}`);
  return { dtype, shape, data_offsets: [offsets[0], offsets[1]] };
}

/** Checks every field of the model description (a schema, written out), naming the field. */
function checkDescription(saved: unknown, fail: Fail): asserts saved is SavedModel {
  const bad = (field: string, what: string, value: unknown): never => fail(`the model description's ${field} ${what}, got ${formatValue(value)}`, 8);
  if (!isObject(saved)) return bad('top level', 'must be an object', saved);
  if (saved.format !== MODEL_FORMAT) bad('format', `must be '${MODEL_FORMAT}'`, saved.format);
  if (saved.dtype !== 'float32' && saved.dtype !== 'float64') bad('dtype', "must be 'float32' or 'float64'", saved.dtype);
  const nodes = saved.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return bad('nodes', 'must be a non-empty list', nodes);
  nodes.forEach((n: unknown, i) => {
    const field = `nodes[${i}]`;
    if (!isObject(n)) return bad(field, 'must be an object', n);
    if (typeof n.op !== 'string' || n.op === '') bad(`${field}.op`, 'must be an op name', n.op);
    if (!Array.isArray(n.inputs) || !n.inputs.every((k) => isCount(k) && k < i)) bad(`${field}.inputs`, `must be a list of earlier node indices (< ${i})`, n.inputs);
    if (!isObject(n.attrs)) bad(`${field}.attrs`, 'must be an object', n.attrs);
    if (!Array.isArray(n.shape) || !n.shape.every((d) => d === null || isCount(d))) bad(`${field}.shape`, 'must be a list of whole numbers or null', n.shape);
    if (n.dtype !== 'float' && n.dtype !== 'int') bad(`${field}.dtype`, "must be 'float' or 'int'", n.dtype);
    if (n.name !== undefined && (typeof n.name !== 'string' || n.name === '')) bad(`${field}.name`, 'must be a non-empty string', n.name);
    if ((n.op === ops.input.name || n.op === ops.parameter.name) && n.name === undefined) bad(`${field}.name`, `is required for an ${n.op}`, n.name);
  });
  const index = (field: string, value: unknown) => {
    if (!(isCount(value) && value < nodes.length)) bad(field, `must be a node index (< ${nodes.length})`, value);
  };
  index('input', saved.input);
  index('output', saved.output);
  if (saved.epochsTrained !== undefined && !isCount(saved.epochsTrained)) bad('epochsTrained', 'must be a whole number ≥ 0', saved.epochsTrained);
  const c = saved.compile;
  if (c !== undefined) {
    if (!isObject(c)) return bad('compile', 'must be an object', c);
    if (!lossNames.includes(c.loss as LossName)) bad('compile.loss', `must be one of ${lossNames.join(', ')}`, c.loss);
    if (!isObject(c.optimizer)) bad('compile.optimizer', 'must be an object', c.optimizer);
    if (c.l2 !== undefined && !(typeof c.l2 === 'number' && Number.isFinite(c.l2) && c.l2 >= 0)) bad('compile.l2', 'must be a number ≥ 0', c.l2);
    index('compile.labels', c.labels);
    index('compile.lossNode', c.lossNode);
  }
  if (saved.layers !== undefined) {
    if (!Array.isArray(saved.layers)) bad('layers', 'must be a list', saved.layers);
    (saved.layers as unknown[]).forEach((l, i) => {
      if (!isObject(l) || typeof l.name !== 'string' || typeof l.kind !== 'string') return bad(`layers[${i}]`, 'must be { name, kind, output }', l);
      index(`layers[${i}].output`, l.output);
    });
  }
  if (saved.trainingUpdates !== undefined) {
    if (!Array.isArray(saved.trainingUpdates)) bad('trainingUpdates', 'must be a list', saved.trainingUpdates);
    (saved.trainingUpdates as unknown[]).forEach((u, i) => {
      if (!isObject(u)) return bad(`trainingUpdates[${i}]`, 'must be { state, value, when }', u);
      for (const key of ['state', 'value', 'when']) index(`trainingUpdates[${i}].${key}`, u[key]);
    });
  }
  if (saved.version !== 1) {
    const sums = saved.checksums;
    if (!isObject(sums) || !Object.values(sums).every((v) => isCount(v) && v <= 0xffffffff)) bad('checksums', 'must map every tensor name to a CRC-32', sums);
  }
}

/**
 * A model from bytes in the file format above; `file` names the source in errors. `device` puts
 * it on a device of your choice (a WebGPU one, say); a model saved on one backend loads on any.
 */
export function modelFromBytes(bytes: Uint8Array, file = '<memory>', options: { device?: Device } = {}): Model {
  const fail: Fail = (detail, offset) => {
    throw new ModelFileError(file, detail, offset);
  };
  try {
    return readModel(bytes, fail, options.device);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    // Anything the checks above did not foresee is still this file's fault, and said so.
    throw new ModelFileError(file, `cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readModel(bytes: Uint8Array, fail: Fail, device?: Device): Model {
  const { entries, description, base } = readSafetensors(bytes, fail);
  const saved: unknown = parseJson(description, 'the model description', fail, 8);
  checkDescription(saved, fail);
  let optimizer: Optimizer | undefined;
  if (saved.compile) {
    try {
      optimizer = optimizerFromConfig(saved.compile.optimizer);
    } catch (e) {
      return fail(`the model description's compile.optimizer is invalid: ${(e as Error).message}`, 8);
    }
  }
  const used = new Set<string>();
  const tensor = (name: string, node: SavedNode): Float64Array => {
    const entry = entries.get(name);
    if (!entry) return fail(`tensor '${name}' is missing`, 8);
    if (formatShape(entry.shape) !== formatShape(node.shape)) fail(`tensor '${name}' has shape ${formatShape(entry.shape)} but its node is ${formatShape(node.shape)}`, 8);
    used.add(name);
    const [begin, end] = entry.data_offsets;
    const raw = bytes.subarray(base + begin, base + end);
    const expected = saved.checksums?.[name];
    if (saved.version !== 1) {
      const sum = crc32(raw);
      if (sum !== expected) fail(`tensor '${name}' is corrupt: the CRC-32 of its bytes is ${sum.toString(16)} but the file recorded ${expected === undefined ? 'none' : expected.toString(16)}`, base + begin);
    }
    const copy = new Uint8Array(raw); // a copy: aligned, and not a Buffer pool view
    const width = WIDTH[entry.dtype];
    const values = Float64Array.from(width === 8 ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer));
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`tensor '${name}' has ${values[bad]} at index ${bad}`, base + begin + bad * width);
    checkOptimizerState(name, values, optimizer, (detail, i) => fail(`tensor '${name}' ${detail}`, base + begin + i * width));
    return values;
  };

  const g = new Graph();
  const made: Tensor[] = [];
  saved.nodes.forEach((n, i) => {
    try {
      const shape = n.shape as number[];
      if (n.op === ops.input.name) made.push(g.input(n.name!, n.shape, n.dtype));
      else if (n.op === ops.parameter.name) made.push(g.parameter(n.name!, shape, tensor(n.name!, n), { trainable: n.attrs.trainable !== false }));
      else if (n.op === ops.constant.name) made.push(g.constant(tensor(`constant:${i}`, n), shape, n.dtype));
      else made.push(g.apply(n.op, n.inputs.map((k) => made[k]), n.attrs, n.name));
    } catch (e) {
      if (e instanceof ModelFileError) throw e;
      const message = (e as Error).message;
      return fail(`the graph cannot be rebuilt at node ${i} (${n.op}): ${message}${/unknown op/.test(message) ? ' (define custom ops with defineOp before loading)' : ''}`, 8);
    }
    const rebuilt = made[i];
    if (formatShape(rebuilt.shape) !== formatShape(n.shape) || rebuilt.dtype !== n.dtype) {
      fail(`node ${i} (${n.op}) rebuilds as ${formatShape(rebuilt.shape)} ${rebuilt.dtype} but the file says ${formatShape(n.shape)} ${n.dtype}`, 8);
    }
  });
  for (const name of entries.keys()) if (!used.has(name)) fail(`tensor '${name}' is not part of the model`, 8);
  for (const layer of saved.layers ?? []) g.recordLayer(layer.name, layer.kind, made[layer.output]);
  (saved.trainingUpdates ?? []).forEach((u, i) => {
    try {
      g.addTrainingUpdate(made[u.state], made[u.value], made[u.when]);
    } catch (e) {
      fail(`the model description's trainingUpdates[${i}] does not fit the graph: ${(e as Error).message}`, 8);
    }
  });
  const labels = saved.compile ? made[saved.compile.labels] : undefined;
  const dtype = device && device.dtype !== saved.dtype ? device.dtype : saved.dtype; // a float64 file loads into a float32 device, rounded
  const model = new Model({ inputs: made[saved.input], outputs: made[saved.output], dtype, ...(labels ? { labels } : {}), ...(device ? { device } : {}) });
  try {
    if (saved.compile && optimizer) model.compile({ loss: saved.compile.loss, optimizer, ...(saved.compile.l2 === undefined ? {} : { l2: saved.compile.l2 }) });
  } catch (e) {
    model.dispose();
    throw e;
  }
  // Every parameter's saved value is its initial value in the new graph, optimizer state included.
  model.epochsTrained = saved.epochsTrained ?? 0;
  return model;
}

/** Optimizer state that no training could produce (a negative second moment, a fractional step). */
function checkOptimizerState(name: string, values: Float64Array, optimizer: Optimizer | undefined, fail: (detail: string, index: number) => never): void {
  if (name === 'optimizer/step') {
    const bad = values.findIndex((v) => !(Number.isInteger(v) && v >= 0));
    if (bad >= 0) fail(`(Adam's step count) has ${values[bad]} at index ${bad}; a whole number ≥ 0 expected`, bad);
  } else if (optimizer?.name === 'adam' && name.startsWith('optimizer/') && name.endsWith('/v')) {
    const bad = values.findIndex((v) => v < 0);
    if (bad >= 0) fail(`(Adam's second moment) has ${values[bad]} at index ${bad}; it is a mean of squares, never negative`, bad);
  }
}

/**
 * @internal Throws the ModelFileError (naming `path`) that loading `bytes` would give, so that
 * saveModel never writes a file that cannot be loaded back.
 */
export function checkLoadable(bytes: Uint8Array, path: string): void {
  const fail: Fail = (detail, offset) => {
    throw new ModelFileError(path, `would not load back, so it was not written: ${detail}`, offset);
  };
  checkDescription(JSON.parse(readSafetensors(bytes, fail).description), fail);
}
