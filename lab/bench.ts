// npm run bench [-- --profile DIR] [-- options of lab/bench-main.ts]
// Builds the benchmark with vite, as the app's own code is built for browsers, and runs the
// bundle with node: under tsx every function that declares a named closure would also pay
// for esbuild's keep-names wrapper on each call, which the shipped code never does.
// --profile DIR also writes a V8 CPU profile of the run there (Chrome DevTools opens it) and
// prints where each message kind spends its time (lab/bench-profile.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { KINDS } from './bench-cluster.ts';
import { type CpuProfile, profileLines } from './bench-profile.ts';

const PROFILE_INTERVAL_US = 100;

function newestProfile(dir: string): string {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) throw new Error(`no .cpuprofile written in ${dir}`);
  return newest;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--profile');
  const profile = at >= 0 ? args.splice(at, 2)[1] : undefined;
  if (at >= 0 && !profile) throw new Error('--profile wants a directory');
  const outDir = mkdtempSync(join(tmpdir(), 'ivy-bench-'));
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        ssr: fileURLToPath(new URL('./bench-main.ts', import.meta.url)),
        outDir,
        emptyOutDir: false,
        target: 'es2022',
        minify: false,
      },
    });
    const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile, '--cpu-prof-interval', String(PROFILE_INTERVAL_US)] : [];
    const bundle = join(outDir, 'bench-main.js');
    const run = spawnSync(process.execPath, [...flags, bundle, ...args], { stdio: 'inherit' });
    if (run.status === 0 && profile) {
      const file = newestProfile(profile);
      const lines = readFileSync(bundle, 'utf8').split('\n');
      const cpu = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      const sources = (url: string): string[] | undefined => (url.endsWith('/bench-main.js') ? lines : undefined);
      console.log(['', ...profileLines(cpu, KINDS, sources)].join('\n'));
      console.log(`(profile: ${file})`);
    }
    return run.status ?? 1;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exitCode = 2;
  },
);
