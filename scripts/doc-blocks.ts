/**
 * The blocks that scripts write into the README and the guides, between `<!-- name:start -->` and
 * `<!-- name:end -->` markers, so no figure there is typed by hand:
 * - the benchmarks (`npm run bench`) write their tables into docs/performance.md,
 * - `npm run readme:figures` writes the MNIST output and the preset figures into docs/training.md,
 * - and after either, the README's headline figures are derived from those blocks, and its map of
 *   the guides from docs/*.md (a guide added to docs/ appears there on the next run).
 *
 *   npm run docs:readme     # rewrite the README's headline and guide map from docs/ (no measuring)
 *
 * test/readme.test.ts fails when the README's blocks are not what this script would write.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');

/** `text` with `content` between its `marker` markers; throws naming the file when they are missing. */
export function replaceBetween(text: string, marker: string, content: string, file = 'the text'): string {
  const pattern = new RegExp(`(<!-- ${marker}:start -->\\n)[\\s\\S]*?(<!-- ${marker}:end -->)`);
  if (!pattern.test(text)) throw new Error(`${file} has no ${marker} markers`);
  return text.replace(pattern, (_, start: string, end: string) => `${start}${content}\n${end}`);
}

/** What is between `marker`'s markers in `text`. */
export function blockOf(text: string, marker: string, file = 'the text'): string {
  const found = new RegExp(`<!-- ${marker}:start -->\\n([\\s\\S]*?)<!-- ${marker}:end -->`).exec(text);
  if (!found) throw new Error(`${file} has no ${marker} markers`);
  return found[1];
}

/** Writes `content` between the markers of `file` (a path from the repository's root), then refreshes the README. */
export function writeDocBlock(file: string, marker: string, content: string): void {
  const full = path.join(root, file);
  writeFileSync(full, replaceBetween(readFileSync(full, 'utf8'), marker, content, file));
  writeReadmeBlocks();
}

const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/**
 * The README's headline: the speed of W1 and W3 beside their peers, W2 and W3 on WebGPU beside
 * theirs, and the presets' test accuracies, taken from the blocks the benchmarks and
 * readme:figures wrote into the guides.
 */
export function headline(performance: string, training: string): string {
  const speed = blockOf(performance, 'bench-training', 'docs/performance.md');
  const date = /\((\d{4}-\d\d-\d\d), Node (v[\d.]+)/.exec(speed)!;
  const machine = /\) on (.+?), medians/.exec(speed)?.[1] ?? 'a 2-core machine';
  /** The table's rows: workload, deltagraph's seconds, the peer, its seconds, and how they compare. */
  const rows = [...speed.matchAll(/^\| (W\d) \| (\S+) s \| (\S+) \| (\S+) s \| deltagraph (is (\S+)x faster|takes (\S+)x its time) \|$/gm)].map((m) => ({
    workload: m[1],
    ours: `${m[2]} s`,
    peer: m[3],
    theirs: `${m[4]} s`,
    than: m[6] ? `${m[6]}x faster than` : `${m[7]}x slower than`,
  }));
  const row = (workload: string, peer: string | RegExp) => {
    const found = rows.filter((r) => r.workload === workload && (typeof peer === 'string' ? r.peer === peer : peer.test(r.peer)));
    if (found.length === 0) throw new Error(`docs/performance.md's bench-training table has no ${workload} row for ${peer}`);
    return found.sort((a, b) => parseFloat(a.theirs) - parseFloat(b.theirs))[0]; // the fastest such peer
  };
  const native = /^(pytorch|numpy)-/;
  /** A native peer's name: "numpy on OpenBLAS, 2 threads", "PyTorch, 1 thread". */
  const named = (peer: string) => {
    const threads = /-(\d+)-threads$/.exec(peer)?.[1];
    const library = peer.startsWith('numpy') ? `numpy on ${/openblas/.test(peer) ? 'OpenBLAS' : 'reference BLAS'}` : 'PyTorch';
    return `${library}, ${threads} thread${threads === '1' ? '' : 's'}`;
  };
  const [w1, w1native, w2native] = [row('W1', 'tfjs-wasm'), row('W1', native), row('W2', native)];
  const [w3, w3two] = [row('W3', 'pytorch-1-threads'), row('W3', 'pytorch-2-threads')];
  const accuracy = (marker: string) => {
    const figures = blockOf(training, marker, 'docs/training.md');
    return /ends at ((?:\d+\.\d\d%, ){2}\d+\.\d\d%) test accuracy/.exec(figures)![1];
  };
  const gpu = blockOf(performance, 'bench-webgpu', 'docs/performance.md');
  const gpuRow = (workload: string) => {
    const found = new RegExp(`^\\| ${workload} \\| (\\S+ ms) \\| \\S+ ms \\| (\\S+ ms) \\| (\\S+ ms) \\| [^|]+ \\| [^|]+\\((\\S+x) faster\\) \\| [^|]+\\((\\S+x) (faster|slower)\\) \\|$`, 'm').exec(gpu);
    if (!found) throw new Error(`docs/performance.md's bench-webgpu table has no ${workload} row`);
    return { ours: found[1], tfjs: found[2], jax: found[3], vsTfjs: found[4], vsJax: `${found[5]} ${found[6]}` };
  };
  const [w2g, w3g] = [gpuRow('W2'), gpuRow('W3')];
  return [
    `- Nielsen's [784,30,10] sigmoid net trains an epoch of the 50,000 MNIST images in ${w1.ours}, ${w1.than}`,
    `  TensorFlow.js's wasm backend (${w1.theirs}) and ${w1native.than} the fastest native peer (${named(w1native.peer)}: ${w1native.theirs});`,
    `  the [784,800,10] ReLU net in ${w2native.ours}, ${w2native.than} the fastest native peer (${named(w2native.peer)}: ${w2native.theirs});`,
    `  the conv net of \`--preset conv\` in ${w3.ours}, ${w3.than} PyTorch on one thread (${w3.theirs}) and ${w3two.than} it on two (${w3two.theirs}).`,
    `  Measured by \`npm run bench\` on ${date[1]}, Node ${date[2]}, on ${machine}, shared. Ratios to native`,
    '  libraries move with the CPU (they use its widest vectors; WebAssembly has 4 lanes): [performance](docs/performance.md).',
    `- On the GPU (WebGPU, a training step one submit): a W2 step in ${w2g.ours}, a conv-net (W3) step in ${w3g.ours}, ${w2g.vsJax}`,
    `  and ${w3g.vsJax} than jax-js (${w2g.jax}, ${w3g.jax}) and ${w2g.vsTfjs} and ${w3g.vsTfjs} faster than TF.js (${w2g.tfjs}, ${w3g.tfjs}) in one`,
    '  Chromium page on SwiftShader, which emulates a GPU on the CPU: these figures compare code on one',
    '  emulator, not GPUs (`npm run bench:webgpu`: [the GPU](docs/webgpu.md), [performance](docs/performance.md)).',
    `- Test accuracy over seeds 1, 2, 3: ${accuracy('mnist-figures')} for the classic preset (why one seed`,
    `  stalls: [getting started](docs/getting-started.md)), ${accuracy('mnist-improved-figures')} for the improved one,`,
    `  ${accuracy('mnist-conv-figures')} for the conv net (\`npm run readme:figures\`: [training](docs/training.md)).`,
  ].join('\n');
}

/** The map of the guides: every docs/*.md, its title (its first heading) and its first sentence. */
export function guideMap(docs = path.join(root, 'docs')): string {
  const order = ['getting-started', 'graphs-and-autodiff', 'training', 'conv-nets', 'custom-ops', 'op-semantics', 'model-files', 'performance', 'package', 'backprop', 'learners', 'contributing'];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length - 1); // new guides: before contributing
  const guides = readdirSync(docs)
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -3))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return guides
    .map((name) => {
      const text = readFileSync(path.join(docs, `${name}.md`), 'utf8');
      const title = /^# (.+)$/m.exec(text)?.[1] ?? name;
      const paragraph = text.replace(/^# .+\n+/, '').split(/\n\n/)[0].replace(/\s*\n\s*/g, ' ');
      const sentence = /^(.*?\.)(?:\s|$)/.exec(paragraph)?.[1] ?? paragraph;
      return `- [${title}](docs/${name}.md): ${sentence}`;
    })
    .join('\n');
}

/** Rewrites the README's headline and guide map from docs/. */
export function writeReadmeBlocks(): void {
  let readme = read('README.md');
  readme = replaceBetween(readme, 'headline', headline(read('docs/performance.md'), read('docs/training.md')), 'README.md');
  readme = replaceBetween(readme, 'guides', guideMap(), 'README.md');
  writeFileSync(path.join(root, 'README.md'), readme);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  writeReadmeBlocks();
  console.log('README.md: headline figures and the guide map rewritten from docs/');
}
