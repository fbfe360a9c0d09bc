// The PeerJS transport in a real browser: two cluster peers in one page, linked through the
// PeerServer that vite preview mounts, over loopback WebRTC (no STUN, no internet).
import { expect, test } from '@playwright/test';
import { openHarness, run } from './harness.ts';

test.beforeEach(async ({ page }) => {
  await openHarness(page);
});

test('the transport contract holds over PeerJS', async ({ page }) => {
  const results = await run(page, 'contract');
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results).toHaveLength(5);
});

test('2000 frames each way at once arrive complete and in order', async ({ page }) => {
  expect(await run(page, 'ordering', 2000)).toEqual({ inOrderAtA: true, inOrderAtB: true, count: 2000 });
});

test('a 200 KB frame crosses both ways intact, in its place between small frames', async ({ page }) => {
  expect(await run(page, 'bigFrame', 200_000)).toEqual({ intact: true, order: [1, 2, 3] });
});

test('garbage on the wire is reported as bad frames and the link keeps working', async ({ page }) => {
  const r = await run(page, 'garbledWire');
  expect(r.delivered).toEqual([9]);
  expect(r.open).toBe(true);
  expect(r.badFrames).toEqual([
    'not a text message',
    'unknown message kind "X"',
    'not JSON',
    'part 5/2 out of sequence',
    'bad part count 1',
    'split message abandoned after 1 of 3 parts',
    'not JSON',
    'unknown message kind "H"',
    'not JSON',
  ]);
});

test('a peer with the wrong cluster key is refused, and one that skips the handshake too', async ({ page }) => {
  const wrong = await run(page, 'wrongKey');
  expect(wrong.connectError).toMatch(/^LinkRefusedError: .*(wrong cluster key|closed during the handshake)/);
  expect(wrong.accepted).toBe(0);
  const bare = await run(page, 'noHandshake');
  expect(bare).toEqual({ accepted: 0, closed: true, refusalLogged: true });
});

test("the handshake signs the DTLS certificates both ends see: each end's own is the one the other was told of", async ({ page }) => {
  const { a, b } = await run(page, 'fingerprints');
  expect(a?.local).toMatch(/^sha-256 [0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
  expect(b?.local).toMatch(/^sha-256 [0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
  expect(a?.local).not.toBe(b?.local);
  expect(a?.remote).toBe(b?.local);
  expect(b?.remote).toBe(a?.local);
});

test('a taken peer id is refused; an absent peer fails fast', async ({ page }) => {
  const dup = await run(page, 'duplicateId');
  expect(dup.errorName).toBe('PeerIdTakenError');
  expect(dup.message).toContain('already taken');
  const absent = await run(page, 'unknownPeer');
  expect(absent.errorName).toBe('LinkRefusedError');
  expect(absent.ms).toBeLessThan(4_000);
});

test('Comlink calls cross a PeerJS link, with deadlines and a refused path', async ({ page }) => {
  expect(await run(page, 'comlink')).toEqual({ sum: 5, thrown: 'refused on purpose', refusedPath: true });
});

test('PeerJS round-trip time, measured', async ({ page }) => {
  const stats = await run(page, 'rtt', 1000);
  console.log(
    `PeerJS round trip over loopback WebRTC, ${stats.rounds} ping-pongs: median ${stats.medianMs.toFixed(3)} ms, p90 ${stats.p90Ms.toFixed(3)} ms, mean ${stats.meanMs.toFixed(3)} ms`,
  );
  expect(stats.medianMs).toBeLessThan(50);
});
