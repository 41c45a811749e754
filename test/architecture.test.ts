import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The layers of src/, lowest first: a file may import from its own folder or from a folder to its left.
// core → ops → graph → backends → runtime → testing → nn → onnx. Kernels know ops but nothing of graphs, graphs
// nothing of where they run; runtime is the one place that puts the graph and the kernels together;
// testing holds what tests and `npm run gradcheck` share; nn sits on top; onnx, the translator at the
// edge, uses the graph API and nothing below it knows ONNX exists.
// Files directly in src/ are the package's entry points and may import anything. A new folder must be
// placed in this list deliberately. Type-only imports are ignored throughout: they are erased at run time.
const LAYERS = ['core', 'ops', 'graph', 'backends', 'runtime', 'testing', 'nn', 'onnx'];

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// ARCH_SRC points the test at another tree (e.g. a scratch copy with a planted violation) to see it fail.
const srcRoot = path.resolve(repoRoot, process.env.ARCH_SRC ?? 'src');
const show = (file: string) => path.posix.join('src', path.relative(srcRoot, file).split(path.sep).join('/'));
const folderOf = (file: string) => {
  const parts = path.relative(srcRoot, file).split(path.sep);
  return parts.length === 1 ? null : parts[0]; // null: an entry point directly in src/
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? tsFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Absolute paths of the relative modules `file` loads at run time (static, re-export, side-effect, dynamic). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  const allTypes = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>) =>
    elements.length > 0 && elements.every((e) => e.isTypeOnly);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (!clause.name &&
        clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && allTypes(clause.namedBindings.elements)));
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const typeOnly = node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && allTypes(clause.elements));
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s));
}

/** The cycles a depth-first search closes (at least one per tangle), each as a closed chain of files. */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    if (done.has(node)) return;
    const open = stack.indexOf(node);
    if (open >= 0) {
      const loop = stack.slice(open);
      const start = loop.indexOf([...loop].sort()[0]); // rotate so each cycle is recorded once
      const chain = [...loop.slice(start), ...loop.slice(0, start)];
      cycles.set(chain.join('\0'), [...chain, chain[0]]);
      return;
    }
    stack.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    stack.pop();
    done.add(node);
  };
  for (const node of graph.keys()) visit(node);
  return [...cycles.values()];
}

const files = tsFiles(srcRoot);
const imports = new Map(files.map((file) => [file, runtimeImports(file).filter((t) => !path.relative(srcRoot, t).startsWith('..'))]));
const edges = [...imports].flatMap(([from, targets]) => targets.map((to) => ({ from, to })));

describe('architecture of src/ (type-only imports aside)', () => {
  it('puts every file either directly in src/ or in a ranked folder', () => {
    const unranked = files.filter((f) => folderOf(f) !== null && !LAYERS.includes(folderOf(f)!)).map(show);
    expect(unranked, `folders not in the layer order ${LAYERS.join(' → ')}`).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const cycles = findCycles(imports).map((chain) => chain.map(show).join(' → '));
    expect(cycles, 'import cycles').toEqual([]);
  });

  it(`imports only downward: ${LAYERS.join(' → ')}`, () => {
    const violations = edges.flatMap(({ from, to }) => {
      const [source, target] = [folderOf(from), folderOf(to)];
      if (source === null || source === target) return [];
      const rank = LAYERS.indexOf(source);
      if (rank >= 0 && target !== null && LAYERS.indexOf(target) >= 0 && LAYERS.indexOf(target) < rank) return [];
      const allowed = rank > 0 ? `may import only ${LAYERS.slice(0, rank).join(', ')}` : 'may import no other folder';
      return [`${show(from)} imports ${show(to)} (${source} ${allowed})`];
    });
    expect(violations, 'imports against the layer order').toEqual([]);
  });

  it('lets nothing but src/nn and the entry points import src/nn', () => {
    const intruders = edges
      .filter(({ from, to }) => folderOf(to) === 'nn' && folderOf(from) !== 'nn' && folderOf(from) !== null)
      .map(({ from, to }) => `${show(from)} imports ${show(to)} (nn is the top layer; only src/nn and the entry points may import it)`);
    expect(intruders, 'imports of src/nn from below').toEqual([]);
  });
});
