// npx tsx lab/bench-first-write.ts [--base DIR | --replicas-ab] [--pairs 8] [--writes 200] [--no-persist] [--json FILE]
// What a write costs through the CM in the browser's worker cluster (cm1 acting, cm2 the standby
// pulsing, two clients, a worker per node, OPFS store unless --no-persist), in two kinds timed
// side by side in each trial: a page's first write (a page nobody ever wrote: the acting CM grants
// it only once the standby has it on record), a write to a page another client owns (the CM
// forwards it to the owner), and a write to a page the writer owns already (a local hit in Ivy;
// with replicas: 1 a round trip to the CM, which keeps the replica and has the standby record it). Each trial starts a fresh cluster, lets the standby pulse for a
// second, warms up, then alternates one write of each kind `--writes` times, timed from the page
// (each includes the page→worker call and back, the same in both kinds).
// With --base DIR (another checkout with its node_modules), every pair runs one trial on each
// checkout, in alternating order, so load from elsewhere on the machine hits both alike; figures
// are the median over trials of each trial's p50 / p95 / mean, with the trials' min–max. With
// --replicas-ab, every pair runs one trial of this checkout at replicas 0 and one at replicas 1.
// Each trial also counts PULSE + PULSE_REPLY messages during the timed writes and in an idle
// second after them (an idle pair of CMs exchanges about 20 a second): thousands mean the CMs
// are bouncing replies and acknowledgements off each other.
// Runs the checkouts' sources through vite's dev server (no build; ports 5290 and 5291),
// cross-origin isolated, in headless Chromium (scripts/chromium.ts) with a fresh profile on disk.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumArgs, chromiumExecutablePath } from '../scripts/chromium.ts';
import type * as ClusterModule from '../src/experiments/exp-cluster.ts';
import type * as EnvModule from '../src/experiments/env.ts';
import type * as ConfigModule from '../src/protocol/config.ts';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    pairs: { type: 'string' },
    writes: { type: 'string' },
    'no-persist': { type: 'boolean' },
    'replicas-ab': { type: 'boolean' },
    json: { type: 'string' },
  },
});
const PAIRS = Number(values.pairs ?? 8);
const WRITES = Number(values.writes ?? 200);
const PERSIST = values['no-persist'] !== true;
const HERE = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** `pulses`: PULSE + PULSE_REPLY sent during the timed writes (shows the standby's record taking part). */
/** `idlePulses`: the same in the second after them, nothing written (a standby alone pulses every pulse interval). */
type Trial = { first: number[]; owned: number[]; hit: number[]; failures: string[]; pulses: number; idlePulses: number };
const KINDS = [
  ['first', 'first write'],
  ['owned', 'owned page '],
  ['hit', 'own page   '],
] as const;

/** Runs in the page: one fresh cluster, its writes timed. Modules come from the dev server. */
async function trialInPage(args: { writes: number; persist: boolean; trial: number; replicas: 0 | 1 }): Promise<Trial> {
  // The dev server's module paths: the same files as these types, loaded in the page.
  const load = <T>(path: string): Promise<T> => import(/* @vite-ignore */ path) as Promise<T>;
  const { ExperimentCluster } = await load<typeof ClusterModule>('/src/experiments/exp-cluster.ts');
  const { browserEnv } = await load<typeof EnvModule>('/src/experiments/env.ts');
  const { DURABILITY_DEFAULT } = await load<typeof ConfigModule>('/src/protocol/config.ts');
  const env = browserEnv();
  const store = args.persist ? await env.openStore(`ivy-bench-fw-${args.trial}-${Date.now()}`, DURABILITY_DEFAULT) : null;
  const spawner = env.spawner('worker-per-node');
  const shape = { clients: 2, backup: true, replication: 'streaming' as const, replicas: args.replicas };
  const cluster = new ExperimentCluster(spawner.spawn, shape, store);
  const out: Trial = { first: [], owned: [], hit: [], failures: [], pulses: 0, idlePulses: 0 };
  const OWNED = 10;
  try {
    await cluster.startAll();
    await new Promise((r) => setTimeout(r, 1000)); // the standby pulses and the CM hears it
    const c = [cluster.api('c1'), cluster.api('c2')];
    const write = async (who: number, page: string): Promise<number> => {
      const t0 = performance.now();
      const r = await c[who]!.writePage(page, `v${who}`);
      const ms = performance.now() - t0;
      if (!r.ok) out.failures.push(`${page}: ${r.error}`);
      return ms;
    };
    // c1 takes the pages the owned-page writes move between the clients.
    for (let k = 0; k < OWNED; k++) await write(0, `P${k + 1}`);
    let fresh = 1000;
    let moves = 0;
    // The owned-page write: the client that does not own P<k> takes it (10 pages, in turn).
    const mover = (): [number, string] => [Math.floor(moves / OWNED) % 2 === 0 ? 1 : 0, `P${(moves % OWNED) + 1}`];
    const move = (): Promise<number> => {
      const [who, page] = mover();
      moves += 1;
      return write(who, page);
    };
    // The same client writes the page it has just taken again.
    const again = (): Promise<number> => {
      moves -= 1;
      const [who, page] = mover();
      moves += 1;
      return write(who, page);
    };
    for (let i = 0; i < 50; i++) {
      await write(i % 2, `P${fresh++}`);
      await move();
    }
    const pulses = async (): Promise<number> => {
      const m = await cluster.messagesSent();
      return (m.PULSE ?? 0) + (m.PULSE_REPLY ?? 0);
    };
    const before = await pulses();
    for (let i = 0; i < args.writes; i++) {
      out.first.push(await write(i % 2, `P${fresh++}`));
      out.owned.push(await move());
      out.hit.push(await again());
    }
    const after = await pulses();
    out.pulses = after - before;
    await new Promise((r) => setTimeout(r, 1000));
    out.idlePulses = (await pulses()) - after;
    return out;
  } finally {
    await cluster.stop();
    spawner.close();
  }
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]): number => quantile(xs, 0.5);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function open(root: string, port: number): Promise<ViteDevServer> {
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'warn',
    worker: { format: 'es' },
    server: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
  });
  await server.listen();
  return server;
}

async function main(): Promise<void> {
  const roots: Array<{ label: string; root: string }> = [];
  if (values.base) roots.push({ label: 'A base', root: resolve(values.base) });
  roots.push({ label: values.base ? 'B new' : 'this', root: HERE });
  const servers = await Promise.all(roots.map((r, i) => open(r.root, 5290 + i)));
  // What each pair compares: two checkouts, or this one's replicas 0 and 1 (both on its page).
  const arms: Array<{ label: string; page: number; replicas: 0 | 1 }> = values['replicas-ab']
    ? [
        { label: 'A replicas 0', page: 0, replicas: 0 },
        { label: 'B replicas 1', page: 0, replicas: 1 },
      ]
    : roots.map((r, i) => ({ label: r.label, page: i, replicas: 0 }));
  const profile = mkdtempSync(join(tmpdir(), 'ivy-bench-fw-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    headless: true,
    executablePath: chromiumExecutablePath,
    args: chromiumArgs,
  });
  // tsx compiles with esbuild's keep-names: functions sent to the page call its __name helper.
  await context.addInitScript('globalThis.__name = (f) => f;');
  try {
    const pages: Page[] = [];
    for (const [i] of roots.entries()) {
      const page = await context.newPage();
      page.on('pageerror', (e) => console.log(`${roots[i]!.label} page error: ${e.message}`));
      await page.goto(`http://127.0.0.1:${5290 + i}/experiments.html`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('page is not cross-origin isolated');
      pages.push(page);
    }
    // One untimed trial each: the dev server transforms every module on first use.
    for (const a of arms) await pages[a.page]!.evaluate(trialInPage, { writes: 20, persist: PERSIST, trial: 0, replicas: a.replicas });
    const trials: Trial[][] = arms.map(() => []);
    for (let p = 0; p < PAIRS; p++) {
      const order = arms.map((_, i) => i);
      if (p % 2 === 1) order.reverse();
      for (const i of order) {
        const a = arms[i]!;
        const t = await pages[a.page]!.evaluate(trialInPage, { writes: WRITES, persist: PERSIST, trial: p + 1, replicas: a.replicas });
        trials[i]!.push(t);
        const fmt = (xs: number[]): string =>
          `p50 ${median(xs).toFixed(2)} p95 ${quantile(xs, 0.95).toFixed(2)} mean ${mean(xs).toFixed(2)}`;
        const pulses = `pulse msgs ${t.pulses}, ${t.idlePulses} in 1 s idle after`;
        const failed = t.failures.length ? ` | ${t.failures.length} failed: ${t.failures[0]}` : '';
        console.log(
          `pair ${p + 1} ${a.label}: first write ${fmt(t.first)} | owned page ${fmt(t.owned)} | own page ${fmt(t.hit ?? [])} | ${pulses}${failed}`,
        );
      }
    }
    console.log(`\n${PAIRS} trials each, ${WRITES} writes of each kind per trial, persist ${PERSIST}; ms: median over trials [min–max]`);
    for (const [i, a] of arms.entries()) {
      for (const [kind, name] of KINDS) {
        // A base checkout's trial may predate a kind: it has no figures for it.
        if (trials[i]!.some((t) => (t[kind] ?? []).length === 0)) continue;
        const per = (f: (xs: number[]) => number): string => {
          const v = trials[i]!.map((t) => f(t[kind]));
          return `${median(v).toFixed(2)} [${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}]`;
        };
        console.log(`${a.label.padEnd(12)} ${name}  p50 ${per(median)}  p95 ${per((xs) => quantile(xs, 0.95))}  mean ${per(mean)}`);
      }
    }
    if (values.json) writeFileSync(values.json, JSON.stringify({ arms, persist: PERSIST, writes: WRITES, trials }));
  } finally {
    await context.close();
    await Promise.all(servers.map((s) => s.close()));
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench-first-write: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
