// Trust is a property of a link, decided where the link is made: frames on a channel the page
// made between its own workers are taken as they come, frames on any other link are validated.
import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../../src/host/node-host.ts';
import { decoderFor } from '../../src/net/message-codec.ts';
import { frameWire } from '../../src/net/envelope.ts';
import { PAGE_SIZE_BYTES_DEFAULT } from '../../src/protocol/limits.ts';
import { withDeadline } from '../../src/util/deadline.ts';
import { createWorkerApi } from '../../src/workers/worker-api.ts';

const request = { type: 'READ_REQUEST', from: 'c1', to: 'cm1', epoch: 1, page: 'P1', req: 'c1:1' };
const garbled = { ...request, req: 'c1:one' };

describe('link origin', () => {
  it("validates frames from outside and takes its own nodes' frames as they are", () => {
    const outside = decoderFor('outside', PAGE_SIZE_BYTES_DEFAULT);
    expect(outside(request)).toMatchObject({ ok: true });
    expect(outside(garbled)).toMatchObject({ ok: false });
    const own = decoderFor('own', PAGE_SIZE_BYTES_DEFAULT);
    const d = own(request);
    expect(d.ok && d.frame).toBe(request);
  });

  it('is chosen by whoever connects a worker, and only from the two origins', async () => {
    const api = createWorkerApi();
    await api.start({ role: 'cm', id: 'cm1' });
    let dropped: (text: string) => void = () => {};
    const droppedLog = new Promise<string>((resolve) => (dropped = resolve));
    api.subscribe((e: HostEvent) => {
      if (e.type === 'log' && e.text.includes('dropped a bad frame')) dropped(e.text);
    });
    const outside = new MessageChannel();
    api.connect('c1', outside.port1, 'outside');
    outside.port2.postMessage(frameWire(garbled));
    // A real MessagePort delivers in a later task of its own: wait for the log line it leads to,
    // not for a length of time (the deadline only turns a hang into a failure that says why).
    expect(await withDeadline(droppedLog, 5_000, 'the log of the dropped frame')).toMatch('dropped a bad frame from c1');
    const odd = new MessageChannel();
    expect(() => api.connect('c2', odd.port1, 'trusted' as never)).toThrow(/bad link origin/);
    await api.stop();
    for (const c of [outside, odd]) c.port2.close();
  });
});
