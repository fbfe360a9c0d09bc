// The dashboard's protocol views as pure modules: trace buffer, send/receipt matching,
// operation records and histories, invariants, layouts, replay parsing, step-queue choices.
import { describe, expect, it } from 'vitest';
import type { NodeState } from '../../src/host/make-node.ts';
import type { HeldFrame, OpTrace, TracedMessage } from '../../src/host/trace.ts';
import { matchArrows } from '../../src/ui/session/arrows.ts';
import { FailureLog } from '../../src/ui/session/failures.ts';
import { checkInvariants, StableVerdicts } from '../../src/ui/session/invariants.ts';
import { linVerdict } from '../../src/ui/session/linearizability.ts';
import { opsAt, opsFromHistory, recordOps, toHistory } from '../../src/ui/session/ops.ts';
import { detectKind, loadRun, parseRecording, parseTranscript, toRecording } from '../../src/ui/session/recording.ts';
import { Ring } from '../../src/ui/session/ring.ts';
import { ellipsize } from '../../src/console/text.ts';
import { readableReq, reqMatches } from '../../src/ui/session/text.ts';
import { pagesOf } from '../../src/ui/session/views.ts';
import {
  causalTimes,
  LABEL_CHAR_PX,
  laneOrder,
  layoutSequence,
  NO_FILTER,
  SEQUENCE_DEFAULTS,
} from '../../src/ui/session/sequence-layout.ts';
import { deliverable, nextFrame } from '../../src/ui/session/stepper.ts';
import { layoutTimeline, opLabel, TIMELINE_CHAR } from '../../src/ui/session/timeline-layout.ts';
import { allCharts, type ResultLike } from '../../src/ui/experiments/chart-data.ts';

function msg(
  fate: TracedMessage['fate'],
  at: number,
  from: string,
  to: string,
  type: TracedMessage['type'],
  code: string,
  extra: Partial<TracedMessage> = {},
): TracedMessage {
  return { at, fate, from, to, type, code, page: 'P1', req: 'c1:1', epoch: 1, ...extra };
}

/** A read fault by c1 of a page c2 owns: RQ, RF, RD, RC, each sent then received. */
function readFault(t0: number): TracedMessage[] {
  const hops: [string, string, TracedMessage['type'], string][] = [
    ['c1', 'cm1', 'READ_REQUEST', 'RQ'],
    ['cm1', 'c2', 'READ_FORWARD', 'RF'],
    ['c2', 'c1', 'PAGE', 'RD'],
    ['c1', 'cm1', 'READ_CONFIRMATION', 'RC'],
  ];
  return hops.flatMap(([from, to, type, code], i) => [
    msg('sent', t0 + i, from, to, type, code),
    msg('received', t0 + i + 0.5, from, to, type, code, { arrivedAt: t0 + i + 0.2 }),
  ]);
}

const invoke = (node: string, opId: number, at: number, kind: 'read' | 'write', value: string | null = null): OpTrace => ({
  phase: 'invoke',
  opId,
  node,
  kind,
  page: 'P1',
  value,
  at,
});
const done = (node: string, opId: number, at: number, kind: 'read' | 'write', value: string | null, ok = true): OpTrace => ({
  phase: 'done',
  opId,
  node,
  kind,
  page: 'P1',
  at,
  result: ok ? { ok: true, value, local: false } : { ok: false, error: 'no central manager reachable', certain: true },
});

describe('Ring', () => {
  it('keeps the newest items and counts what it let go', () => {
    const r = new Ring<number>(3);
    r.push(1, 2);
    r.push(3, 4, 5);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.dropped).toBe(2);
    for (let i = 6; i <= 100; i++) r.push(i);
    expect([r.toArray(), r.size, r.dropped]).toEqual([[98, 99, 100], 3, 97]);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

describe('matchArrows', () => {
  it('pairs every send with its receipt, in send order', () => {
    const arrows = matchArrows(readFault(100));
    expect(arrows.map((a) => `${a.code} ${a.from}->${a.to} ${a.fate}`)).toEqual([
      'RQ c1->cm1 delivered',
      'RF cm1->c2 delivered',
      'RD c2->c1 delivered',
      'RC c1->cm1 delivered',
    ]);
    expect(arrows[0]).toMatchObject({ sentAt: 100, endAt: 100.5 });
  });

  it('matches a receipt whose clock reads a little earlier than its send', () => {
    const arrows = matchArrows([
      msg('received', 99.5, 'c1', 'cm1', 'READ_REQUEST', 'RQ', { arrivedAt: 99.4 }),
      msg('sent', 100, 'c1', 'cm1', 'READ_REQUEST', 'RQ'),
    ]);
    expect(arrows).toHaveLength(1);
    expect(arrows[0]).toMatchObject({ fate: 'delivered', sentAt: 100, endAt: 99.5 });
  });

  it('pairs the k-th send of an identity on a link with its k-th receipt, whatever the clocks say', () => {
    // The recording: WQ stamped sent at 3463.0 by c1 and received at 3459.2 by cm1.
    const wq = (fate: TracedMessage['fate'], at: number, arrivedAt?: number) =>
      msg(fate, at, 'c1', 'cm1', 'WRITE_REQUEST', 'WQ', arrivedAt === undefined ? {} : { arrivedAt });
    const arrows = matchArrows([wq('sent', 3463.0), wq('received', 3459.2, 3459.2), wq('sent', 3563.0), wq('received', 3560.1, 3560.0)]);
    expect(arrows.map((a) => [a.sentAt, a.endAt, a.fate])).toEqual([
      [3463.0, 3459.2, 'delivered'],
      [3563.0, 3560.1, 'delivered'],
    ]);
    // Never drawn before its send.
    const { sent, end } = causalTimes(arrows);
    arrows.forEach((_, i) => expect(end[i] ?? -Infinity).toBeGreaterThan(sent[i] ?? Infinity));
    const laid = layoutSequence(arrows, [], { ...SEQUENCE_DEFAULTS, filter: NO_FILTER, highlightReq: null, cursor: Infinity });
    for (const a of laid.arrows) expect(a.y2).toBeGreaterThan(a.y1);
  });

  it('pairs a receipt recorded before its send, and starts a receipt whose send was trimmed where it arrived', () => {
    const pulse = (fate: TracedMessage['fate'], at: number, arrivedAt?: number) =>
      msg(fate, at, 'cm1', 'c1', 'PULSE', 'PU', { page: null, req: null, ...(arrivedAt === undefined ? {} : { arrivedAt }) });
    const arrows = matchArrows([
      pulse('received', 10, 10), // its send fell out of the buffer
      pulse('received', 99, 99),
      pulse('sent', 100), // recorded in the other order
      pulse('sent', 200),
      pulse('received', 201, 201),
      // The receiver's events reach the page well ahead of the sender's.
      pulse('received', 300.5, 300.5),
      pulse('received', 400.5, 400.5),
      pulse('sent', 300),
      pulse('sent', 400),
    ]);
    expect(arrows.map((a) => [a.sentAt, a.endAt, a.fate])).toEqual([
      [10, 10, 'delivered'],
      [100, 99, 'delivered'],
      [200, 201, 'delivered'],
      [300, 300.5, 'delivered'],
      [400, 400.5, 'delivered'],
    ]);
  });

  it('loses frames sent into a partition, caught in flight by one, or in flight to a node killed', () => {
    const pulse = (fate: TracedMessage['fate'], at: number, arrivedAt?: number) =>
      msg(fate, at, 'cm2', 'cm1', 'PULSE', 'PU', { page: null, req: null, ...(arrivedAt === undefined ? {} : { arrivedAt }) });
    const events = [
      { at: 150, kind: 'partition' as const, node: 'cm1', peer: 'cm2' },
      { at: 250, kind: 'heal' as const, node: 'cm2', peer: 'cm1' },
      { at: 450, kind: 'kill' as const, node: 'cm1' },
      { at: 600, kind: 'start' as const, node: 'cm1' },
    ];
    const arrows = matchArrows(
      [
        pulse('sent', 0),
        pulse('received', 0.4, 0.3),
        pulse('sent', 140), // caught by the partition at 150
        pulse('lost', 200),
        pulse('sent', 300),
        pulse('dropped', 900, 300.2),
        pulse('sent', 400), // in flight when cm1 is killed
        pulse('sent', 500), // cm1 is down
        pulse('sent', 700),
        pulse('received', 700.5, 700.5),
      ],
      events,
    );
    expect(arrows.map((a) => [a.sentAt, a.fate, a.lostWhy ?? ''])).toEqual([
      [0, 'delivered', ''],
      [140, 'lost', 'caught in flight by a partition'],
      [200, 'lost', 'link partitioned'],
      [300, 'dropped', ''],
      [400, 'lost', 'cm1 was killed'],
      [500, 'lost', 'cm1 is down'],
      [700, 'delivered', ''],
    ]);
    expect(arrows.find((a) => a.sentAt === 700)?.endAt).toBe(700.5);
  });

  it('counts a frame that reached a node before the session heard from it as delivered then, and keeps later pairs aligned', () => {
    const pr = (fate: TracedMessage['fate'], at: number) =>
      msg(fate, at, 'cm1', 'cm2', 'PULSE_REPLY', 'PR', { page: null, req: null, arrivedAt: at });
    // cm2's first receipt came before its events reached the page (its start at 5).
    const arrows = matchArrows(
      [pr('sent', 1), pr('sent', 100), pr('received', 100.4), pr('sent', 200), pr('received', 200.3)],
      [{ at: 5, kind: 'start', node: 'cm2' }],
    );
    expect(arrows.map((a) => [a.sentAt, a.endAt, a.fate])).toEqual([
      [1, 5, 'delivered'],
      [100, 100.4, 'delivered'],
      [200, 200.3, 'delivered'],
    ]);
  });

  it('counts a frame caught by a partition as delivered when it arrives before the link is cut at the receiver', () => {
    const rq = (fate: TracedMessage['fate'], at: number) => msg(fate, at, 'c1', 'cm1', 'READ_REQUEST', 'RQ', { arrivedAt: at });
    const arrows = matchArrows(
      [rq('sent', 10), rq('received', 10.5), rq('lost', 20)],
      [{ at: 10.2, kind: 'partition', node: 'c1', peer: 'cm1' }],
    );
    expect(arrows.map((a) => [a.sentAt, a.fate])).toEqual([
      [10, 'delivered'],
      [20, 'lost'],
    ]);
  });
});

describe('operations and histories', () => {
  const traces: OpTrace[] = [
    invoke('c1', 1, 10, 'write', 'a'),
    { phase: 'req', opId: 1, node: 'c1', req: 'c1:1', at: 11 },
    done('c1', 1, 20, 'write', 'a'),
    invoke('c2', 1, 25, 'read'),
    done('c2', 1, 30, 'read', 'a'),
    // c2 queues a second op while the first is open: it gets its own process.
    invoke('c3', 1, 40, 'read'),
    invoke('c3', 2, 41, 'write', 'b'),
    done('c3', 1, 50, 'read', 'a'),
  ];

  it('pairs invokes with completions, ties request ids, and gives overlapping ops their own process', () => {
    const ops = recordOps(traces);
    expect(ops.map((o) => [o.node, o.process, o.kind, o.outcome, o.value, o.req])).toEqual([
      ['c1', 1, 'write', 'ok', 'a', 'c1:1'],
      ['c2', 2, 'read', 'ok', 'a', null],
      ['c3', 3, 'read', 'ok', 'a', null],
      ['c3', 1003, 'write', 'open', 'b', null],
    ]);
    expect(opsAt(ops, 22).map((o) => o.outcome)).toEqual(['ok']);
    expect(opsAt(ops, 27).map((o) => o.outcome)).toEqual(['ok', 'open']);
  });

  it('writes a checker history in time order and finds it linearizable', () => {
    const h = toHistory(recordOps(traces), [{ at: 35, node: 'cm1', kind: 'kill', text: 'cm1 stopped' }]);
    expect(h.events.map((e) => `${e.process}:${e.type}`)).toEqual([
      '1:invoke',
      '1:ok',
      '2:invoke',
      '2:ok',
      'nemesis:info',
      '3:invoke',
      '1003:invoke',
      '3:ok',
    ]);
    expect(h.opIds[4]).toBeNull();
    expect(linVerdict(recordOps(traces)).status).toBe('ok');
  });

  it('names the offending operations when a read sees a value after it was overwritten', () => {
    const bad = recordOps([
      invoke('c1', 1, 0, 'write', 'a'),
      done('c1', 1, 1, 'write', 'a'),
      invoke('c1', 2, 2, 'write', 'b'),
      done('c1', 2, 3, 'write', 'b'),
      invoke('c2', 1, 4, 'read'),
      done('c2', 1, 5, 'read', 'a'),
    ]);
    const v = linVerdict(bad);
    expect(v.status).toBe('fail');
    expect(v.summary).toMatch(/NOT linearizable on P1/);
    expect(v.culprits.map((o) => o.node)).toContain('c2');
    expect(linVerdict([]).status).toBe('empty');
  });

  it('a failed write is a definite failure, and a restarted client numbers its ops anew', () => {
    const ops = recordOps([
      invoke('c1', 1, 0, 'write', 'x'),
      invoke('c1', 1, 5, 'read'),
      { phase: 'req', opId: 1, node: 'c1', req: 'c1:9', at: 5.5 },
      done('c1', 1, 6, 'read', null, false),
    ]);
    expect(ops.map((o) => [o.outcome, o.process])).toEqual([
      ['open', 1],
      ['fail', 1001],
    ]);
  });
});

describe('a history that begins mid-run', () => {
  // c1 wrote P1 before the page reloaded; every node restarted; c3 reads what c1 brought back.
  const read = [
    invoke('c3', 1, 100, 'read'),
    { phase: 'req', opId: 1, node: 'c3', req: 'c3:1796068051308', at: 101 } as OpTrace,
    done('c3', 1, 120, 'read', 'before-reload'),
  ];

  it('starts from the values the restarted nodes brought back, and says so', () => {
    const alone = linVerdict(recordOps(read));
    expect(alone.status).toBe('fail');
    const v = linVerdict(recordOps(read), {
      inherited: [{ at: 50, node: "c1's persisted state", page: 'P1', value: 'before-reload' }],
      partial: false,
    });
    expect(v.status).toBe('ok');
    expect(v.assumed).toEqual(["P1 from c1's persisted state"]);
  });

  it('still catches a stale read of a value the history saw overwritten', () => {
    const ops = recordOps([
      ...read,
      invoke('c1', 1, 130, 'write', 'new'),
      done('c1', 1, 140, 'write', 'new'),
      invoke('c3', 2, 150, 'read'),
      done('c3', 2, 160, 'read', 'before-reload'),
    ]);
    const v = linVerdict(ops, {
      inherited: [{ at: 50, node: "c1's persisted state", page: 'P1', value: 'before-reload' }],
      partial: false,
    });
    expect(v.status).toBe('fail');
  });

  it('takes a value read but never seen written as written before a trimmed or cleared history', () => {
    const v = linVerdict(recordOps(read), { inherited: [], partial: true });
    expect(v.status).toBe('ok');
    expect(v.assumed).toEqual(['P1 from before the history']);
  });
});

describe('refused input', () => {
  it('never enters the operations: a bad page id, or content the client refused before sending', () => {
    const huge = 'A'.repeat(10_000);
    const refused = (opId: number, page: string, value: string | null): OpTrace[] => [
      { phase: 'invoke', opId, node: 'c1', kind: value === null ? 'read' : 'write', page, value, at: opId },
      {
        phase: 'done',
        opId,
        node: 'c1',
        kind: value === null ? 'read' : 'write',
        page,
        at: opId + 0.1,
        result: { ok: false, error: 'refused', certain: true },
      },
    ];
    const ops = recordOps([
      ...refused(1, huge, 'y'),
      ...refused(2, 'P4', 'x'.repeat(1 << 20)),
      invoke('c1', 3, 5, 'read'),
      done('c1', 3, 6, 'read', null),
    ]);
    expect(ops.map((o) => [o.id, o.page])).toEqual([[0, 'P1']]);
    expect(pagesOf({ arrows: [], ops })).toEqual(['P1']);
  });
});

describe('text in the views', () => {
  it('cuts long text with an ellipsis and shows restarted request ids readably', () => {
    expect(ellipsize('x'.repeat(1 << 20), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(ellipsize('a\nb', 10)).toBe('a b');
    expect(readableReq('c3:1796068051308')).toBe('c3:…1308');
    expect(readableReq('c3:12')).toBe('c3:12');
    expect(reqMatches('c3:1796068051308', 'c3:')).toBe(true);
    expect(reqMatches('c3:1796068051308', 'c3:…13')).toBe(true);
    expect(reqMatches('c1:3', 'c3')).toBe(false);
    const op = recordOps([invoke('c1', 1, 0, 'write', 'v'.repeat(5000)), done('c1', 1, 1, 'write', 'v'.repeat(5000))])[0];
    expect(op && opLabel(op).length).toBeLessThan(40);
  });

  it('lets no two labels of a timeline row overlap, and merges bars too close to tell apart', () => {
    const traces: OpTrace[] = [];
    for (let i = 0; i < 500; i++) traces.push(invoke('c1', i, i * 2, 'write', `v${i}`), done('c1', i, i * 2 + 1, 'write', `v${i}`));
    const l = layoutTimeline(recordOps(traces), [], { t0: 0, t1: 1000, width: 1000, rowHeight: 20, labelWidth: 40 });
    expect(l.bars.length).toBeLessThan(500);
    expect(l.bars.reduce((n, b) => n + 1 + b.merged, 0)).toBe(500);
    const labelled = l.bars.filter((b) => b.label !== '').sort((a, b) => a.labelX - b.labelX);
    for (let i = 1; i < labelled.length; i++) {
      const prev = labelled[i - 1];
      const cur = labelled[i];
      if (prev && cur && prev.y === cur.y) expect(cur.labelX).toBeGreaterThanOrEqual(prev.labelX + prev.label.length * TIMELINE_CHAR);
    }
    for (const b of l.bars) expect(b.labelX + b.label.length * TIMELINE_CHAR).toBeLessThanOrEqual(1000 + 1);
  });

  it('keeps every message label inside the diagram', () => {
    const arrows = matchArrows([
      msg('sent', 1, 'c9', 'cm1', 'READ_REQUEST', 'RQ', { req: 'c9:1796068051308' }),
      msg('sent', 2, 'cm1', 'c10', 'READ_FORWARD', 'RF'),
    ]);
    const l = layoutSequence(arrows, ['cm1', 'c9', 'c10'], {
      ...SEQUENCE_DEFAULTS,
      laneGap: 100,
      filter: NO_FILTER,
      highlightReq: null,
      cursor: Infinity,
    });
    for (const a of l.arrows) {
      expect(a.labelX).toBeGreaterThan(0);
      expect(a.labelX + a.label.length * LABEL_CHAR_PX).toBeLessThanOrEqual(l.width);
    }
    expect(l.arrows[0]?.label).toContain('c9:…1308');
  });
});

describe('invariants', () => {
  const client = (id: string, pages: { page: string; access: 'nil' | 'read' | 'write'; owner: boolean }[]): NodeState =>
    ({
      role: 'client',
      snapshot: {
        id,
        cm: 'cm1',
        epoch: 1,
        leased: true,
        pages: pages.map((p) => ({ ...p, content: 'x', version: 1 })),
        inFlight: null,
        queued: 0,
        unreplicated: [],
      },
    }) as NodeState;
  const cm = (id: string, role: 'acting' | 'standby', epoch: number, copySet: string[]): NodeState =>
    ({
      role: 'cm',
      snapshot: {
        id,
        role,
        epoch,
        replication: 'streaming',
        members: [],
        unreported: [],
        replicas: 0,
        away: [],
        pages: [{ page: 'P1', owner: 'c1', copySet, version: 1, active: null, queued: [] }],
      },
    }) as NodeState;

  it('passes a consistent cluster', () => {
    const states = new Map([
      ['cm1', cm('cm1', 'acting', 1, ['c2'])],
      ['cm2', cm('cm2', 'standby', 1, ['c2'])],
      ['c1', client('c1', [{ page: 'P1', access: 'read', owner: true }])],
      ['c2', client('c2', [{ page: 'P1', access: 'read', owner: false }])],
    ]);
    expect(checkInvariants(states).map((r) => r.ok)).toEqual([true, true, true]);
  });

  it('catches two writers, a reader missing from the copy set, and two CMs acting under one epoch', () => {
    const states = new Map([
      ['cm1', cm('cm1', 'acting', 1, [])],
      ['cm2', cm('cm2', 'acting', 1, [])],
      ['c1', client('c1', [{ page: 'P1', access: 'write', owner: true }])],
      ['c2', client('c2', [{ page: 'P1', access: 'write', owner: false }])],
      ['c3', client('c3', [{ page: 'P1', access: 'read', owner: false }])],
    ]);
    const r = checkInvariants(states);
    expect(r.map((x) => x.ok)).toEqual([false, false, false]);
    expect(r[0]?.detail).toBe('P1 has writers c1, c2');
    expect(r[1]?.detail).toMatch(/c3 reads P1/);
    expect(r[2]?.detail).toBe('cm1 and cm2 both act under epoch 1');
  });

  it('reports a broken rule only once it stays broken', () => {
    const judge = new StableVerdicts(400);
    const broken = [{ name: 'x', ok: false, detail: 'bad' }];
    expect(judge.judge(broken, 0)[0]).toMatchObject({ ok: true, settling: true });
    expect(judge.judge(broken, 500)[0]).toMatchObject({ ok: false, settling: false });
    expect(judge.judge([{ name: 'x', ok: true, detail: '' }], 600)[0]?.ok).toBe(true);
    expect(judge.judge(broken, 700)[0]?.settling).toBe(true);
  });
});

describe('failure log', () => {
  it('keeps takeovers, epochs, members away and back, and the first CHANGE_CM of an epoch', () => {
    const log = new FailureLog();
    expect(log.fromLog('cm2', 'cm2 missed 3 pulses from cm1: taking over', 5)?.kind).toBe('takeover');
    expect(log.fromLog('cm1', 'cm1 dropped READ_REQUEST from c1', 5)).toBeNull();
    expect(log.fromLog('cm1', 'cm1 deems c3 away: silent past its lease, its copies no longer hold up writes', 5)?.kind).toBe('away');
    expect(log.fromLog('cm1', 'cm1 hears from c3 again: it is back, and asked to report before it gets a lease', 5)?.kind).toBe('back');
    const cc = msg('sent', 6, 'cm2', 'c1', 'CHANGE_CM', 'CC', { page: null, req: null, epoch: 2 });
    expect(log.fromMessage(cc)?.text).toBe('cm2 sends CHANGE_CM (CC) under epoch 2');
    expect(log.fromMessage({ ...cc, to: 'c2' })).toBeNull();
    const acting = { role: 'cm', snapshot: { id: 'cm2', role: 'acting', epoch: 2 } } as NodeState;
    expect(log.fromState('cm2', acting, 7)?.text).toBe('cm2 is acting, epoch 2');
    expect(log.fromState('cm2', acting, 8)).toBeNull();
  });
});

describe('layouts', () => {
  it('draws lanes CMs first, arrows between them, filtered by page and request', () => {
    expect(laneOrder(['c10', 'c2', 'cm2', 'cm1'])).toEqual(['cm1', 'cm2', 'c2', 'c10']);
    const arrows = matchArrows([...readFault(0), ...readFault(10).map((m) => ({ ...m, page: 'P2', req: 'c1:2' }))]);
    const all = layoutSequence(arrows, ['cm1', 'c1', 'c2'], {
      ...SEQUENCE_DEFAULTS,
      filter: NO_FILTER,
      highlightReq: 'c1:2',
      cursor: Infinity,
    });
    expect(all.lanes.map((l) => l.id)).toEqual(['cm1', 'c1', 'c2']);
    expect(all.arrows).toHaveLength(8);
    expect(all.arrows.filter((a) => a.highlighted)).toHaveLength(4);
    expect(all.arrows[0]?.label).toBe('RQ READ_REQUEST P1 c1:1');
    const cm1 = all.lanes[0]?.x ?? 0;
    expect(all.arrows[0]).toMatchObject({ x2: cm1 });
    const p2 = layoutSequence(arrows, [], {
      ...SEQUENCE_DEFAULTS,
      filter: { ...NO_FILTER, page: 'P2' },
      highlightReq: null,
      cursor: Infinity,
    });
    expect(p2.arrows.map((a) => a.arrow.code)).toEqual(['RQ', 'RF', 'RD', 'RC']);
    const early = layoutSequence(arrows, [], { ...SEQUENCE_DEFAULTS, filter: NO_FILTER, highlightReq: null, cursor: 0.1 });
    expect(early.arrows.map((a) => a.arrow.fate)).toEqual(['pending']);
  });

  it('puts every receipt after its send and keeps each node in order, whatever the clocks say', () => {
    // cm1 forwards at 10.0 after RQ arrived at 10.2 by its clock; c2's PAGE is stamped 9.9.
    const arrows = matchArrows([
      msg('sent', 9.8, 'c1', 'cm1', 'READ_REQUEST', 'RQ'),
      msg('received', 10.2, 'c1', 'cm1', 'READ_REQUEST', 'RQ'),
      msg('sent', 10.3, 'cm1', 'c2', 'READ_FORWARD', 'RF'),
      msg('received', 9.85, 'cm1', 'c2', 'READ_FORWARD', 'RF', { arrivedAt: 9.8 }),
      msg('sent', 9.9, 'c2', 'c1', 'PAGE', 'RD'),
    ]);
    const { sent, end } = causalTimes(arrows);
    const rf = arrows.findIndex((a) => a.code === 'RF');
    const rd = arrows.findIndex((a) => a.code === 'RD');
    expect(end[rf] ?? 0).toBeGreaterThan(sent[rf] ?? 0);
    expect(sent[rd] ?? 0).toBeGreaterThan(end[rf] ?? 0);
  });

  it('lays out operation bars per client, overlapping ones on their own row', () => {
    const ops = recordOps([
      invoke('c1', 1, 0, 'write', 'a'),
      done('c1', 1, 50, 'write', 'a'),
      invoke('c1', 2, 10, 'read'),
      done('c1', 2, 60, 'read', 'a'),
      invoke('c2', 1, 70, 'read'),
    ]);
    const l = layoutTimeline(ops, [{ at: 55, node: 'cm1', kind: 'kill', text: 'k' }], {
      t0: 0,
      t1: 100,
      width: 1100,
      rowHeight: 20,
      labelWidth: 100,
    });
    expect(l.rows).toEqual([
      { node: 'c1', y: 0, height: 40 },
      { node: 'c2', y: 40, height: 20 },
    ]);
    expect(l.bars.map((b) => [b.x, b.w, b.y, b.label])).toEqual([
      [100, 500, 0, 'W P1=a'],
      [200, 500, 20, 'R P1→a'],
      [800, 300, 40, 'R P1'],
    ]);
    expect(l.marks.map((m) => m.x)).toEqual([650]);
  });
});

describe('replay files', () => {
  it('round-trips a browser recording', () => {
    const record = {
      messages: readFault(0),
      ops: [invoke('c1', 1, 0, 'read'), done('c1', 1, 4, 'read', null)],
      failures: [],
      inherited: [{ at: 0, node: "c2's persisted state", page: 'P1', value: 'old' }],
      partial: false,
    };
    const text = JSON.stringify(toRecording(record, new Date(0)));
    expect(detectKind(text)).toBe('recording');
    expect(parseRecording(text)).toEqual(record);
    const run = loadRun([{ name: 'r.json', text }]);
    expect(run.arrows).toHaveLength(4);
    expect(run.ops).toHaveLength(1);
    expect([run.start, run.end]).toEqual([0, 4]);
    expect(run.nodes).toEqual(['cm1', 'c1', 'c2']);
  });

  it('loads a simulator history and transcript together', () => {
    const history = [
      '{"process":1,"type":"invoke","f":"write","key":"P1","value":"1.1","time":1}',
      '{"process":"nemesis","type":"info","f":"crash","value":"cm1","time":2}',
      '{"process":1,"type":"ok","f":"write","key":"P1","value":"1.1","time":3}',
    ].join('\n');
    const transcript =
      'seed=1 clients=1 ok=1\n1.500 c1->cm1 WRITE_REQUEST(WQ) P1 c1:1 e1\n2.000 cm1->c2 PULSE(PU) e1\n2.100 cm1 REPLICATE junk';
    expect(parseTranscript(transcript).map((m) => [m.code, m.page, m.req])).toEqual([
      ['WQ', 'P1', 'c1:1'],
      ['PU', null, null],
    ]);
    const run = loadRun([
      { name: 'h.jsonl', text: history },
      { name: 't.txt', text: transcript },
    ]);
    expect(run.sources).toEqual(['h.jsonl (history)', 't.txt (transcript)']);
    expect(run.ops.map((o) => [o.node, o.outcome, o.value])).toEqual([['c1', 'ok', '1.1']]);
    expect(run.failures[0]?.text).toBe('nemesis crash cm1');
    expect(opsFromHistory([])).toEqual([]);
  });

  it('refuses malformed files with the reason', () => {
    expect(() =>
      loadRun([{ name: 'x.json', text: '{"format":"ivy-web-recording","version":1,"messages":[{"at":"soon"}],"ops":[],"failures":[]}' }]),
    ).toThrow('x.json: message 0 is malformed');
    expect(() => loadRun([{ name: 'h.jsonl', text: '{"process":1}' }])).toThrow(/h.jsonl: history line 1/);
    expect(() => loadRun([{ name: 't.txt', text: 'hello' }])).toThrow(/no transcript lines/);
  });
});

describe('step queues', () => {
  const frame = (id: number, from: string, arrivedAt: number): HeldFrame => ({
    id,
    dueAt: null,
    message: msg('received', arrivedAt, from, 'cm1', 'INVALIDATE_CONFIRMATION', 'IC', { arrivedAt }),
  });

  it('lets only the oldest frame of each sender go, and picks the one that waited longest', () => {
    const atCm = [frame(1, 'c1', 5), frame(2, 'c1', 6), frame(3, 'c2', 7)];
    expect([...deliverable(atCm)]).toEqual([1, 3]);
    expect(
      nextFrame(
        new Map([
          ['cm1', atCm],
          ['c1', [frame(9, 'cm1', 4)]],
        ]),
      ),
    ).toEqual({ node: 'c1', id: 9 });
    expect(nextFrame(new Map())).toBeNull();
  });
});

describe('experiment charts', () => {
  const lat = (p50: number | null) => ({ count: p50 === null ? 0 : 1, p50Ms: p50, p99Ms: p50, maxMs: p50 });
  const result = (name: string, tput: number): ResultLike => ({
    name,
    issued: 10,
    ok: 10,
    completion: 1,
    throughputOpsPerS: tput,
    messagesPerOpTotal: 2,
    linearizable: true,
    latency: { readHit: lat(0.01), readFault: lat(1), writeHit: lat(null), writeFault: lat(2) },
    faults: [{ unavailableMs: 250 }],
  });

  it('plots scenarios as bars and sweeps as lines sorted by the swept value', () => {
    const charts = allCharts([
      { result: result('basic', 100) },
      { result: result('c=8', 80), sweep: 'clients', x: 8 },
      { result: result('c=1', 50), sweep: 'clients', x: 1 },
    ]);
    expect(charts.map((c) => c.id)).toEqual(['latency', 'throughput', 'unavailable', 'sweep-clients-throughput', 'sweep-clients-latency']);
    expect(charts[0]?.datasets.map((d) => d.label)).not.toContain('write hit p50');
    expect(charts[3]?.labels).toEqual(['1', '8']);
    expect(charts[3]?.datasets[0]?.data).toEqual([50, 80]);
    expect(charts[4]?.datasets.map((d) => d.label)).toEqual(['read fault', 'write fault']);
  });
});
