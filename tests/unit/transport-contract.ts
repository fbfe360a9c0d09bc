// The contract every transport must keep. A new transport proves itself by passing this suite:
// runTransportContract('name', setup) from its own test file.
import { describe, expect, it, vi } from 'vitest';
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

function record(t: Transport<TestFrame>): TransportEvent<TestFrame>[] {
  const events: TransportEvent<TestFrame>[] = [];
  t.addListener((e) => events.push(e));
  return events;
}

const frames = (events: TransportEvent<TestFrame>[]): TestFrame[] =>
  events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));

export function runTransportContract(name: string, setup: () => ContractLink): void {
  describe(`transport contract: ${name}`, () => {
    it('delivers frames in both directions, as equal copies', async () => {
      const link = setup();
      const atA = record(link.a);
      const atB = record(link.b);
      const sent = { n: 1, text: 'héllo <b>' };
      expect(link.a.send(sent)).toBe(true);
      expect(link.b.send({ n: 2, text: 'back' })).toBe(true);
      await vi.waitFor(() => expect(frames(atB)).toEqual([sent]));
      await vi.waitFor(() => expect(frames(atA)).toEqual([{ n: 2, text: 'back' }]));
      expect(frames(atB)[0]).not.toBe(sent);
      link.dispose();
    });

    it('keeps the order of frames on a link', async () => {
      const link = setup();
      const atB = record(link.b);
      const sent = Array.from({ length: 300 }, (_, n) => ({ n, text: `f${n}` }));
      for (const f of sent) link.a.send(f);
      await vi.waitFor(() => expect(frames(atB)).toHaveLength(sent.length));
      expect(frames(atB)).toEqual(sent);
      link.dispose();
    });

    it('drops and reports garbage without throwing, and keeps working', async () => {
      const link = setup();
      const atB = record(link.b);
      const garbage = ['hello', 42, null, [1, 2], { ivy: 2 }, { ivy: 1, kind: 'nope' },
        { ivy: 1, kind: 'frame', body: { n: 'x', text: 1 } }, { ivy: 1, kind: 'frame' }];
      for (const g of garbage) link.sendRawFromA(g);
      link.a.send({ n: 7, text: 'still fine' });
      await vi.waitFor(() => expect(frames(atB)).toEqual([{ n: 7, text: 'still fine' }]));
      const bad = atB.filter((e) => e.type === 'bad-frame');
      expect(bad).toHaveLength(garbage.length);
      expect(atB.findIndex((e) => e.type === 'frame')).toBe(garbage.length);
      expect(link.b.closed).toBe(false);
      link.dispose();
    });

    it('close reaches the peer after the frames sent before it, and stops both ends', async () => {
      const link = setup();
      const atB = record(link.b);
      link.a.send({ n: 1, text: 'last words' });
      link.a.close();
      expect(link.a.closed).toBe(true);
      expect(link.a.send({ n: 2, text: 'too late' })).toBe(false);
      await vi.waitFor(() => expect(atB.map((e) => e.type)).toEqual(['frame', 'close']));
      expect(link.b.closed).toBe(true);
      expect(link.b.send({ n: 3, text: 'into the void' })).toBe(false);
      link.a.close();
      link.b.close();
      expect(atB.filter((e) => e.type === 'close')).toHaveLength(1);
      link.dispose();
    });

    it('stops notifying a removed listener', async () => {
      const link = setup();
      const kept = record(link.b);
      const removed: unknown[] = [];
      const listener = (e: unknown): void => void removed.push(e);
      link.b.addListener(listener);
      link.b.removeListener(listener);
      link.a.send({ n: 1, text: 'x' });
      await vi.waitFor(() => expect(frames(kept)).toHaveLength(1));
      expect(removed).toEqual([]);
      link.dispose();
    });
  });
}
