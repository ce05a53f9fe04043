import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// One HTML page per app plus the index; every page runs its model in src/worker.ts.
const PAGES = ['index', 'textgen', 'digits', 'stocks', 'summarize', 'chat', 'sentiment', 'translate', 'speech'];

export default defineConfig({
  // Relative asset URLs: the built folder works from any path of any static host.
  base: './',
  // Workspace packages resolve to their TypeScript sources, as in the tests (no stale dist/).
  resolve: { conditions: ['development', 'browser', 'module', 'import', 'default'] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    rollupOptions: { input: Object.fromEntries(PAGES.map((p) => [p, resolve(import.meta.dirname, `${p}.html`)])) },
  },
});
