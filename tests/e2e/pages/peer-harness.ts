// Two cluster peers in one page, linked through our own PeerServer over loopback WebRTC, for the
// end-to-end tests of the PeerJS transport. Each function returns plain data the spec asserts on.
import { Peer } from 'peerjs';
import { decodeComlinkWire, type ComlinkWire, exposeOver, RemoteControl } from '../../../src/net/comlink-endpoint.ts';
import { fetchIvyConfig, peerServerAddress, type IvyConfig } from '../../../src/net/ivy-config.ts';
import { ClusterPeer, type ClusterPeerOptions } from '../../../src/net/peer-connect.ts';
import type { PeerJsTransport } from '../../../src/net/peerjs.ts';
import type { Decode, Transport, TransportEvent } from '../../../src/net/transport.ts';
import {
  decodeTestFrame,
  frames,
  record,
  TRANSPORT_CONTRACT,
  type Check,
  type ContractLink,
  type TestFrame,
} from '../../support/transport-cases.ts';
import type { CaseResult, HarnessApi, RttStats } from './harness-api.ts';

declare global {
  interface Window {
    harness?: HarnessApi;
    harnessError?: string;
  }
}

const logs: string[] = [];
const log = (line: string): void => void logs.push(line);
const tag = Math.random().toString(36).slice(2, 10);
let serial = 0;

function options(config: IvyConfig, name: string, clusterKey = config.clusterKey ?? 'the harness needs a served key'): ClusterPeerOptions {
  return {
    id: `${config.peerIdPrefix}-h${tag}-${name}-${++serial}`,
    server: peerServerAddress(config, location),
    iceServers: config.iceServers,
    clusterKey,
    log,
  };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const check: Check = {
  equal(actual, expected, what) {
    if (!deepEqual(actual, expected))
      throw new Error(`${what}: got ${JSON.stringify(actual)?.slice(0, 300)}, want ${JSON.stringify(expected)?.slice(0, 300)}`);
  },
  ok(condition, what) {
    if (!condition) throw new Error(`${what}: not so`);
  },
  async waitFor(assertion) {
    const until = performance.now() + 10_000;
    for (;;) {
      try {
        assertion();
        return;
      } catch (e) {
        if (performance.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  },
};

/** Incoming links on one channel, handed out in arrival order. */
class Inbox<F> {
  private readonly links: PeerJsTransport<F>[] = [];
  private readonly waiting: ((l: PeerJsTransport<F>) => void)[] = [];
  count = 0;

  constructor(peer: ClusterPeer, channel: string, decode: Decode<F>) {
    peer.accept(channel, decode, (l) => {
      this.count += 1;
      const w = this.waiting.shift();
      if (w) w(l);
      else this.links.push(l);
    });
  }

  next(): Promise<PeerJsTransport<F>> {
    const l = this.links.shift();
    return l ? Promise.resolve(l) : new Promise((r) => this.waiting.push(r));
  }
}

async function main(): Promise<HarnessApi> {
  const config = await fetchIvyConfig();
  const [a, b] = await Promise.all([ClusterPeer.open(options(config, 'a')), ClusterPeer.open(options(config, 'b'))]);
  const inbox = new Inbox<TestFrame>(b, 'contract', decodeTestFrame);
  const controlInbox = new Inbox<ComlinkWire>(b, 'control', decodeComlinkWire);

  async function link(): Promise<{ at: PeerJsTransport<TestFrame>; bt: PeerJsTransport<TestFrame> }> {
    const [at, bt] = await Promise.all([a.connect(b.id, 'contract', decodeTestFrame), inbox.next()]);
    return { at, bt };
  }

  const closeBoth = (...ts: Transport<unknown>[]): void => ts.forEach((t) => t.close());

  return {
    async contract() {
      const results: CaseResult[] = [];
      for (const c of TRANSPORT_CONTRACT) {
        const { at, bt } = await link();
        const contractLink: ContractLink = {
          a: at,
          b: bt,
          sendRawFromA: (raw) => void at.connection.send('F' + JSON.stringify(raw)),
          dispose: () => closeBoth(at, bt),
        };
        try {
          await c.run(contractLink, check);
          results.push({ name: c.name, ok: true });
        } catch (e) {
          results.push({ name: c.name, ok: false, error: (e as Error).message });
        }
        contractLink.dispose();
      }
      return results;
    },

    async ordering(n) {
      const { at, bt } = await link();
      const atA = record(at);
      const atB = record(bt);
      for (let i = 0; i < n; i++) {
        at.send({ n: i, text: `a${i}` });
        bt.send({ n: i, text: `b${i}` });
      }
      await check.waitFor(() => check.ok(frames(atA).length === n && frames(atB).length === n, 'all frames'));
      const inOrder = (fs: TestFrame[], p: string): boolean => fs.every((f, i) => f.n === i && f.text === `${p}${i}`);
      closeBoth(at, bt);
      return { inOrderAtA: inOrder(frames(atA), 'b'), inOrderAtB: inOrder(frames(atB), 'a'), count: n };
    },

    async bigFrame(chars) {
      const { at, bt } = await link();
      const atA = record(at);
      const atB = record(bt);
      // Astral characters (surrogate pairs) and markup, so every chunk boundary gets tested.
      const unit = 'page P1 ✓ 𝄞 <b>&amp;</b> ';
      const big = unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
      const sent = [
        { n: 1, text: 'before' },
        { n: 2, text: big },
        { n: 3, text: 'after' },
      ];
      for (const f of sent) {
        at.send(f);
        bt.send(f);
      }
      await check.waitFor(() => check.ok(frames(atA).length === 3 && frames(atB).length === 3, 'three frames each way'));
      const intact = deepEqual(frames(atA), sent) && deepEqual(frames(atB), sent);
      closeBoth(at, bt);
      return { intact, order: frames(atB).map((f) => f.n) };
    },

    async garbledWire() {
      const { at, bt } = await link();
      const events: TransportEvent<TestFrame>[] = record(bt);
      const wire = at.connection;
      const garbage: unknown[] = [
        new Uint8Array([1, 2, 3]).buffer,
        'Xjunk',
        'F{not json',
        'C5/2:x',
        'C0/1:x',
        'C0/3:{"ivy":1,',
        'F{"ivy":1,"kind":"close"',
        'H{"step":"hello","nonce":"00000000000000000000000000000000"}',
        'F' + 'x'.repeat(10),
      ];
      for (const g of garbage) void wire.send(g);
      at.send({ n: 9, text: 'after the garbage' });
      await check.waitFor(() => check.equal(frames(events), [{ n: 9, text: 'after the garbage' }], 'frames at b'));
      const badFrames = events.flatMap((e) => (e.type === 'bad-frame' ? [e.error] : []));
      const open = !bt.closed;
      closeBoth(at, bt);
      return { badFrames, delivered: frames(events).map((f) => f.n), open };
    },

    async wrongKey() {
      const before = inbox.count;
      const intruder = await ClusterPeer.open(options(config, 'intruder', 'not-the-cluster-key'));
      let connectError = 'none';
      try {
        const l = await intruder.connect(b.id, 'contract', decodeTestFrame, 5_000);
        l.close();
      } catch (e) {
        connectError = `${(e as Error).name}: ${(e as Error).message}`;
      }
      await check.waitFor(() =>
        check.ok(
          logs.some((l) => l.includes(`${intruder.id}`) && l.includes('wrong cluster key') && l.startsWith('link to')),
          'refusal logged',
        ),
      );
      intruder.destroy();
      return { connectError, refusalLogged: true, accepted: inbox.count - before };
    },

    async noHandshake() {
      const before = inbox.count;
      const bare = new Peer(options(config, 'bare').id, {
        ...peerServerAddress(config, location),
        debug: 0,
        config: { iceServers: config.iceServers },
      });
      await new Promise<void>((resolve, reject) => {
        bare.once('open', () => resolve());
        bare.once('error', reject);
      });
      const conn = bare.connect(b.id, { reliable: true, serialization: 'raw', metadata: { channel: 'contract' } });
      await new Promise<void>((resolve) => conn.once('open', () => resolve()));
      void conn.send('F' + JSON.stringify({ ivy: 1, kind: 'frame', body: { n: 1, text: 'forged' } }));
      const closed = await new Promise<boolean>((resolve) => {
        conn.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 5_000);
      });
      const refusalLogged = logs.some((l) => l.includes(bare.id) && l.includes('malformed handshake message'));
      bare.destroy();
      return { accepted: inbox.count - before, closed, refusalLogged };
    },

    async fingerprints() {
      const { at, bt } = await link();
      const result = { a: at.fingerprints, b: bt.fingerprints };
      closeBoth(at, bt);
      return result;
    },

    async duplicateId() {
      try {
        const twin = await ClusterPeer.open({ ...options(config, 'twin'), id: a.id });
        twin.destroy();
        return { errorName: 'none', message: 'the PeerServer let a second peer take the id' };
      } catch (e) {
        return { errorName: (e as Error).name, message: (e as Error).message };
      }
    },

    async unknownPeer() {
      const started = performance.now();
      try {
        (await a.connect(`${config.peerIdPrefix}-nobody-${tag}`, 'contract', decodeTestFrame, 2_000)).close();
        return { errorName: 'none', ms: performance.now() - started };
      } catch (e) {
        return { errorName: (e as Error).name, ms: performance.now() - started };
      }
    },

    async comlink() {
      const [at, bt] = await Promise.all([a.connect(b.id, 'control', decodeComlinkWire), controlInbox.next()]);
      exposeOver(
        {
          add: (x: number, y: number) => x + y,
          fail: () => {
            throw new Error('refused on purpose');
          },
        },
        bt,
      );
      const control = new RemoteControl<{ add(x: number, y: number): number; fail(): void }>(at, b.id);
      const sum = await control.call((r) => r.add(2, 3), 2_000, 'add');
      const thrown = await control
        .call((r) => r.fail(), 2_000, 'fail')
        .then(
          () => 'nothing',
          (e: Error) => e.message,
        );
      // A path through `constructor` is dropped as a bad frame, so the call can only time out.
      const refusedPath = await control
        .call((r) => (r as unknown as { constructor: { name: Promise<string> } }).constructor.name, 500, 'constructor')
        .then(
          () => false,
          (e: Error) => e.message.includes('no answer'),
        );
      control.dispose();
      closeBoth(at, bt);
      return { sum, thrown, refusedPath };
    },

    async rtt(rounds) {
      const { at, bt } = await link();
      echoBack(bt);
      const stats = await pingPong(at, rounds);
      closeBoth(at, bt);
      return stats;
    },

    async echo() {
      void (async () => {
        for (;;) echoBack(await inbox.next());
      })();
      return b.id;
    },

    async rttTo(remoteId, rounds) {
      const at = await a.connect(remoteId, 'contract', decodeTestFrame);
      const stats = await pingPong(at, rounds);
      at.close();
      return stats;
    },
  };
}

/** Sends every frame that arrives back where it came from. */
function echoBack(link: PeerJsTransport<TestFrame>): void {
  link.addListener((e) => {
    if (e.type === 'frame') link.send(e.frame);
  });
}

/** `rounds` frames, each sent once the echo of the one before is back. */
async function pingPong(link: PeerJsTransport<TestFrame>, rounds: number): Promise<RttStats> {
  const times: number[] = [];
  let resolveEcho: (() => void) | null = null;
  link.addListener((e) => {
    if (e.type === 'frame') resolveEcho?.();
  });
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await new Promise<void>((r) => {
      resolveEcho = r;
      link.send({ n: i, text: 'ping' });
    });
    times.push(performance.now() - started);
  }
  const sorted = [...times].sort((x, y) => x - y);
  return {
    rounds,
    medianMs: sorted[Math.floor(rounds / 2)] ?? NaN,
    p90Ms: sorted[Math.floor(rounds * 0.9)] ?? NaN,
    meanMs: times.reduce((s, t) => s + t, 0) / rounds,
  };
}

const status = document.getElementById('status');
main().then(
  (api) => {
    window.harness = api;
    if (status) status.textContent = 'ready';
  },
  (e: Error) => {
    window.harnessError = `${e.name}: ${e.message}`;
    if (status) status.textContent = `failed: ${e.message}`;
  },
);
