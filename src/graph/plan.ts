/**
 * A plan is a program specialised to one set of input shapes (one batch size): every node's
 * concrete shape, a place in memory for every buffer, and the flat list of kernel closures to
 * call. Buffers of intermediate values are reused once their last reader has run (liveness), so
 * the working memory is the peak of what is alive at once, not the sum.
 */
import { getOp, type FloatArray } from '../ops/registry.ts';
import { RuleError, RunError } from './errors.ts';
import { describeNode, type IR, type Node } from './ir.ts';
import { formatShape } from './shape.ts';
import type { Memory } from './memory.ts';

export interface PlanInput {
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly int: boolean;
  view: FloatArray;
}

/** Where a node's values live: an offset into the memory (aliases share their source's). */
interface Place {
  offset: number;
  size: number;
}

export interface PlanStats {
  /** Kernel calls per run. */
  readonly steps: number;
  /** Elements of working memory with reuse, and what it would take without. */
  readonly workspace: number;
  readonly unshared: number;
  /** Parameter updates written straight over their parameter (no copy). */
  readonly updatesInPlace: number;
}

export class Plan {
  readonly shapes = new Map<number, readonly number[]>();
  readonly inputs: PlanInput[] = [];
  readonly stats: PlanStats;
  /** The closures to call, in order; then the update copies. */
  steps: (() => void)[] = [];
  results: FloatArray[] = [];
  private copies: [FloatArray, FloatArray][] = [];
  private updateCopies: [FloatArray, FloatArray][] = [];
  private places = new Map<number, Place>();
  /** Working memory of the kernels that ask for it (see OpDef.scratch), free again after the call. */
  private scratch = new Map<number, Place>();
  /** Offsets of the copies of outputs that this program's updates overwrite. */
  private snapshotAt = new Map<number, number>();
  private generation = -1;

  constructor(
    private readonly ir: IR,
    private readonly schedule: readonly number[],
    private readonly outputs: readonly number[],
    private readonly updates: readonly (readonly [number, number])[],
    inputShapes: ReadonlyMap<number, readonly number[]>,
    private readonly memory: Memory,
    private readonly training: boolean,
  ) {
    this.inferShapes(inputShapes);
    this.stats = this.placeBuffers();
    this.bind();
  }

  /** Runs every kernel, then applies the updates (all computed before any is written). */
  execute(): FloatArray[] {
    this.bindIfStale();
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) steps[i]();
    const copies = this.copies;
    for (let i = 0; i < copies.length; i++) copies[i][0].set(copies[i][1]);
    const updates = this.updateCopies;
    for (let i = 0; i < updates.length; i++) updates[i][0].set(updates[i][1]);
    return this.results;
  }

  /** Remakes the views if the memory has grown since they were made. */
  bindIfStale(): void {
    if (this.generation !== this.memory.generation) this.bind();
  }

  /** The shape every node has in this plan, checked against the rule and the declared shape. */
  private inferShapes(inputShapes: ReadonlyMap<number, readonly number[]>): void {
    for (const id of this.schedule) {
      const node = this.ir.nodes[id];
      let shape: readonly number[];
      if (node.op === 'input') {
        shape = inputShapes.get(id)!;
      } else if (node.inputs.length === 0) {
        shape = node.shape as readonly number[];
      } else {
        const inShapes = node.inputs.map((i) => this.shapes.get(i)!);
        try {
          shape = getOp(node.op).shape(inShapes, node.attrs) as readonly number[];
        } catch (e) {
          if (!(e instanceof RuleError)) throw e;
          throw new RunError(`${node.op} (${describeNode(node)}): ${e.message}; input shapes ${inShapes.map(formatShape).join(', ')}`, `%${id}`, node.site);
        }
        if (getOp(node.op).broadcasting) this.checkUnknownNotBroadcast(node, shape);
        const fits = shape.length === node.shape.length && shape.every((d, i) => node.shape[i] === null || node.shape[i] === d);
        if (!fits || shape.some((d) => d === null)) {
          throw new RunError(
            `${describeNode(node)}: shape ${formatShape(shape)} at run time does not fit ${formatShape(node.shape)} from build time`,
            `%${id}`,
            node.site,
          );
        }
      }
      this.shapes.set(id, shape);
      if (node.op === 'input') {
        const size = shape.reduce((a, b) => a * b, 1);
        this.inputs.push({ id, name: node.name!, shape, size, int: node.dtype === 'int', view: new Float64Array(0) });
      }
    }
  }

  private checkUnknownNotBroadcast(node: Node, shape: readonly number[]): void {
    for (const i of node.inputs) {
      const declared = this.ir.nodes[i].shape;
      const actual = this.shapes.get(i)!;
      const offset = shape.length - actual.length;
      actual.forEach((d, k) => {
        if (declared[k] === null && d !== shape[k + offset]) {
          throw new RunError(
            `${node.op} (${describeNode(node)}): dimension ${k} of ${describeNode(this.ir.nodes[i])} is ${d} at run time but the result's is ${shape[k + offset]}; a dimension unknown at build time (the batch) is never broadcast`,
            `%${node.id}`,
            node.site,
          );
        }
      });
    }
  }

  /** Assigns every node a place: parameters in the memory's slots, the rest in this plan's block. */
  private placeBuffers(): PlanStats {
    const { nodes } = this.ir;
    const position = new Map<number, number>();
    this.schedule.forEach((id, p) => position.set(id, p));
    const forever = this.schedule.length;

    // Alias ops (reshape, stopGradient) live in their source's buffer: track that owner's lifetime.
    const owner = new Map<number, number>();
    const lastUse = new Map<number, number>();
    for (const id of this.schedule) {
      const node = nodes[id];
      owner.set(id, getOp(node.op).alias ? owner.get(node.inputs[0])! : id);
      for (const i of node.inputs) {
        const o = owner.get(i)!;
        lastUse.set(o, Math.max(lastUse.get(o) ?? -1, position.get(id)!));
      }
    }
    for (const id of [...this.outputs, ...this.updates.map(([, v]) => v)]) lastUse.set(owner.get(id)!, forever);

    // An update computed by an elementwise op after every other reader of its parameter is
    // written straight over the parameter: no buffer of its own and no copy at the end.
    const inPlace = new Map<number, number>();
    const outputs = new Set(this.outputs);
    const values = new Set(this.updates.map(([, v]) => v));
    for (const [param, value] of this.updates) {
      const node = nodes[value];
      const def = getOp(node.op);
      const overwritable = def.elementwise || (def.overwrites !== undefined && node.inputs[def.overwrites] === param);
      if (!overwritable || owner.get(value) !== value || outputs.has(param) || values.has(param) || inPlace.has(value)) continue;
      // lastUse of the parameter is its last reader (itself or through an alias).
      if ((lastUse.get(param) ?? -1) <= position.get(value)!) inPlace.set(value, param);
    }

    // Simulate the run: allocate each result when made, free it after its last reader.
    const pool = new FreeList();
    const freeAt = new Map<number, number[]>();
    const workspace = new Map<number, number>();
    let fixed = 0;
    let unshared = 0;
    const fixedAt = new Map<number, number>();
    const scratchAt = new Map<number, number>();
    for (const id of this.schedule) {
      const node = nodes[id];
      const size = roundUp(this.sizeOf(id));
      const scratch = roundUp(this.scratchOf(node));
      if (scratch > 0) {
        // Allocated after the output and freed with the inputs, so it overlaps neither.
        scratchAt.set(id, pool.alloc(scratch));
        unshared += scratch;
        (freeAt.get(position.get(id)!) ?? freeAt.set(position.get(id)!, []).get(position.get(id)!)!).push(-1 - id);
      }
      if (owner.get(id) === id && node.op !== 'parameter' && !inPlace.has(id)) {
        if (node.op === 'input' || node.op === 'constant') {
          fixedAt.set(id, fixed);
          fixed += size;
        } else {
          workspace.set(id, pool.alloc(size));
          unshared += size;
          const end = lastUse.get(id) ?? position.get(id)!;
          if (end < forever) (freeAt.get(end) ?? freeAt.set(end, []).get(end)!).push(id);
        }
      }
      for (const done of freeAt.get(position.get(id)!) ?? []) {
        if (done < 0) pool.free(scratchAt.get(-1 - done)!, roundUp(this.scratchOf(nodes[-1 - done])));
        else pool.free(workspace.get(done)!, roundUp(this.sizeOf(done)));
      }
    }
    // An output that is a parameter this program updates is copied out before the update.
    const updated = new Set(this.updates.map(([p]) => p));
    for (const id of new Set(this.outputs)) {
      if (!updated.has(id)) continue;
      this.snapshotAt.set(id, fixed);
      fixed += roundUp(this.sizeOf(id));
    }

    const base = this.memory.alloc(fixed + pool.peak);
    for (const id of this.schedule) {
      const node = nodes[id];
      const size = this.sizeOf(id);
      const overwrites = inPlace.get(id);
      if (node.op === 'parameter' || overwrites !== undefined) {
        const param = nodes[overwrites ?? id];
        this.places.set(id, { offset: this.memory.parameter(param.name!, param.shape as number[], this.ir.data.get(param.id)!).offset, size });
      } else if (owner.get(id) !== id) {
        this.places.set(id, { offset: this.places.get(owner.get(id)!)!.offset, size });
      } else if (fixedAt.has(id)) {
        this.places.set(id, { offset: base + fixedAt.get(id)!, size });
      } else {
        this.places.set(id, { offset: base + fixed + workspace.get(id)!, size });
      }
    }
    for (const [id, at] of this.snapshotAt) this.snapshotAt.set(id, base + at);
    for (const [id, at] of scratchAt) this.scratch.set(id, { offset: base + fixed + at, size: this.scratchOf(nodes[id]) });
    for (const id of this.schedule) {
      if (nodes[id].op === 'constant') this.memory.view(this.places.get(id)!.offset, this.sizeOf(id)).set(this.ir.data.get(id)!);
    }
    const steps = this.schedule.filter((id) => nodes[id].inputs.length > 0 && !getOp(nodes[id].op).alias).length;
    return { steps, workspace: pool.peak, unshared, updatesInPlace: inPlace.size };
  }

  /** Makes the views and kernel closures (again after the memory has grown). */
  private bind(): void {
    const { nodes } = this.ir;
    const generation = this.memory.generation;
    const view = (id: number) => {
      const place = this.places.get(id)!;
      return this.memory.view(place.offset, place.size);
    };
    this.steps = [];
    for (const id of this.schedule) {
      const node: Node = nodes[id];
      const def = getOp(node.op);
      if (node.inputs.length === 0 || def.alias) continue;
      this.steps.push(
        def.kernel({
          inputs: node.inputs.map(view),
          output: view(id),
          inputShapes: node.inputs.map((i) => this.shapes.get(i)!),
          outputShape: this.shapes.get(id)!,
          attrs: node.attrs,
          node,
          training: this.training,
          wasm: this.memory.wasm,
          scratch: this.scratch.has(id) ? this.memory.view(this.scratch.get(id)!.offset, this.scratch.get(id)!.size) : this.memory.view(0, 0),
        }),
      );
    }
    for (const input of this.inputs) input.view = view(input.id);
    this.copies = [];
    this.results = this.outputs.map((id) => {
      const at = this.snapshotAt.get(id);
      if (at === undefined) return view(id);
      const snapshot = this.memory.view(at, this.sizeOf(id));
      this.copies.push([snapshot, view(id)]);
      return snapshot;
    });
    this.updateCopies = this.updates
      .filter(([p, v]) => this.places.get(p)!.offset !== this.places.get(v)!.offset)
      .map(([p, v]) => [view(p), view(v)]);
    // The generation these views were made in: a kernel that moved the memory meanwhile (to share
    // it with a helper thread) made them stale, and the next run binds again.
    this.generation = generation;
  }

  private scratchOf(node: Node): number {
    const def = getOp(node.op);
    if (!def.scratch || node.inputs.length === 0 || def.alias) return 0;
    return def.scratch({
      inputShapes: node.inputs.map((i) => this.shapes.get(i)!),
      outputShape: this.shapes.get(node.id)!,
      attrs: node.attrs,
      wasm: this.memory.wasm !== null,
    });
  }

  private sizeOf(id: number): number {
    return this.shapes.get(id)!.reduce((a, b) => a * b, 1);
  }
}

function roundUp(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** First-fit allocation of a virtual block, merging neighbours when freed; `peak` is its size. */
class FreeList {
  peak = 0;
  private free_: { offset: number; size: number }[] = [];

  alloc(size: number): number {
    const i = this.free_.findIndex((b) => b.size >= size);
    if (i >= 0) {
      const block = this.free_[i];
      const offset = block.offset;
      if (block.size === size) this.free_.splice(i, 1);
      else this.free_[i] = { offset: offset + size, size: block.size - size };
      return offset;
    }
    // Extend the end; reuse a free block touching the end if there is one.
    const last = this.free_[this.free_.length - 1];
    if (last && last.offset + last.size === this.peak) {
      this.free_.pop();
      this.peak = last.offset + size;
      return last.offset;
    }
    const offset = this.peak;
    this.peak += size;
    return offset;
  }

  free(offset: number, size: number): void {
    this.free_.push({ offset, size });
    this.free_.sort((a, b) => a.offset - b.offset);
    const merged: { offset: number; size: number }[] = [];
    for (const b of this.free_) {
      const prev = merged[merged.length - 1];
      if (prev && prev.offset + prev.size === b.offset) prev.size += b.size;
      else merged.push({ ...b });
    }
    this.free_ = merged;
  }
}
