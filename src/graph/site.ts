/**
 * The user's call site of a graph operation, e.g. `examples/mnist.ts:42:13`, so that an error can
 * point at the line of user code that built the bad node. Frames inside deltagraph's own src/
 * folder are skipped: a layer built by src/nn reports the user's line that asked for the layer.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const srcDir = (() => {
  try {
    return path.dirname(path.dirname(fileURLToPath(import.meta.url))) + path.sep;
  } catch {
    return ''; // not a file: URL (e.g. a bundle in a browser): report the first frame
  }
})();

const frame = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/;

export function callSite(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const m = frame.exec(line.trim());
    if (!m) continue;
    let file = m[1];
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (file.startsWith('node:') || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    if (srcDir && file.startsWith(srcDir)) continue;
    return `${path.relative(process.cwd(), file) || file}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
