// A node's files removed from under it while it runs: Clear site data goes through the log's
// held files (another tab's removeEntry is refused while a worker holds them), and the worker's
// appends then succeed where no recovery reads. The node must say so and write its whole state
// again at once, so that a write acknowledged around the removal survives a crash after it.
import type { ClusterModel } from '../../src/ui/cluster-model.ts';
import { command, startClient, startCm } from './dashboard.ts';
import { expect, test } from './disk-profile.ts';

test("a client whose log is cleared by the site's data being cleared says so, stores itself again, and a crash after loses nothing", async ({
  diskContext,
  baseURL,
}) => {
  const page = diskContext.pages()[0] ?? (await diskContext.newPage());
  await page.goto('/?debug');
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  await command(c1, 'writePage P1 before', 'P1 written: before (via the CM)');
  await command(c1, 'writePage P2 kept', 'P2 written: kept (via the CM)');

  const cdp = await diskContext.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(baseURL!).origin, storageTypes: 'file_systems' });
  // Acknowledged right after the removal, before the node can have noticed it.
  const written = await page.evaluate(() => (window as unknown as { ivy: ClusterModel }).ivy.cluster.get('c1')!.writePage('P1', 'after'));
  expect(written).toMatchObject({ ok: true });

  const log = c1.getByRole('log');
  await expect(log).toContainText(/log \S+, which held the state of c1, was removed from under them \(Clear site data/);
  await expect(log).toContainText(/the state of c1 is stored again, whole, in log \S+/);

  const said = await page.evaluate(async () => {
    const ivy = (window as unknown as { ivy: ClusterModel }).ivy;
    ivy.cluster.kill('c1');
    return ivy.restart('c1');
  });
  expect(said).toContain('2 owned page(s)');
  const again = page.getByRole('region', { name: 'client c1' });
  await command(again, 'readPage P1', /P1: after/);
  await command(again, 'readPage P2', /P2: kept/);
});
