// The production server: the built app from dist/ and the PeerServer on one port.
//   npm run build && npm run serve          (IVY_HOST, IVY_PORT, IVY_DIST; see README)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { readServerConfig } from './config.ts';
import { peerServerMiddleware } from './peer-server.ts';
import { serveStatic } from './static-files.ts';

function main(): void {
  const config = readServerConfig();
  const host = process.env.IVY_HOST ?? '127.0.0.1';
  const port = Number(process.env.IVY_PORT ?? 8080);
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error('IVY_PORT: must be a port number');
  const root = resolve(process.env.IVY_DIST ?? 'dist');
  const server = createServer();
  const peer = peerServerMiddleware(server, config);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    peer(req, res, () => void serveStatic(root, req, res).catch((e: Error) => {
      res.writeHead(500);
      res.end();
      console.error(`serve: ${e.message}`);
    }));
  });
  server.listen(port, host, () => {
    console.log(`ivy-web: app and PeerServer on http://${host}:${port}/ (PeerServer at ${config.peerPath}, ${config.iceServers.length} ICE servers)`);
  });
}

main();
