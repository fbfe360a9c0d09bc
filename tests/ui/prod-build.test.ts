// `npm run build` must ship none of the scripts' `?debug` hooks (src/debug/hooks.ts): only vite's
// e2e mode builds them in. Both modes are built here from the repository's own vite.config.ts,
// into temporary directories; the e2e build must show every marker, or its absence from the
// production build would prove nothing.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Two builds on a loaded 2-core machine; one takes about 3 s when idle. */
const BUILDS_MS = 180_000;

/** Property names and string literals, which minification keeps. */
const MARKERS: ReadonlyArray<[string, RegExp]> = [
  ['the window.ivy assignment', /\bwindow\.ivy\s*=/],
  ['ivyTab', /\bivyTab\b/],
  ['forge', /\bforge\b/],
  ['sendRaw', /\bsendRaw\b/],
  ["the 'debug' query check", /\.has\(\s*[`'"]debug[`'"]\s*\)/],
];

type Built = ReadonlyMap<string, string>;

/** Every JavaScript file the build emits (workers included), by path. */
async function buildJs(mode: string, outDir: string): Promise<Built> {
  await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), mode, logLevel: 'silent', build: { outDir } });
  const files = readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  return new Map(files.map((f) => [f, readFileSync(join(outDir, f), 'utf8')]));
}

const holding = (built: Built, marker: RegExp): string[] => [...built].filter(([, js]) => marker.test(js)).map(([f]) => f);

describe('the debug hooks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ivy-prod-build-'));
  let production: Built = new Map();
  let e2e: Built = new Map();

  beforeAll(async () => {
    // As `vite build` runs: vitest's NODE_ENV=test would make a development build (lit's dev mode).
    vi.stubEnv('NODE_ENV', 'production');
    production = await buildJs('production', join(dir, 'production'));
    e2e = await buildJs('e2e', join(dir, 'e2e'));
  }, BUILDS_MS);

  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(MARKERS)('are in the e2e build: %s', (_, marker) => {
    expect(holding(e2e, marker)).not.toEqual([]);
  });

  it.each(MARKERS)('are not in what `npm run build` ships: %s', (_, marker) => {
    expect(production.size).toBeGreaterThan(0);
    expect(holding(production, marker)).toEqual([]);
  });
});
