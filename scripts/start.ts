// `npm start [-- --host 0.0.0.0] [--port 5173]`: what users run. Builds the app and its server
// when the sources are newer than the last build (or there is none), then serves the built app
// and the PeerServer on one port with plain Node.js (src/server/serve.ts). No live-reload socket:
// a tab the browser froze and resumed keeps running its node, where the development server
// (`npm run dev`) would reload the page and kill it.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** What a build is made from. */
const SOURCES = ['src', 'public', 'index.html', 'experiments.html', 'vite.config.ts', 'package-lock.json'];
/** What a build leaves: the app's page and the server bundle. */
const BUILT = ['dist/index.html', 'dist-server/serve.js'];

/** The newest modification time under `path` (a file or a folder), 0 if it does not exist. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

function built(): boolean {
  const outputs = BUILT.map((p) => join(ROOT, p));
  if (!outputs.every(existsSync)) return false;
  const oldest = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  return SOURCES.every((p) => newest(join(ROOT, p)) <= oldest);
}

function run(args: string[]): void {
  const r = spawnSync('npx', args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`ivy-web: npx ${args.join(' ')} failed`);
    process.exit(r.status ?? 1);
  }
}

const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' } } });
if (!built()) {
  console.log('ivy-web: building the app and its server (the sources changed since the last build)…');
  run(['vite', 'build', '--logLevel', 'warn']);
  run(['vite', 'build', '--ssr', 'src/server/serve.ts', '--outDir', 'dist-server', '--logLevel', 'warn']);
}
const env = {
  ...process.env,
  IVY_HOST: values.host ?? process.env.IVY_HOST ?? '127.0.0.1',
  IVY_PORT: values.port ?? process.env.IVY_PORT ?? '5173',
};
const server = spawn(process.execPath, [join(ROOT, 'dist-server/serve.js')], { cwd: ROOT, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
