// The production server: the built app from dist/ and the PeerServer on one port.
//   npm run build && npm run serve          (IVY_HOST, IVY_PORT, IVY_DIST; see docs/configuration.md)
// `npm run build` bundles this file into dist-server/, which then needs only the dependencies
// (express, peer), not the devDependencies.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { appServer } from './app.ts';
import { readServerConfig } from './config.ts';

function main(): void {
  const config = readServerConfig();
  const host = process.env.IVY_HOST ?? '127.0.0.1';
  const port = Number(process.env.IVY_PORT ?? 8080);
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error('IVY_PORT: must be a port number');
  const root = resolve(process.env.IVY_DIST ?? 'dist');
  if (!existsSync(join(root, 'index.html'))) throw new Error(`IVY_DIST: ${root} holds no built app (index.html): run npm run build first`);
  const server = appServer(root, config).listen(port, host, () => {
    console.log(
      `ivy-web: app and PeerServer on http://${host}:${port}/ (PeerServer at ${config.peerPath}, ${config.iceServers.length} ICE servers)`,
    );
  });
  server.on('error', (e) => fail(e));
}

/** A setting or the port is wrong: say which, without a stack trace, and stop. */
function fail(e: unknown): never {
  console.error(`ivy-web: ${(e as Error).message}`);
  process.exit(1);
}

try {
  main();
} catch (e) {
  fail(e);
}
