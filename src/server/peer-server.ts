// The embedded PeerServer (the `peer` package), mounted on an HTTP server we already run (vite's
// dev or preview server, or serve.ts), plus the /ivy-config.json document tabs read at start.
//
// Two details of `peer` shape this file. ExpressPeerServer only starts when its app is mounted
// in another express app, so it gets a small host app. And its WebSocket server, given the HTTP server, answers every upgrade request
// on any path, refusing the ones not for it with 400: that would kill vite's HMR socket, so it
// gets a stand-in that only relays upgrades for its own path.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import express from 'express';
import { ExpressPeerServer } from 'peer';
import { IVY_CONFIG_PATH } from '../net/ivy-config.ts';
import { clientConfig, type ServerConfig } from './config.ts';

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** The path PeerJS clients open their WebSocket on, under the mount path. */
const WS_SUFFIX = '/peerjs';

function pathname(url: string | undefined): string {
  const q = (url ?? '').indexOf('?');
  return q === -1 ? (url ?? '') : (url ?? '').slice(0, q);
}

export function peerServerMiddleware(httpServer: Server, config: ServerConfig, log: (line: string) => void = console.log): Middleware {
  const wsPath = config.peerPath + WS_SUFFIX;
  const upgrades = new EventEmitter();
  httpServer.on('upgrade', (req: IncomingMessage, socket: unknown, head: unknown) => {
    if (pathname(req.url) === wsPath) upgrades.emit('upgrade', req, socket, head);
  });
  const peerApp = ExpressPeerServer(upgrades as unknown as Server, {
    path: config.peerPath,
    key: config.peerKey,
    allow_discovery: false,
  });
  peerApp.on('error', (e: Error) => log(`PeerServer: ${e.message}`));
  const host = express();
  host.disable('x-powered-by');
  host.use(peerApp);
  const configBody = JSON.stringify(clientConfig(config));
  return (req, res, next) => {
    const p = pathname(req.url);
    if (p === IVY_CONFIG_PATH) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(configBody);
    } else if (p === config.peerPath || p.startsWith(config.peerPath + '/')) {
      host(req as express.Request, res as express.Response, next);
    } else {
      next();
    }
  };
}
