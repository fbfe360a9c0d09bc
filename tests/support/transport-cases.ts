// The transport contract as plain async checks, free of any test runner, so the same cases run
// under vitest (in-memory, MessagePort) and inside a browser page (PeerJS over WebRTC).
import type { Decode, Transport, TransportEvent } from '../../src/net/transport.ts';

export interface TestFrame {
  n: number;
  text: string;
}

export const decodeTestFrame: Decode<TestFrame> = (raw) => {
  const o = raw as Partial<TestFrame> | null;
  if (typeof o === 'object' && o !== null && Number.isInteger(o.n) && typeof o.text === 'string') {
    return { ok: true, frame: { n: o.n as number, text: o.text } };
  }
  return { ok: false, error: 'not a test frame' };
};

export interface ContractLink {
  a: Transport<TestFrame>;
  b: Transport<TestFrame>;
  /** Puts an arbitrary value on the wire from a's side, bypassing a's envelope. */
  sendRawFromA(raw: unknown): void;
  dispose(): void;
}

/** The assertions a case needs; each runner maps them onto its own. */
export interface Check {
  equal(actual: unknown, expected: unknown, what: string): void;
  ok(condition: boolean, what: string): void;
  /** Retries `assertion` until it stops throwing, or fails after the runner's patience. */
  waitFor(assertion: () => void): Promise<void>;
}

export interface ContractCase {
  name: string;
  run(link: ContractLink, check: Check): Promise<void>;
}

export function record(t: Transport<TestFrame>): TransportEvent<TestFrame>[] {
  const events: TransportEvent<TestFrame>[] = [];
  t.addListener((e) => events.push(e));
  return events;
}

export const frames = (events: TransportEvent<TestFrame>[]): TestFrame[] => events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));

export const TRANSPORT_CONTRACT: readonly ContractCase[] = [
  {
    name: 'delivers frames in both directions, as equal copies',
    async run(link, check) {
      const atA = record(link.a);
      const atB = record(link.b);
      const sent = { n: 1, text: 'héllo <b>' };
      check.equal(link.a.send(sent), true, 'send a→b');
      check.equal(link.b.send({ n: 2, text: 'back' }), true, 'send b→a');
      await check.waitFor(() => check.equal(frames(atB), [sent], 'frames at b'));
      await check.waitFor(() => check.equal(frames(atA), [{ n: 2, text: 'back' }], 'frames at a'));
      check.ok(frames(atB)[0] !== sent, 'b got a copy, not the object sent');
    },
  },
  {
    name: 'keeps the order of frames on a link',
    async run(link, check) {
      const atB = record(link.b);
      const sent = Array.from({ length: 300 }, (_, n) => ({ n, text: `f${n}` }));
      for (const f of sent) link.a.send(f);
      await check.waitFor(() => check.equal(frames(atB).length, sent.length, 'frames at b'));
      check.equal(frames(atB), sent, 'frames at b, in order');
    },
  },
  {
    name: 'drops and reports garbage without throwing, and keeps working',
    async run(link, check) {
      const atB = record(link.b);
      const garbage = [
        'hello',
        42,
        null,
        [1, 2],
        { ivy: 2 },
        { ivy: 1, kind: 'nope' },
        { ivy: 1, kind: 'frame', body: { n: 'x', text: 1 } },
        { ivy: 1, kind: 'frame' },
      ];
      for (const g of garbage) link.sendRawFromA(g);
      link.a.send({ n: 7, text: 'still fine' });
      await check.waitFor(() => check.equal(frames(atB), [{ n: 7, text: 'still fine' }], 'frames at b'));
      check.equal(atB.filter((e) => e.type === 'bad-frame').length, garbage.length, 'bad frames reported');
      check.equal(
        atB.findIndex((e) => e.type === 'frame'),
        garbage.length,
        'the good frame comes after the garbage',
      );
      check.equal(link.b.closed, false, 'b still open');
    },
  },
  {
    name: 'close reaches the peer after the frames sent before it, and stops both ends',
    async run(link, check) {
      const atB = record(link.b);
      link.a.send({ n: 1, text: 'last words' });
      link.a.close();
      check.equal(link.a.closed, true, 'a closed');
      check.equal(link.a.send({ n: 2, text: 'too late' }), false, 'send after close');
      await check.waitFor(() =>
        check.equal(
          atB.map((e) => e.type),
          ['frame', 'close'],
          'events at b',
        ),
      );
      check.equal(link.b.closed, true, 'b closed');
      check.equal(link.b.send({ n: 3, text: 'into the void' }), false, 'send from a closed b');
      link.a.close();
      link.b.close();
      check.equal(atB.filter((e) => e.type === 'close').length, 1, 'one close event');
    },
  },
  {
    name: 'stops notifying a removed listener',
    async run(link, check) {
      const kept = record(link.b);
      const removed: unknown[] = [];
      const listener = (e: unknown): void => void removed.push(e);
      link.b.addListener(listener);
      link.b.removeListener(listener);
      link.a.send({ n: 1, text: 'x' });
      await check.waitFor(() => check.equal(frames(kept).length, 1, 'frames at b'));
      check.equal(removed, [], 'events at the removed listener');
    },
  },
];
