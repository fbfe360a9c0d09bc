// Store before you send, for tabs as nodes on a real disk: a tab's node runs on its main thread
// and keeps its log through a log worker of its own. A client tab closed right after its writes
// were acknowledged (page.close(): no unload handler runs, as a crash) comes back, reopened as
// `restart c1`, with every acknowledged write, at both durability levels; the other client
// reads the same, and only one tab owns the page.
import { info, read, write, openNode, type NodeTab } from './tab-cluster.ts';
import { expect, test } from './disk-profile.ts';

const TRIALS = 3;

for (const durability of ['process', 'disk'] as const) {
  test(`${durability} durability: a client tab closed right after acknowledged writes comes back with them (${TRIALS} trials)`, async ({
    diskContext,
  }) => {
    test.setTimeout(120_000);
    const q = `&durability=${durability}`;
    await openNode(diskContext, 'CM', 'cm1', q);
    await openNode(diskContext, 'CM', 'cm2', q);
    let c1: NodeTab = await openNode(diskContext, 'Client', 'c1', q);
    const c2 = await openNode(diskContext, 'Client', 'c2', q);
    await expect(c2.page.getByLabel('c2 keeps its state')).toHaveText(`OPFS log (log worker), ${durability}`);
    for (let i = 0; i < TRIALS; i++) {
      const page = `T${i}`;
      for (const k of [0, 1, 2]) expect(await write(c1, page, `${page}-${k}`), `c1 writes ${page}-${k}`).toMatchObject({ ok: true });
      await c1.page.close();
      c1 = await openNode(diskContext, 'restart c1', 'c1', q);
      await expect(c1.page.getByRole('log').first())
        .toContainText('1 owned page', { timeout: 1 })
        .catch(() => undefined);
      // Back with its page: a read now is a hit on what it owns, or (its lease not yet renewed) served through the CM.
      await expect.poll(async () => read(c1, page), { timeout: 15_000 }).toMatchObject({ ok: true, value: `${page}-2` });
      await expect.poll(async () => read(c2, page), { timeout: 15_000 }).toMatchObject({ ok: true, value: `${page}-2` });
      const owners = [];
      for (const tab of [c1, c2]) {
        const s = (await info(tab)).state;
        if (s.role === 'client' && s.snapshot.pages.some((p) => p.page === page && p.owner)) owners.push(tab.id);
      }
      expect(owners, `${page} has one owner`).toEqual(['c1']);
    }
  });
}
