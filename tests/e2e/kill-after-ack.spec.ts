// Store before you send, in a real browser on a real disk: a client worker killed right after its
// writes were acknowledged, or right after it handed a page on, comes back from its log with
// exactly what it was entitled to, at both durability levels, in a worker of its own and in a
// pack (where its neighbours run on and its log goes on without it). Every client then reads
// the acknowledged value or a newer one, never an older one, and no page ever has two owners.
// Each trial kills in the same task that saw the acknowledgement, which is as early as a person
// (or a crash) could.
import type { Page } from '@playwright/test';
import type { ClusterModel } from '../../src/ui/cluster-model.ts';
import { startClient, startCm } from './dashboard.ts';
import { expect, test } from './disk-profile.ts';

const TRIALS = 10;
const CLIENTS = ['c1', 'c2', 'c3'];

interface Trial {
  variant: 'after acknowledged writes' | 'after handing a page on';
  /** The value the last acknowledged write left: every later read must return it. */
  expected: string;
  reads: Record<string, string>;
  /** Clients that hold the page as owner once the reads are done. */
  owners: string[];
}

for (const durability of ['process', 'disk'] as const) {
  for (const placement of ['worker-per-node', 'packed'] as const) {
    test(`${durability} durability, ${placement}: a client killed right after acknowledged writes or a handoff loses nothing (${TRIALS} trials each)`, async ({
      diskContext,
    }) => {
      test.setTimeout(120_000);
      const page = diskContext.pages()[0] ?? (await diskContext.newPage());
      await page.goto(`/?debug&durability=${durability}&placement=${placement}`);
      await killTrials(page);
      // Each card says where its node keeps its state, and how durably.
      await expect(page.getByLabel('c1 keeps its state')).toHaveText(`OPFS log, ${durability}`);
    });
  }
}

async function killTrials(page: Page): Promise<void> {
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  for (const id of CLIENTS) await startClient(page, id);

  const trials = await page.evaluate(
    async ({ TRIALS, CLIENTS }) => {
      const ivy = (window as unknown as { ivy: ClusterModel }).ivy;
      const node = (id: string) => {
        const h = ivy.cluster.get(id);
        if (!h) throw new Error(`${id} is not running`);
        return h;
      };
      const write = async (id: string, page: string, value: string): Promise<void> => {
        const r = await node(id).writePage(page, value);
        if (!r.ok) throw new Error(`${id} writePage ${page} ${value}: ${r.error}`);
      };
      /** Kills and restarts c1 in the task that saw the last acknowledgement. */
      const crashC1 = async (): Promise<void> => {
        ivy.cluster.kill('c1');
        await ivy.restart('c1');
      };
      const finish = async (variant: Trial['variant'], page: string, expected: string): Promise<Trial> => {
        const reads: Record<string, string> = {};
        for (const id of CLIENTS) {
          let r = await node(id).readPage(page);
          // A restart that outlasts c1's lease (a starved machine) leaves its pages unavailable,
          // naming it, until its report is in: a refusal, not a stale value. Such a read is asked again.
          for (let k = 0; k < 50 && !r.ok && r.away === 'c1'; k++) {
            await new Promise((done) => setTimeout(done, 100));
            r = await node(id).readPage(page);
          }
          reads[id] = r.ok ? String(r.value) : `error: ${r.error}`;
        }
        const owners: string[] = [];
        for (const id of CLIENTS) {
          const s = await node(id).snapshot();
          if (s.role === 'client' && s.snapshot.pages.some((p) => p.page === page && p.owner)) owners.push(id);
        }
        return { variant, expected, reads, owners };
      };
      const out: Trial[] = [];
      for (let i = 0; i < TRIALS; i++) {
        // c1 takes the page through the CM, then writes it three times locally, each acknowledged.
        const a = `A${i}`;
        await write('c1', a, `${a}-0`);
        for (const k of [1, 2, 3]) await write('c1', a, `${a}-${k}`);
        await crashC1();
        out.push(await finish('after acknowledged writes', a, `${a}-3`));

        // c1 owns the page and writes it locally; c2's write takes it (c1 hands it on); c1 dies
        // the moment c2's write is acknowledged, comes back and writes again through the CM.
        const b = `B${i}`;
        await write('c1', b, `${b}-c1`);
        const local = node('c1').writePage(b, `${b}-c1-local`);
        await write('c2', b, `${b}-c2`);
        await crashC1();
        await local.catch(() => undefined);
        await write('c1', b, `${b}-again`);
        out.push(await finish('after handing a page on', b, `${b}-again`));
      }
      return out;
    },
    { TRIALS, CLIENTS },
  );

  expect(trials).toHaveLength(2 * TRIALS);
  for (const t of trials) {
    expect(t.reads, `${t.variant}: every client reads the acknowledged value`).toEqual(
      Object.fromEntries(CLIENTS.map((id) => [id, t.expected])),
    );
    expect(t.owners, `${t.variant}: one owner`).toHaveLength(1);
  }
}

test('a client restarts while its neighbours append to their logs as fast as they can (its recovery reads their live logs)', async ({
  diskContext,
}) => {
  test.setTimeout(120_000);
  const page = diskContext.pages()[0] ?? (await diskContext.newPage());
  await page.goto('/?debug');
  await startCm(page);
  for (const id of CLIENTS) await startClient(page, id);
  const outcome = await page.evaluate(async (RESTARTS) => {
    const ivy = (window as unknown as { ivy: ClusterModel }).ivy;
    const node = (id: string) => {
      const h = ivy.cluster.get(id);
      if (!h) throw new Error(`${id} is not running`);
      return h;
    };
    const w = await node('c1').writePage('R', 'kept');
    if (!w.ok) throw new Error(w.error);
    // c2 and c3 write their own pages back to back: every write is a commit, an append to their logs.
    let streaming = true;
    const stream = async (id: string): Promise<number> => {
      let n = 0;
      while (streaming) if ((await node(id).writePage(`S${id}`, `${n++}`)).ok === false) break;
      return n;
    };
    const streams = [stream('c2'), stream('c3')];
    const restarts: string[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      ivy.cluster.kill('c1');
      restarts.push(await ivy.restart('c1'));
    }
    const read = await node('c1').readPage('R');
    streaming = false;
    return { restarts, read, written: await Promise.all(streams) };
  }, 10);
  expect(outcome.restarts).toEqual(Array(10).fill('started client c1 again (1 owned page(s) persisted)'));
  expect(outcome.read).toMatchObject({ ok: true, value: 'kept' });
  expect(Math.min(...outcome.written)).toBeGreaterThan(10);
});
