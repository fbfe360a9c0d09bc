import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { ivyPeerServer } from './src/server/peer-plugin.ts';

const page = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  plugins: [ivyPeerServer()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: {
        main: page('./index.html'),
        // The page the PeerJS transport e2e test drives; small and never linked from the app.
        'peer-harness': page('./tests/e2e/pages/peer-harness.html'),
        // The in-page experiment runner `npm run experiments` drives (src/experiments).
        experiments: page('./experiments.html'),
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
