import { defineConfig } from 'vitest/config';
import { ivyPeerServer } from './src/server/peer-plugin.ts';

export default defineConfig({
  plugins: [ivyPeerServer()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
