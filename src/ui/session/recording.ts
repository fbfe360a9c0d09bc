// Recorded runs: the browser session exported as JSON, and what the simulator writes (its
// history JSONL, `npm run sim -- --history`, and its `--transcript` lines). All load into the
// same shape the live views use. Files come from users: every field is checked before use.
import { REQ_ID_PATTERN } from '../../protocol/ids.ts';
import { parseHistory, type HistoryEvent } from '../../check/history.ts';
import type { OpTrace, TracedMessage, TraceFate } from '../../host/trace.ts';
import { matchArrows, type Arrow } from './arrows.ts';
import { opsFromHistory, recordOps, toHistory } from './ops.ts';
import { laneOrder } from './sequence-layout.ts';
import type { FailureEvent, Inherited, OpRecord, Prehistory, SessionRecord } from './types.ts';

export const RECORDING_FORMAT = 'ivy-web-recording';
export const RECORDING_VERSION = 1;

export interface Recording {
  format: typeof RECORDING_FORMAT;
  version: typeof RECORDING_VERSION;
  exportedAt: string;
  messages: TracedMessage[];
  ops: OpTrace[];
  failures: FailureEvent[];
  /** The checker's view of the operations, as the simulator writes it (for other tools). */
  history: HistoryEvent[];
  /** Page values from before the history (optional: older recordings have none). */
  inherited?: Inherited[];
  partial?: boolean;
}

export function toRecording(record: SessionRecord, exportedAt: Date): Recording {
  const ops = recordOps(record.ops);
  return {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    exportedAt: exportedAt.toISOString(),
    messages: [...record.messages],
    ops: [...record.ops],
    failures: [...record.failures],
    history: toHistory(ops, record.failures, record.inherited).events,
    inherited: [...record.inherited],
    partial: record.partial,
  };
}

/** A run ready for the views: arrows matched, operations paired, the time span known. */
export interface LoadedRun extends Prehistory {
  sources: string[];
  nodes: string[];
  arrows: Arrow[];
  ops: OpRecord[];
  failures: FailureEvent[];
  start: number;
  end: number;
}

export type RunFile = { name: string; text: string };

const FATES: ReadonlySet<string> = new Set<TraceFate>(['sent', 'lost', 'received', 'dropped']);
const FAILURE_KINDS: ReadonlySet<string> = new Set<FailureEvent['kind']>([
  'takeover',
  'step-down',
  'epoch',
  'change-cm',
  'im-back',
  'cm-state',
  'away',
  'back',
  'kill',
  'start',
  'partition',
  'heal',
  'log',
]);

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function checkMessage(v: unknown, i: number): TracedMessage {
  const m = record(v, `message ${i}`);
  const ok =
    isNum(m.at) &&
    isStr(m.fate) &&
    FATES.has(m.fate) &&
    isStr(m.from) &&
    isStr(m.to) &&
    isStr(m.type) &&
    isStr(m.code) &&
    isStrOrNull(m.page) &&
    isStrOrNull(m.req) &&
    isNum(m.epoch) &&
    (m.arrivedAt === undefined || isNum(m.arrivedAt));
  if (!ok) throw new Error(`message ${i} is malformed`);
  return m as unknown as TracedMessage;
}

function checkOp(v: unknown, i: number): OpTrace {
  const o = record(v, `op ${i}`);
  const base = isNum(o.at) && isNum(o.opId) && isStr(o.node);
  const kindOk = o.kind === 'read' || o.kind === 'write';
  const ok =
    base &&
    ((o.phase === 'invoke' && kindOk && isStr(o.page) && isStrOrNull(o.value)) ||
      (o.phase === 'req' && isStr(o.req)) ||
      (o.phase === 'done' && kindOk && isStr(o.page) && resultOk(o.result)));
  if (!ok) throw new Error(`op ${i} is malformed`);
  return o as unknown as OpTrace;
}

function resultOk(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (r.ok === true) return isStrOrNull(r.value) && typeof r.local === 'boolean';
  return r.ok === false && isStr(r.error) && typeof r.certain === 'boolean';
}

function checkFailure(v: unknown, i: number): FailureEvent {
  const f = record(v, `failure event ${i}`);
  if (!(
    isNum(f.at) &&
    isStrOrNull(f.node) &&
    isStr(f.kind) &&
    FAILURE_KINDS.has(f.kind) &&
    isStr(f.text) &&
    (f.peer === undefined || isStr(f.peer))
  )) {
    throw new Error(`failure event ${i} is malformed`);
  }
  return f as unknown as FailureEvent;
}

function checkInherited(v: unknown, i: number): Inherited {
  const h = record(v, `inherited value ${i}`);
  if (!(isNum(h.at) && isStr(h.node) && isStr(h.page) && isStr(h.value))) throw new Error(`inherited value ${i} is malformed`);
  return { at: h.at, node: h.node, page: h.page, value: h.value };
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} must be a list`);
  return v;
}

/** A browser recording (this dashboard's Export). */
export function parseRecording(text: string): SessionRecord {
  const r = record(JSON.parse(text), 'the recording');
  if (r.format !== RECORDING_FORMAT) throw new Error(`not an ${RECORDING_FORMAT} file`);
  if (r.version !== RECORDING_VERSION) throw new Error(`recording version ${String(r.version)} is not supported`);
  return {
    messages: list(r.messages, 'messages').map(checkMessage),
    ops: list(r.ops, 'ops').map(checkOp),
    failures: list(r.failures, 'failures').map(checkFailure),
    inherited: r.inherited === undefined ? [] : list(r.inherited, 'inherited').map(checkInherited),
    partial: r.partial === true,
  };
}

const TRANSCRIPT_LINE = /^(\d+(?:\.\d+)?)\s+(\S+)->(\S+)\s+([A-Z_]+)\(([A-Z]{2})\)((?:\s+\S+)*?)\s+e(\d+)$/;

/** `npm run sim -- --transcript`: one delivered message a line (no send times: arrows are flat). */
export function parseTranscript(text: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  for (const line of text.split('\n')) {
    const m = TRANSCRIPT_LINE.exec(line.trim());
    if (!m) continue;
    const [, time = '0', from = '', to = '', type = '', code = '', middle = '', epoch = '0'] = m;
    const words = middle.trim().split(/\s+/).filter(Boolean);
    const req = words.find((w) => REQ_ID_PATTERN.test(w)) ?? null;
    const page = words.find((w) => !REQ_ID_PATTERN.test(w)) ?? null;
    const at = Number(time);
    out.push({ at, arrivedAt: at, fate: 'received', from, to, type: type as TracedMessage['type'], code, page, req, epoch: Number(epoch) });
  }
  if (out.length === 0) throw new Error('no transcript lines found (expected lines like "1.25 c1->cm1 READ_REQUEST(RQ) P1 c1:1 e1")');
  return out;
}

type Kind = 'recording' | 'history' | 'transcript';

export function detectKind(text: string): Kind {
  const t = text.trimStart();
  if (t.startsWith('{') && /"format"\s*:\s*"ivy-web-recording"/.test(t.slice(0, 200))) return 'recording';
  const first = t.split('\n', 1)[0] ?? '';
  return first.startsWith('{') ? 'history' : 'transcript';
}

/** Loads one or more files (say a simulator history and its transcript) as one run. */
export function loadRun(files: readonly RunFile[]): LoadedRun {
  if (files.length === 0) throw new Error('no file to load');
  const messages: TracedMessage[] = [];
  const ops: OpRecord[] = [];
  const failures: FailureEvent[] = [];
  const sources: string[] = [];
  const inherited: Inherited[] = [];
  let partial = false;
  for (const f of files) {
    const kind = detectKind(f.text);
    try {
      if (kind === 'recording') {
        const r = parseRecording(f.text);
        messages.push(...r.messages);
        failures.push(...r.failures);
        ops.push(...recordOps(r.ops));
        inherited.push(...r.inherited);
        partial ||= r.partial;
      } else if (kind === 'history') {
        const events = parseHistory(f.text);
        ops.push(...opsFromHistory(events));
        for (const e of events) {
          if (e.process === 'nemesis')
            failures.push({ at: e.time, node: e.value, kind: 'log', text: `nemesis ${e.f} ${e.value ?? ''}`.trim() });
        }
      } else {
        messages.push(...parseTranscript(f.text));
      }
    } catch (e) {
      throw new Error(`${f.name}: ${(e as Error).message}`, { cause: e });
    }
    sources.push(`${f.name} (${kind})`);
  }
  ops.forEach((o, i) => {
    o.id = i;
  });
  const arrows = matchArrows(messages, failures);
  const times = [...messages.map((m) => m.at), ...ops.flatMap((o) => [o.invokeAt, o.doneAt ?? o.invokeAt]), ...failures.map((f) => f.at)];
  const start = times.reduce((a, b) => Math.min(a, b), Infinity);
  const end = times.reduce((a, b) => Math.max(a, b), -Infinity);
  const nodes = laneOrder([...arrows.flatMap((a) => [a.from, a.to]), ...ops.map((o) => o.node)]);
  if (times.length === 0) throw new Error('the files hold no messages, operations or events');
  return { sources, nodes, arrows, ops, failures: failures.sort((a, b) => a.at - b.at), start, end, inherited, partial };
}
