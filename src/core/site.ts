/**
 * The user's call site of a graph operation, e.g. `examples/mnist.ts:42:13`, so that an error can
 * point at the line of user code that built the bad node. Frames inside deltagraph's own src/
 * folder are skipped: a layer built by src/nn reports the user's line that asked for the layer.
 * No Node modules here, so the graph core also runs in a browser.
 */

/** A file path from a stack frame's location (a path, or a file: URL). */
function pathOf(location: string): string {
  return location.startsWith('file://') ? decodeURIComponent(location.slice('file://'.length)) : location;
}

// deltagraph's src/ folder: two levels up from this file (src/graph/site.ts).
const srcDir = typeof import.meta.url === 'string' ? pathOf(new URL('..', import.meta.url).href) : ''; // bundled: no module URL
const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.() ?? '';

const frame = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/;

/** V8's (Node, Chromium) limit on stack frames; other engines ignore it. */
const errors = Error as { stackTraceLimit?: number };

export function callSite(): string | undefined {
  const limit = errors.stackTraceLimit;
  errors.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  errors.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const m = frame.exec(line.trim());
    if (!m) continue;
    const file = pathOf(m[1]);
    if (file.startsWith('node:') || file.includes('/node_modules/')) continue;
    if (srcDir && file.startsWith(srcDir)) continue;
    const shown = cwd && file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
    return `${shown}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
