/**
 * The backprop playground's vite config (`npm run playground`): serves examples/playground, and
 * the MNIST files at /mnist/<name> the way the demo's config does (its plugin, reused).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { isolationHeaders, mnistFiles } from '../web/vite.config.ts';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [mnistFiles()],
  server: { headers: isolationHeaders, fs: { allow: [fileURLToPath(new URL('../..', import.meta.url))] } },
  preview: { headers: isolationHeaders },
  optimizeDeps: { include: ['immer'] },
  build: { target: 'es2022' },
});
