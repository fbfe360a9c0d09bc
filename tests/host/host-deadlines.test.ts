// A host wakes its node at the node's next deadline, not on a fixed poll: an idle node sleeps,
// a retry leaves at its very deadline, and step mode's frozen time holds the timer back.
import { describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/net/memory.ts';
import { messageDecoder } from '../../src/net/message-codec.ts';
import type { Message } from '../../src/protocol/messages.ts';
import { TIMING_DEFAULTS } from '../../src/protocol/config.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { makeNode, PAGE_SIZE_BYTES, type NodeSpec } from '../../src/host/make-node.ts';
import { NO_STEPPING } from '../../src/host/trace.ts';
import { manualEnv, type ManualEnv } from '../support/manual-env.ts';

const decode = messageDecoder(PAGE_SIZE_BYTES);

/** A host whose node's ticks are counted, in a manual world. */
function counted(spec: NodeSpec): { host: NodeHost; env: ManualEnv; ticks: number[] } {
  const env = manualEnv(0, false);
  const made = makeNode(spec, 0);
  const ticks: number[] = [];
  const tick = made.node.tick.bind(made.node);
  made.node.tick = (now) => {
    ticks.push(now);
    tick(now);
  };
  return { host: new NodeHost(made, env), env, ticks };
}

/** The frames `host` sends to a silent peer, with the time each left. */
function silentPeer(host: NodeHost, peer: string, env: ManualEnv): Array<{ at: number; type: string }> {
  const [mine] = MemoryTransport.pair<Message>(decode);
  const seen: Array<{ at: number; type: string }> = [];
  const send = mine.send.bind(mine);
  mine.send = (m) => {
    seen.push({ at: env.now(), type: m.type });
    return send(m);
  };
  host.connect(peer, mine);
  return seen;
}

describe('deadline timers', () => {
  it('lets an acting CM with no peer, no members and nothing to do sleep', () => {
    const { host, env, ticks } = counted({ role: 'cm', id: 'cm1', peerExists: false });
    host.startTicking();
    env.advance(10_000);
    expect(ticks).toEqual([]);
    host.stop();
  });

  it('wakes an idle client only for its lease heartbeats', () => {
    const { host, env, ticks } = counted({ role: 'client', id: 'c1' });
    host.startTicking();
    env.advance(1_000);
    const beat = TIMING_DEFAULTS.leaseMs / 4;
    expect(ticks).toEqual([0, beat, 2 * beat, 3 * beat, 4 * beat]);
    host.stop();
  });

  it('re-sends a request at its retry deadline, to the other CM every other time', () => {
    const { host, env } = counted({ role: 'client', id: 'c1' });
    const toCm1 = silentPeer(host, 'cm1', env);
    const toCm2 = silentPeer(host, 'cm2', env);
    host.startTicking();
    env.advance(10);
    void host.submit({ kind: 'read', page: 'P1' });
    env.advance(2 * TIMING_DEFAULTS.retryIntervalMs);
    const requests = [...toCm1, ...toCm2]
      .filter((f) => f.type === 'READ_REQUEST')
      .map((f) => f.at)
      .sort((a, b) => a - b);
    const retry = TIMING_DEFAULTS.retryIntervalMs;
    expect(requests).toEqual([10, 10 + retry, 10 + 2 * retry]);
    expect(toCm2.filter((f) => f.type === 'READ_REQUEST').map((f) => f.at)).toEqual([10 + 2 * retry]);
    host.stop();
  });

  it('holds the timer while step mode freezes time, and runs on from where it stood', () => {
    const { host, env, ticks } = counted({ role: 'client', id: 'c1' });
    host.startTicking();
    env.advance(100);
    host.setStepSettings({ ...NO_STEPPING, hold: true, freezeTimers: true });
    env.advance(5_000);
    expect(ticks).toEqual([0]);
    host.setStepSettings(NO_STEPPING);
    // 100 ms of node time had passed; the next heartbeat is due 150 ms of node time later.
    env.advance(TIMING_DEFAULTS.leaseMs / 4 - 100);
    expect(ticks).toEqual([0, TIMING_DEFAULTS.leaseMs / 4]);
    host.stop();
  });
});
