// A stream of writes driven from inside the page through the dashboard's model (`?debug`), so
// that it keeps going while the test clicks Kill and Restart, and so that its log says exactly
// which writes were acknowledged.
import { expect, type Page } from '@playwright/test';
import type { ClusterModel } from '../../src/ui/cluster-model.ts';

export interface WriteRecord {
  k: number;
  client: string;
  page: string;
  value: string;
  ok: boolean;
  /** For a failed write: true when it surely did not happen. */
  certain: boolean;
  error: string | null;
}

interface Stream {
  stop: boolean;
  log: WriteRecord[];
  done: Promise<void>;
}

type DebugWindow = Window & { ivy: ClusterModel; stream?: Stream };

/**
 * Write k goes from client k mod |clients| to page k mod |pages|, one write at a time; with
 * three clients and two pages every write moves the page to another client through the CM.
 */
export async function startStream(page: Page, clients: string[], pages: string[], tag: string): Promise<void> {
  await page.evaluate(
    ({ clients, pages, tag }) => {
      const w = window as unknown as DebugWindow;
      const log: WriteRecord[] = [];
      const stream: Stream = { stop: false, log, done: Promise.resolve() };
      stream.done = (async () => {
        for (let k = 0; !stream.stop; k++) {
          const client = clients[k % clients.length] ?? '';
          const pageId = pages[k % pages.length] ?? '';
          const value = `${tag}${k}`;
          const record = { k, client, page: pageId, value };
          try {
            const handle = w.ivy.cluster.get(client);
            if (!handle) throw new Error(`${client} is not running`);
            const r = await handle.writePage(pageId, value);
            log.push(
              r.ok ? { ...record, ok: true, certain: true, error: null } : { ...record, ok: false, certain: r.certain, error: r.error },
            );
          } catch (e) {
            log.push({ ...record, ok: false, certain: false, error: String(e) });
          }
        }
      })();
      w.stream = stream;
    },
    { clients, pages, tag },
  );
}

/** Waits until `n` more writes than `since` have been acknowledged. */
export async function acknowledged(page: Page, since: number, n: number): Promise<number> {
  const handle = await page.waitForFunction(
    ({ since, n }) => {
      const ok = (window as unknown as DebugWindow).stream?.log.filter((r) => r.ok).length ?? 0;
      return ok >= since + n ? ok : false;
    },
    { since, n },
  );
  return (await handle.jsonValue()) as number;
}

export async function stopStream(page: Page): Promise<WriteRecord[]> {
  return page.evaluate(async () => {
    const s = (window as unknown as DebugWindow).stream;
    if (!s) return [];
    s.stop = true;
    await s.done;
    return s.log;
  });
}

/**
 * What each page may hold now: its last acknowledged value, or the value of a later write
 * that failed without certainty (it may have taken effect). Writes are sequential, so this is
 * exactly the set a linearizable register allows. Also: who wrote the acknowledged value.
 */
export function expectedValues(log: WriteRecord[]): Map<string, { values: string[]; writer: string }> {
  const out = new Map<string, { values: string[]; writer: string }>();
  for (const r of log) {
    if (r.ok) out.set(r.page, { values: [r.value], writer: r.client });
    else if (!r.certain) out.get(r.page)?.values.push(r.value);
  }
  return out;
}

export function failures(log: WriteRecord[]): WriteRecord[] {
  return log.filter((r) => !r.ok);
}

export function anyOf(page: string, values: string[]): RegExp {
  expect(values.every((v) => /^[a-z0-9]+$/.test(v))).toBe(true);
  return new RegExp(
    `^${page}: (${values.join('|')}) \\((via the CM|via the CM; no copy kept until this client holds a lease|local copy)\\)$`,
  );
}
