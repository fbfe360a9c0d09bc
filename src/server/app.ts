// The production server's HTTP handling: the PeerServer and /ivy-config.json, then the built app
// from `root` (express.static keeps every request inside it), then 404.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import type { ServerConfig } from './config.ts';
import { peerServerMiddleware } from './peer-server.ts';

export function appServer(root: string, config: ServerConfig, log?: (line: string) => void): Server {
  const app = express();
  app.disable('x-powered-by');
  const server = createServer(app);
  app.use(peerServerMiddleware(server, config, log));
  // Vite puts a content hash in every name under assets/; everything else may change.
  app.use('/assets', express.static(join(root, 'assets'), { immutable: true, maxAge: '1y', index: false }));
  app.use(express.static(root, { cacheControl: false, setHeaders: (res) => res.setHeader('cache-control', 'no-cache') }));
  app.use((_req, res) => void res.status(404).type('text/plain').send('not found\n'));
  return server;
}
