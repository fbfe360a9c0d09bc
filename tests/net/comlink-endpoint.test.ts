// Comlink over a transport (the adapter the overview page uses to drive nodes in other tabs),
// exercised over the in-memory transport; the PeerJS run is in tests/e2e/peerjs-transport.spec.ts.
import { describe, expect, it } from 'vitest';
import { decodeComlinkWire, exposeOver, RemoteControl, transportEndpoint, type ComlinkWire } from '../../src/net/comlink-endpoint.ts';
import { MemoryTransport } from '../../src/net/memory.ts';
import type { TransportEvent } from '../../src/net/transport.ts';
import { settle } from '../support/manual-env.ts';

interface Api {
  add(x: number, y: number): number;
  slow(): Promise<string>;
  fail(): void;
  state: { epoch: number };
}

function setUp(): { control: RemoteControl<Api>; server: MemoryTransport<ComlinkWire>; client: MemoryTransport<ComlinkWire>; api: Api } {
  const [client, server] = MemoryTransport.pair(decodeComlinkWire);
  const api: Api = {
    add: (x, y) => x + y,
    slow: () => new Promise(() => {}),
    fail: () => {
      throw new TypeError('no such page');
    },
    state: { epoch: 3 },
  };
  exposeOver(api, server);
  return { control: new RemoteControl<Api>(client, 'c1'), server, client, api };
}

describe('Comlink over a transport', () => {
  it('calls methods and reads properties, and carries thrown errors back', async () => {
    const { control } = setUp();
    expect(await control.call((r) => r.add(2, 40), 1000, 'add')).toBe(42);
    expect(await control.call(async (r) => (await r.state).epoch, 1000, 'epoch')).toBe(3);
    await expect(control.call((r) => r.fail(), 1000, 'fail')).rejects.toThrow('no such page');
  });

  it('fails a call that gets no answer in time, and every pending call when the link closes', async () => {
    const { control, server } = setUp();
    await expect(control.call((r) => r.slow(), 50, 'slow')).rejects.toThrow('c1: slow: no answer within 50 ms');
    const pending = control.call((r) => r.slow(), 10_000, 'slow');
    server.close();
    await expect(pending).rejects.toThrow('c1: the link closed');
    await expect(control.call((r) => r.add(1, 1), 1000, 'add')).rejects.toThrow('the link is closed');
  });

  it('drops writes, constructors, endpoints, proxies and prototype paths as bad frames', async () => {
    const { server, client, api } = setUp();
    const bad: string[] = [];
    server.addListener((e: TransportEvent<ComlinkWire>) => {
      if (e.type === 'bad-frame') bad.push(e.error);
    });
    const attempts: unknown[] = [
      { id: 'a-1', type: 'SET', path: ['state', 'epoch'], value: { type: 'RAW', value: 99 } },
      { id: 'a-2', type: 'CONSTRUCT', path: ['add'], argumentList: [] },
      { id: 'a-3', type: 'ENDPOINT' },
      { id: 'a-4', type: 'APPLY', path: ['add'], argumentList: [{ type: 'HANDLER', name: 'proxy', value: {} }] },
      { id: 'a-5', type: 'GET', path: ['__proto__'] },
      { id: 'a-6', type: 'APPLY', path: ['constructor', 'constructor'], argumentList: [{ type: 'RAW', value: 'return 1' }] },
      { id: 'a-7', type: 'GET', path: 'state' },
      { id: 42, type: 'GET', path: ['state'] },
      { id: 'a-9', type: 'RAW', value: 1, extra: 'answers need nothing more' },
    ];
    for (const a of attempts) client.postRaw({ ivy: 1, kind: 'frame', body: a });
    await settle();
    expect(bad).toEqual([
      'Comlink message type SET refused',
      'Comlink message type CONSTRUCT refused',
      'Comlink message type ENDPOINT refused',
      'wire value proxy refused',
      'path segment "__proto__" refused',
      'path segment "constructor" refused',
      'bad path',
      'bad message id',
    ]);
    expect(api.state.epoch).toBe(3);
  });

  it('refuses to transfer anything: Comlink.proxy cannot cross a peer link', () => {
    const [a] = MemoryTransport.pair(decodeComlinkWire);
    const { port1 } = new MessageChannel();
    expect(() => transportEndpoint(a).postMessage({ type: 'GET', path: [] }, [port1])).toThrow('nothing can be transferred');
    port1.close();
  });
});
