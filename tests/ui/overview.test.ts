// The tab cluster overview judges each row from when its node last answered and from what the
// acting CM says, never from a stale answer alone (judgeRows), and the texts a person reads.
import { describe, expect, it } from 'vitest';
import type { ManagerSnapshot } from '../../src/protocol/manager.ts';
import type { TabNodeInfo } from '../../src/tab/control.ts';
import { ANSWER_AGE_MAX_MS, judgeRows, type NodeFacts } from '../../src/tab/overview-rows.ts';
import { memberMarks } from '../../src/ui/membership.ts';
import { standingText } from '../../src/ui/overview-view.ts';

function cm(
  id: string,
  role: ManagerSnapshot['role'],
  epoch: number,
  extra: Partial<ManagerSnapshot> = {},
  peers: TabNodeInfo['peers'] = [],
): TabNodeInfo {
  const snapshot: ManagerSnapshot = {
    id,
    role,
    epoch,
    replication: 'streaming',
    members: [],
    unreported: [],
    replicas: 0,
    away: [],
    pages: [],
    ...extra,
  };
  return { id, role: 'cm', state: { role: 'cm', snapshot }, peers, cmLink: null, stopped: false };
}

function client(id: string, following: string, epoch: number, leased = true): TabNodeInfo {
  const snapshot = { id, cm: following, epoch, leased, pages: [], inFlight: null, queued: 0, unreplicated: [] };
  return { id, role: 'client', state: { role: 'client', snapshot }, peers: [], cmLink: null, stopped: false };
}

const facts = (id: string, info: TabNodeInfo | null, askedAt: number | null, error: string | null = null): NodeFacts => ({
  id,
  info,
  askedAt,
  error,
});

const NOW = 100_000;

describe('the overview judges rows', () => {
  it('shows nodes that answered lately as they say, the newest acting epoch as the acting CM', () => {
    const j = judgeRows(
      [
        facts('cm1', cm('cm1', 'acting', 3, { members: ['c1'] }), NOW - 100),
        facts('cm2', cm('cm2', 'standby', 3), NOW - 50),
        facts('c1', client('c1', 'cm1', 3), NOW - 20),
      ],
      NOW,
    );
    expect(j.acting).toEqual({ id: 'cm1', epoch: 3 });
    expect(j.rows.map((r) => [r.id, r.standing.kind])).toEqual([
      ['cm1', 'live'],
      ['cm2', 'live'],
      ['c1', 'live'],
    ]);
    expect(standingText(j.rows[2]!, 'cm1')).toBe('follows cm1, epoch 3 · lease runs');
  });

  it('no longer shows a CM whose tab closed as acting once a newer epoch acts, nor once its answer is a window old', () => {
    const closed = cm('cm1', 'acting', 1, {}, [{ peer: 'cm2', linked: true, heardMsAgo: 100 }]);
    const taken = cm('cm2', 'acting', 2, {}, [{ peer: 'cm1', linked: true, heardMsAgo: 700 }]);
    // cm2 took over while cm1's last answer is still young: cm1 is superseded, cm2 acts.
    const early = judgeRows([facts('cm1', closed, NOW - 300), facts('cm2', taken, NOW - 10)], NOW);
    expect(early.acting).toEqual({ id: 'cm2', epoch: 2 });
    expect(early.rows[0]?.standing).toEqual({ kind: 'superseded', by: 'cm2', epoch: 2 });
    expect(standingText(early.rows[0]!, 'cm2')).toBe('not acting: cm2 acts under the newer epoch 2');
    // Before any takeover, an answer older than the window is not the present either.
    const silent = judgeRows(
      [facts('cm1', closed, NOW - ANSWER_AGE_MAX_MS - 1, 'info: no answer within 1500 ms'), facts('cm2', cm('cm2', 'standby', 1), NOW)],
      NOW,
    );
    expect(silent.acting).toBeNull();
    expect(silent.rows[0]?.standing).toMatchObject({ kind: 'silent', forMs: ANSWER_AGE_MAX_MS + 1 });
    expect(standingText(silent.rows[0]!, null)).toBe('no answer for 0.4 s (info: no answer within 1500 ms)');
    // The acting CM's link says when cm1 was last heard, aged by how old cm2's answer is.
    const later = judgeRows([facts('cm1', closed, NOW - 3000), facts('cm2', taken, NOW - 200)], NOW);
    expect(later.rows[0]?.heardByActingMs).toBe(900);
    expect(standingText(later.rows[0]!, 'cm2')).toBe('no answer for 3.0 s · cm2 heard it 0.9 s ago');
  });

  it('shows a client the acting CM deems away as away, for as long as it says, even if the overview never reached it', () => {
    const acting = cm('cm2', 'acting', 2, {
      members: ['c1', 'c3', 'c4'],
      away: [
        { id: 'c3', forMs: 2000 },
        { id: 'c4', forMs: 500 },
      ],
    });
    const j = judgeRows(
      [
        facts('cm2', acting, NOW - 100),
        facts('c1', client('c1', 'cm2', 2), NOW - 10),
        facts('c3', client('c3', 'cm1', 1), NOW - 5000, 'info: no answer within 1500 ms'),
        facts('c4', null, null, 'not reached yet'),
        facts('c5', null, null, 'not reached yet'),
      ],
      NOW,
    );
    expect(j.rows.map((r) => r.id)).toEqual(['cm2', 'c1', 'c3', 'c4']);
    expect(j.rows[2]?.standing).toEqual({ kind: 'away', forMs: 2100, judge: 'cm2' });
    expect(standingText(j.rows[2]!, 'cm2')).toBe('away 2.1 s (cm2 says)');
    // A client that answers but that the acting CM deems away (cut off from it) says both.
    const cut = judgeRows([facts('cm2', acting, NOW), facts('c3', client('c3', 'cm2', 2, false), NOW)], NOW);
    expect(standingText(cut.rows[1]!, 'cm2')).toBe(
      'follows cm2, epoch 2 · no lease: read copies serve no hits · cm2 deems it away (2.0 s)',
    );
  });

  it('shows a stopped node as stopped, and takes no acting word from it', () => {
    const j = judgeRows([facts('cm1', { ...cm('cm1', 'acting', 1), stopped: true }, NOW, 'stopped')], NOW);
    expect(j.acting).toBeNull();
    expect(j.rows[0]?.standing).toEqual({ kind: 'stopped' });
  });
});

describe('member marks', () => {
  it('marks away members with for how long, and unreported ones only while acting', () => {
    const s = { members: ['c1', 'c2', 'c3'], unreported: ['c2'], away: [{ id: 'c3', forMs: 4250 }] };
    expect(memberMarks({ ...s, role: 'acting' })).toEqual([
      { id: 'c1', away: false, note: null },
      { id: 'c2', away: false, note: 'not reported yet' },
      { id: 'c3', away: true, note: 'away 4.3 s' },
    ]);
    expect(memberMarks({ ...s, role: 'standby', away: [] }).map((m) => m.note)).toEqual([null, null, null]);
  });
});
