/**
 * The rewrite kit the passes share: patterns that say what a node must look like, and one driver
 * that swaps in what the rules build. In the spirit of tinygrad's PatternMatcher and Theano's
 * local rewrites; a fusion reads as the shape it matches:
 *
 *   op(ops.sub, capture('w'), op(ops.mul, op(ops.matMul).as('product').once(), capture('s')).commutes())
 *
 * matches w − (x·y)·s and w − s·(x·y). A name captured twice must be the same node. Matching
 * backtracks: a commuted operand order or an `either` alternative that fails deeper down is
 * undone and the next one tried.
 */
import { castDraft, produce } from 'immer';
import { GraphError } from '../../core/errors.ts';
import type { Attrs, IR, Node } from '../../core/ir.ts';
import { isOp, type OpDef } from '../../ops/index.ts';

export type Captures = Readonly<Record<string, Node>>;

export interface Scope {
  readonly ir: IR;
  /** Whether node `id` has one reader in the whole program; needed by patterns using `once()`. */
  readonly once?: (id: number) => boolean;
}

/** A match: the captures, and the nodes matched under `once()` (a fusion swallows them). */
export interface Match {
  readonly captures: Captures;
  readonly swallowed: readonly number[];
}

type Test = (node: Node, captures: Captures, scope: Scope) => boolean;

interface Spec {
  readonly defs?: readonly OpDef<never>[];
  readonly inputs?: readonly Pattern[]; // absent: the node's inputs are not looked at
  readonly alternatives?: readonly Pattern[];
  readonly name?: string;
  readonly tests?: readonly Test[];
  readonly once?: boolean;
  readonly commutes?: boolean;
}

export class Pattern {
  constructor(private readonly spec: Spec) {}

  /** Captures the matched node under `name`. */
  as(name: string): Pattern {
    return new Pattern({ ...this.spec, name });
  }
  /** Also requires `test`, run once the inputs have matched (their captures are there). */
  where(test: Test): Pattern {
    return new Pattern({ ...this.spec, tests: [...(this.spec.tests ?? []), test] });
  }
  /** Requires the node to have one reader, so that a fusion swallowing it leaves nothing reading it. */
  once(): Pattern {
    return new Pattern({ ...this.spec, once: true });
  }
  /** Also matches with the two inputs of a binary op swapped (a + b, a · b). */
  commutes(): Pattern {
    return new Pattern({ ...this.spec, commutes: true });
  }

  /** The first way node `id` matches, or null. */
  match(id: number, scope: Scope): Match | null {
    const { defs } = this.spec;
    if (defs && !defs.some((def) => isOp(scope.ir.nodes[id], def))) return null; // the common case, without a generator
    for (const found of this.matches(id, scope, { captures: {}, swallowed: [] })) return found;
    return null;
  }

  /** Every way node `id` matches, extending `partial`. */
  *matches(id: number, scope: Scope, partial: Match): Generator<Match> {
    const { defs, name, once, tests = [] } = this.spec;
    const node = scope.ir.nodes[id];
    if (defs && !defs.some((def) => isOp(node, def))) return;
    if (once && !(scope.once ?? noCounts)(id)) return;
    const known = name === undefined ? undefined : partial.captures[name];
    if (known && known.id !== id) return;
    const start = {
      captures: name === undefined || known ? partial.captures : { ...partial.captures, [name]: node },
      swallowed: once ? [...partial.swallowed, id] : partial.swallowed,
    };
    for (const m of this.expand(node, scope, start)) if (tests.every((test) => test(node, m.captures, scope))) yield m;
  }

  private *expand(node: Node, scope: Scope, start: Match): Generator<Match> {
    const { inputs, alternatives, commutes } = this.spec;
    if (alternatives) for (const alternative of alternatives) yield* alternative.matches(node.id, scope, start);
    else if (!inputs) yield start;
    else if (inputs.length === node.inputs.length) {
      yield* all(inputs, node.inputs, scope, start);
      if (commutes) yield* all([...inputs].reverse(), node.inputs, scope, start);
    }
  }
}

/** A node applying `op` (or one of a list of ops), its inputs matching `inputs` if any are given. */
export function op(defs: OpDef<never> | readonly OpDef<never>[], ...inputs: Pattern[]): Pattern {
  return new Pattern({ defs: Array.isArray(defs) ? defs : [defs as OpDef<never>], ...(inputs.length > 0 ? { inputs } : {}) });
}

/** Any node, captured under `name`. */
export function capture(name: string): Pattern {
  return new Pattern({ name });
}

/** Whichever of `alternatives` matches, tried in order. */
export function either(...alternatives: Pattern[]): Pattern {
  return new Pattern({ alternatives });
}

export interface Rule {
  readonly pattern: Pattern;
  /** The node that takes the matched node's place (and id), or null to leave it. */
  readonly to: (captures: Captures, node: Node) => Node | null;
}

/**
 * Tries `rules`, in order, at each of `ids`, readers before what they read, and swaps in what
 * they build. A node an earlier fusion swallowed is left alone: nothing needed reads it any more.
 */
export function rewrite(ir: IR, ids: readonly number[], scope: Omit<Scope, 'ir'>, rules: readonly Rule[]): IR {
  const replacements = new Map<number, Node>();
  const swallowed = new Set<number>();
  const within = { ...scope, ir };
  for (const id of [...ids].sort((a, b) => b - a)) {
    if (swallowed.has(id) || replacements.has(id)) continue;
    for (const { pattern, to } of rules) {
      const found = pattern.match(id, within);
      const node = found && to(found.captures, ir.nodes[id]);
      if (!found || !node) continue;
      replacements.set(id, node);
      for (const s of found.swallowed) if (s !== id) swallowed.add(s);
      break;
    }
  }
  return replace(ir, replacements);
}

/** `ir` with each replacement at its id (untouched nodes stay shared); `ir` itself if there are none. */
export function replace(ir: IR, replacements: ReadonlyMap<number, Node>): IR {
  if (replacements.size === 0) return ir;
  return produce(ir, (draft) => {
    for (const [id, node] of replacements) draft.nodes[id] = castDraft(node);
  });
}

/** `node` made a node of `def`: same id, shape, dtype and name. */
export function withOp(node: Node, def: OpDef<never>, inputs: readonly number[], attrs: Attrs = {}): Node {
  return { ...node, op: def.name, inputs, attrs };
}

const noCounts = (): never => {
  throw new GraphError('a pattern uses once() but the scope has no reader counts');
};

function* all(patterns: readonly Pattern[], ids: readonly number[], scope: Scope, partial: Match, i = 0): Generator<Match> {
  if (i === patterns.length) return yield partial;
  for (const next of patterns[i].matches(ids[i], scope, partial)) yield* all(patterns, ids, scope, next, i + 1);
}
