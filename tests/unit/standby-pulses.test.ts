// When a standby CM takes over: after pulseMissesMax pulses it sent went unanswered for that many
// intervals, not merely after that much time. Tab nodes across hosts on a loaded machine showed
// why: a standby whose tab barely ran sent one pulse in 650 ms and took over from a healthy CM,
// and a standby that had just heard CHANGE_CM from the acting CM took over because no pulse
// reply had come; the two CMs then took the title from each other for seconds.
import { describe, expect, it } from 'vitest';
import { CentralManager } from '../../src/protocol/manager.ts';
import type { Message } from '../../src/protocol/messages.ts';

const reply = (epoch: number): Message =>
  ({ type: 'PULSE_REPLY', from: 'cm1', to: 'cm2', epoch, acting: true, members: [], meta: null });

/** A backup that has heard the acting cm1 (epoch 1) at t=0. */
function standby(): CentralManager {
  const cm2 = new CentralManager({ id: 'cm2', start: 'backup', now: 0 });
  cm2.step(reply(1), 0);
  cm2.ready();
  expect(cm2.currentRole).toBe('standby');
  return cm2;
}

function pulsesSent(cm: CentralManager): number {
  return cm.ready().messages.filter((m) => m.type === 'PULSE').length;
}

describe('standby CM: when silence means the acting CM is gone', () => {
  it('ticking every 20 ms, it takes over once 300 ms passed with 3 pulses unanswered', () => {
    const cm2 = standby();
    let pulses = 0;
    for (let t = 20; t < 300; t += 20) {
      cm2.tick(t);
      pulses += pulsesSent(cm2);
    }
    expect(cm2.currentRole).toBe('standby');
    cm2.tick(300);
    pulses += pulsesSent(cm2);
    expect(pulses).toBe(3);
    expect(cm2.currentRole).toBe('acting');
  });

  it('ticking rarely (a starved tab), it waits until it has sent 3 pulses', () => {
    const cm2 = standby();
    cm2.tick(250);
    cm2.tick(500);
    expect(pulsesSent(cm2)).toBe(2);
    expect(cm2.currentRole).toBe('standby');
    cm2.tick(750);
    expect(cm2.currentRole).toBe('acting');
  });

  it('a CHANGE_CM from the acting CM is a sign of life, like a pulse reply', () => {
    const cm2 = standby();
    for (let t = 20; t <= 280; t += 20) cm2.tick(t);
    cm2.step({ type: 'CHANGE_CM', from: 'cm1', to: 'cm2', epoch: 1 }, 280);
    for (let t = 300; t < 580; t += 20) cm2.tick(t);
    expect(cm2.currentRole).toBe('standby');
    cm2.tick(580);
    expect(cm2.currentRole).toBe('acting');
  });
});
