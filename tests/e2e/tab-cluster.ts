// Drives tabs as nodes: each node is its own page, chosen with the seed's prompt buttons; page
// operations and write streams run inside the node's tab through its `?debug` hook.
import { expect, type BrowserContext, type Locator } from '@playwright/test';
import { choose, openNode, type NodeTab } from '../../scripts/tab-pages.ts';
import type { OpResult } from '../../src/protocol/node.ts';
import type { TabNodeInfo } from '../../src/tab/control.ts';

export { becomeNode, choose, openNode, openPrompt, type NodeTab } from '../../scripts/tab-pages.ts';

// `ivyTab` is typed where the e2e build defines it (src/debug/hooks.ts).
type TabWindow = Window & { tabStream?: TabStream };

export interface StreamWrite {
  page: string;
  value: string;
  ok: boolean;
  local: boolean;
  error: string | null;
  /** Date.now() at submit and at the answer: comparable across tabs and with the test process. */
  startedAt: number;
  doneAt: number;
}

interface TabStream {
  stop: boolean;
  log: StreamWrite[];
  done: Promise<void>;
}

/** Waits until the standby CM has heard of every client (pulse replies carry the members). */
export async function membersKnown(cm: NodeTab, clients: NodeTab[]): Promise<void> {
  await expect
    .poll(async () => {
      const s = (await info(cm)).state;
      return s.role === 'cm' ? s.snapshot.members : [];
    })
    .toEqual(expect.arrayContaining(clients.map((c) => c.id)));
}

/**
 * A tab of `context` handed another cluster key than the server's chooses Client: its links fail
 * the handshake, so it never gets an id and says so. (Which side notices first is a race, either
 * may check the other's proof first and close, so only the outcome is asserted; the handshake's
 * own refusals are covered in peerjs-transport.spec.ts.) The key is swapped inside the page, so
 * the config still comes from the browser's own host.
 */
export async function expectJoinRefused(context: BrowserContext, clusterKey: string): Promise<void> {
  await context.addInitScript((key) => {
    const fetchFirst = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      const response = await fetchFirst(input, init);
      const url = input instanceof Request ? input.url : String(input);
      if (!url.endsWith('/ivy-config.json')) return response;
      return new Response(JSON.stringify({ ...(await response.json()), clusterKey: key }), {
        status: response.status,
        headers: response.headers,
      });
    };
  }, clusterKey);
  const page = await context.newPage();
  await page.goto('/?mode=tab');
  await choose(page, 'Client');
  // It names the key when its side saw the refusal; when the CM closed first, only that none answered.
  await expect(page.getByRole('log')).toContainText(/the CMs refused this tab: wrong cluster key|no acting central manager answered/, {
    timeout: 15_000,
  });
}

export function nodeCard(tab: NodeTab, label: string): Locator {
  return tab.page.getByRole('region', { name: label });
}

export function write(tab: NodeTab, pageId: string, value: string): Promise<OpResult> {
  return tab.page.evaluate(([p, v]) => window.ivyTab!.node!.writePage(p, v), [pageId, value] as const);
}

/** A write with the instant its answer reached the node's tab (Date.now() there), not the test. */
export function timedWrite(tab: NodeTab, pageId: string, value: string): Promise<{ result: OpResult; doneAt: number }> {
  return tab.page.evaluate(
    async ([p, v]) => {
      const result = await window.ivyTab!.node!.writePage(p, v);
      return { result, doneAt: Date.now() };
    },
    [pageId, value] as const,
  );
}

export function read(tab: NodeTab, pageId: string): Promise<OpResult> {
  return tab.page.evaluate((p) => window.ivyTab!.node!.readPage(p), pageId);
}

export function info(tab: NodeTab): Promise<TabNodeInfo> {
  return tab.page.evaluate(() => window.ivyTab!.node!.info());
}

/** The CM's role and epoch, or the client's CM and epoch, as the card shows it. */
export async function standing(tab: NodeTab): Promise<string> {
  const s = (await info(tab)).state;
  return s.role === 'cm' ? `${s.snapshot.role} ${s.snapshot.epoch}` : `follows ${s.snapshot.cm} ${s.snapshot.epoch}`;
}

/** A CM's role and epoch, as its own tab knows them. */
export async function cmStatus(tab: NodeTab): Promise<{ role: string; epoch: number }> {
  const s = (await info(tab)).state;
  return s.role === 'cm' ? { role: s.snapshot.role, epoch: s.snapshot.epoch } : { role: 'client', epoch: s.snapshot.epoch };
}

/** The two CM tabs, the acting one first (a CPU-starved tab may have lost the role, safely). */
export async function actingFirst(a: NodeTab, b: NodeTab): Promise<[NodeTab, NodeTab]> {
  return actsOver(await cmStatus(a), await cmStatus(b)) ? [a, b] : [b, a];
}

/**
 * Waits until one of the two CMs acts and the other stands by at its epoch, and returns them so.
 * Which one acts is not assumed: a tab starved right after a takeover may miss pulses and hand
 * the role on once more (safe).
 */
export async function settledPair(a: NodeTab, b: NodeTab): Promise<{ acting: NodeTab; standby: NodeTab; epoch: number }> {
  let found: { acting: NodeTab; standby: NodeTab; epoch: number } | null = null;
  await expect
    .poll(async () => {
      const [sa, sb] = [await cmStatus(a), await cmStatus(b)];
      const [x, y, sx, sy] = actsOver(sa, sb) ? [a, b, sa, sb] : [b, a, sb, sa];
      found = sx.role === 'acting' && sy.role === 'standby' && sy.epoch === sx.epoch ? { acting: x, standby: y, epoch: sx.epoch } : null;
      return found !== null;
    })
    .toBe(true);
  if (found === null) throw new Error('unreachable: the poll passed');
  return found;
}

/** Whether the CM whose status is `a` is the one acting, rather than `b` (a newer epoch wins). */
export function actsOver(a: { role: string; epoch: number }, b: { role: string; epoch: number }): boolean {
  return a.role === 'acting' && (b.role !== 'acting' || a.epoch > b.epoch);
}

/** cm1, cm2 and clients c1-c3, each in a tab of its own, opened in that order. */
export async function openFiveTabs(context: BrowserContext): Promise<Record<'cm1' | 'cm2' | 'c1' | 'c2' | 'c3', NodeTab>> {
  const cm1 = await openNode(context, 'CM', 'cm1');
  const cm2 = await openNode(context, 'CM', 'cm2');
  const c1 = await openNode(context, 'Client', 'c1');
  const c2 = await openNode(context, 'Client', 'c2');
  return { cm1, cm2, c1, c2, c3: await openNode(context, 'Client', 'c3') };
}

export async function expectValue(tab: NodeTab, pageId: string, value: string): Promise<void> {
  expect(await read(tab, pageId), `${tab.id} reads ${pageId}`).toMatchObject({ ok: true, value });
}

/** Reads every written page back in `tab`, one after another inside the tab: each must hold what was written. */
export async function expectWritten(tab: NodeTab, writes: Array<{ page: string; value: string }>): Promise<void> {
  const wrong = await tab.page.evaluate(
    async (ws) => {
      const out: string[] = [];
      for (const w of ws) {
        const r = await window.ivyTab!.node!.readPage(w.page);
        if (!r.ok || r.value !== w.value) out.push(`${w.page}: ${r.ok ? `holds ${r.value}` : r.error}, not ${w.value}`);
      }
      return out;
    },
    writes.map(({ page, value }) => ({ page, value })),
  );
  expect(wrong, `${tab.id} reads back what was written`).toEqual([]);
}

export async function forge(tab: NodeTab, to: string, frame: unknown): Promise<boolean> {
  return tab.page.evaluate(([t, f]) => window.ivyTab!.forge(t, f), [to, frame] as const);
}

export async function sendRaw(tab: NodeTab, to: string, text: string): Promise<boolean> {
  return tab.page.evaluate(([t, x]) => window.ivyTab!.sendRaw(t, x), [to, text] as const);
}

/**
 * Writes fresh pages `<tag><k>` one after another (each needs the CM), `gapMs` apart, until
 * stopped; or, given `pages`, writes those in turn.
 */
export async function startStream(tab: NodeTab, tag: string, o: { gapMs?: number; pages?: string[] } = {}): Promise<void> {
  await tab.page.evaluate(
    ([tag, gapMs, pages]) => {
      const w = window as TabWindow;
      const stream: TabStream = { stop: false, log: [], done: Promise.resolve() };
      stream.done = (async () => {
        for (let k = 0; !stream.stop; k++) {
          const page = pages.length > 0 ? (pages[k % pages.length] ?? '') : `${tag}${k}`;
          const value = `${tag}v${k}`;
          const startedAt = Date.now();
          const r = await w.ivyTab!.node!.writePage(page, value);
          stream.log.push({ page, value, ok: r.ok, local: r.ok && r.local, error: r.ok ? null : r.error, startedAt, doneAt: Date.now() });
          if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        }
      })();
      w.tabStream = stream;
    },
    [tag, o.gapMs ?? 0, o.pages ?? []] as const,
  );
}

export function streamLog(tab: NodeTab): Promise<StreamWrite[]> {
  return tab.page.evaluate(() => (window as TabWindow).tabStream?.log ?? []);
}

export async function stopStream(tab: NodeTab): Promise<StreamWrite[]> {
  return tab.page.evaluate(async () => {
    const s = (window as TabWindow).tabStream;
    if (!s) return [];
    s.stop = true;
    await s.done;
    return s.log;
  });
}
