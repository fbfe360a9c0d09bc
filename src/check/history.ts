// Operation histories recorded by the simulator and read back by the linearizability checker.
// One event per JSON line; file order is real-time order, so the line order is what the
// checker trusts for precedence (times are carried along for humans and plots).

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type ClientFunction = 'read' | 'write';

/** A client's invocation or completion of a read/write on one key (one register). */
export interface ClientEvent {
  process: number;
  type: EventType;
  f: ClientFunction;
  key: string;
  value: string | null;
  time: number;
}

/** A fault injected by the nemesis (crash, restart, partition, heal, ...); not an operation. */
export interface NemesisEvent {
  process: 'nemesis';
  type: 'info';
  f: string;
  key?: string | null;
  value: string | null;
  time: number;
}

export type HistoryEvent = ClientEvent | NemesisEvent;

export function isNemesis(e: HistoryEvent): e is NemesisEvent {
  return e.process === 'nemesis';
}

/**
 * Serialises with a fixed key order so that identical histories are byte-for-byte identical
 * files (diffable, hashable across runs with the same seed).
 */
export function toJsonLine(e: HistoryEvent): string {
  const parts = [`"process":${JSON.stringify(e.process)}`, `"type":${JSON.stringify(e.type)}`, `"f":${JSON.stringify(e.f)}`];
  // A nemesis event may have no key at all; keep "absent" distinct from null on round trip.
  if (e.key !== undefined) parts.push(`"key":${JSON.stringify(e.key)}`);
  parts.push(`"value":${JSON.stringify(e.value)}`, `"time":${JSON.stringify(e.time)}`);
  return `{${parts.join(',')}}`;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

function isStringOrNull(v: unknown): v is string | null {
  return v === null || typeof v === 'string';
}

/** Returns what is wrong with one parsed line, or the normalised event. */
function validateEvent(raw: unknown): HistoryEvent | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not a JSON object';
  const o = raw as Record<string, unknown>;
  const { process, type, f, key, value, time } = o;
  if (typeof time !== 'number' || !Number.isFinite(time)) return 'time must be a finite number';
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) return `bad type ${JSON.stringify(type)}`;
  if (!isStringOrNull(value)) return 'value must be a string or null';
  if (process === 'nemesis') {
    if (type !== 'info') return 'nemesis events must have type "info"';
    if (typeof f !== 'string' || f === '') return 'nemesis f must be a non-empty string';
    if (key !== undefined && !isStringOrNull(key)) return 'nemesis key must be a string or null';
    const e: NemesisEvent = { process, type, f, value, time };
    if (key !== undefined) e.key = key;
    return e;
  }
  if (typeof process !== 'number' || !Number.isInteger(process)) {
    return 'process must be an integer or "nemesis"';
  }
  if (f !== 'read' && f !== 'write') return `bad f ${JSON.stringify(f)} for a client event`;
  if (typeof key !== 'string') return 'client events need a string key';
  return { process, type: type as EventType, f, key, value, time };
}

/**
 * Parses a JSON Lines history. Blank lines are ignored; anything else malformed throws an
 * Error naming the (1-based) line, since a silently skipped event could hide a violation.
 */
export function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  let lastTime = -Infinity;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new Error(`history line ${i + 1}: invalid JSON (${(err as Error).message})`, { cause: err });
    }
    const e = validateEvent(raw);
    if (typeof e === 'string') throw new Error(`history line ${i + 1}: ${e}`);
    // Precedence comes from line order, which is only meaningful if time agrees with it.
    if (e.time < lastTime) throw new Error(`history line ${i + 1}: time goes backwards`);
    lastTime = e.time;
    events.push(e);
  }
  return events;
}
