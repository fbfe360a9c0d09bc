// A vite plugin that puts the PeerServer and /ivy-config.json on vite's own server, for both
// `npm run dev` and `vite preview` (what the Playwright suite runs): one port, no setup.
import type { Server } from 'node:http';
import type { Plugin } from 'vite';
import { readServerConfig } from './config.ts';
import { peerServerMiddleware } from './peer-server.ts';

export function ivyPeerServer(env: Record<string, string | undefined> = process.env): Plugin {
  const config = readServerConfig(env);
  return {
    name: 'ivy-peer-server',
    configureServer(server) {
      // Middleware mode (vitest, embedding) has no HTTP server of its own to mount on.
      if (server.httpServer) server.middlewares.use(peerServerMiddleware(server.httpServer as Server, config));
    },
    configurePreviewServer(server) {
      server.middlewares.use(peerServerMiddleware(server.httpServer as Server, config));
    },
  };
}
