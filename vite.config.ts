import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { ivyPeerServer } from './src/server/peer-plugin.ts';

const page = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * `--mode e2e` (what playwright.config.ts builds and previews, and `npm run experiments` too) adds
 * the test pages and the scripts' `?debug` hooks (src/debug/hooks.ts) and builds into dist-e2e/,
 * so that `npm run build`'s dist/ holds only what users get.
 */
const E2E_MODE = 'e2e';

export default defineConfig(({ mode, isSsrBuild }) => ({
  plugins: [ivyPeerServer()],
  define: { __IVY_DEBUG__: JSON.stringify(mode === E2E_MODE) },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    outDir: mode === E2E_MODE ? 'dist-e2e' : 'dist',
    // The server bundle (`npm run build:server`, into dist-server/) serves public/ from dist/.
    copyPublicDir: !isSsrBuild,
    rolldownOptions: {
      input: {
        main: page('./index.html'),
        // The in-page experiment runner `npm run experiments` drives (src/experiments).
        experiments: page('./experiments.html'),
        // The page the PeerJS transport e2e test drives.
        ...(mode === E2E_MODE ? { 'peer-harness': page('./tests/e2e/pages/peer-harness.html') } : {}),
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    // At least two files at once, even on 2 cores where vitest's default is one: the sweep file
    // waits on its own pool of child processes (src/sim/sweep-pool.ts) while the other files run
    // beside it (vitest run: 83 and 84 s against 103 and 104 s at one, here).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
}));
