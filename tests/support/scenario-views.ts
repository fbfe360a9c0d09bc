// What a scenario file shows of the stepped net: messages with what reports carry, the trace of
// one command, and the views of the `state`, `cm` and `client` commands (scenario-script.ts).
import type { ManagerSnapshot } from '../../src/protocol/manager.ts';
import type { Message, MessageType } from '../../src/protocol/messages.ts';
import type { OpResult } from '../../src/protocol/node.ts';
import { show, type Net, type TraceEntry } from './stepped-net.ts';

/** Pulses and their replies repeat every interval: a command's trace leaves them out. */
const QUIET: ReadonlySet<MessageType> = new Set(['PULSE', 'PULSE_REPLY']);

export function showResult(r: OpResult): string {
  if (!r.ok) return `failed${r.certain ? '' : ' (uncertain)'}: ${r.error}`;
  return `ok ${JSON.stringify(r.value)}${r.local ? ' (hit)' : ''}${r.unkept ? ' (not kept)' : ''}`;
}

const set = (xs: readonly string[]): string => `{${xs.join(', ')}}`;

/** A message as `show` gives it, with what reports, CM_STATE and refusals carry. */
export function describe(m: Message): string {
  const line = show(m);
  switch (m.type) {
    case 'CLIENT_REPORT': {
      const pages = m.pages.map((p) => `${p.page} ${p.access}${p.owner ? ' owner' : ''} v${p.version}`);
      const f = m.inFlight;
      const handoffs = m.handoffs.map((h) => `${h.page} to ${h.to} ${h.req} v${h.version}`);
      return `${line} holds ${set(pages)} in flight ${f ? `${f.kind} ${f.page} ${f.req}` : 'none'} handed ${set(handoffs)}`;
    }
    case 'CM_STATE':
      return `${line} members ${set(m.members)} meta ${set(m.meta.map((e) => `${e.page} owner ${e.owner ?? 'none'} copies ${set(e.copySet)} v${e.version}`))}`;
    case 'REQUEST_FAILED':
      return `${line}: ${m.reason}`;
    default:
      return line;
  }
}

export function traceLine(e: TraceEntry): string | null {
  if (e.kind === 'log') return e.log.level === 'info' ? null : `${e.log.level} ${e.log.text}`;
  if (QUIET.has(e.m.type)) return null;
  return e.kind === 'lost' ? `lost ${describe(e.m)}` : describe(e.m);
}

/** One page of a CM's, with the request under way, the ones waiting and why, when any. */
function pageLine(cm: string, p: ManagerSnapshot['pages'][number]): string {
  let line = `${cm} ${p.page}: owner ${p.owner ?? 'none'} copies ${set(p.copySet)} v${p.version}`;
  if (p.active) line += `, active ${p.active.kind} ${p.active.req} ${p.active.phase}`;
  if (p.queued.length > 0) line += `, queued ${set(p.queued)}`;
  if (p.note && p.note !== 'mirror') line += `, ${p.note}`;
  return line;
}

export function cmLines(net: Net, id: string): string[] {
  const s = net.cm(id).snapshot();
  const lines = [`${id} ${s.role} e${s.epoch}${s.role === 'acting' ? '' : ' (mirror)'}`];
  if (s.unreported.length > 0) lines.push(`${id} waits for reports from ${s.unreported.join(', ')}`);
  return [...lines, ...s.pages.map((p) => pageLine(id, p))];
}

export function stateLines(net: Net): string[] {
  const cms = ['cm1', 'cm2'].filter((id) => net.alive(id)).map((id) => `${id} ${net.cm(id).currentRole} e${net.cm(id).epoch}`);
  const clients = net.clientIds
    .filter((id) => net.alive(id))
    .map((id) => {
      const s = net.client(id).snapshot();
      return `${id}->${s.cm} e${s.epoch}`;
    });
  const lines = [`t=${net.now} CMs: ${cms.join(', ') || 'none running'}`, `clients: ${clients.join(', ')}`];
  const last = net.acting().sort((x, y) => y.epoch - x.epoch)[0];
  return last ? [...lines, ...cmLines(net, last.id).slice(1)] : lines;
}

export function clientLines(net: Net, id: string): string[] {
  const c = net.client(id);
  const s = c.snapshot();
  const f = s.inFlight;
  const head = [
    `${id} follows ${s.cm} e${s.epoch}`,
    s.leased ? 'leased' : 'no lease',
    `in flight ${f ? `${f.kind} ${f.page} ${f.req}` : 'none'}`,
    `${s.queued} queued`,
    `${net.opsDone(id).length} done`,
  ].join(', ');
  const pages = s.pages.map((p) => `${id} ${p.page}: ${p.access}${p.owner ? ' owner' : ''} ${JSON.stringify(p.content)} v${p.version}`);
  return [head, ...pages];
}
