// Every time limit and mode a node runs by, in one place, with units last in the names.
import { isRecord } from '../util/checks.ts';

/**
 * `streaming`: the acting CM streams each metadata change to the standby, and a CM taking over
 * rebuilds the metadata from the clients' own page tables before serving (safe: see
 * docs/fault-tolerance.md). `periodic`: the seed's scheme, a whole snapshot per pulse and a
 * takeover that trusts it; kept so experiments can show what it gets wrong.
 */
export type ReplicationMode = 'streaming' | 'periodic';

/**
 * Copies of each page's last acknowledged version kept beyond its owner: 0 is Ivy (a page whose
 * owner leaves for good is lost with it); 1 has the acting CM keep one (and its standby, on
 * record) before an owner's write is acknowledged, so such a page comes back with it.
 */
export type Replicas = 0 | 1;

export const REPLICAS: readonly Replicas[] = [0, 1];

export function isReplicas(v: unknown): v is Replicas {
  return v === 0 || v === 1;
}

export interface Timing {
  /** How often the standby pulses the acting CM. */
  pulseIntervalMs: number;
  /** Pulses without an answer before the standby takes over. */
  pulseMissesMax: number;
  /** How often a client re-sends its request in flight (same id). */
  retryIntervalMs: number;
  /** How long a client waits for any operation before failing it. */
  requestDeadlineMs: number;
  /** How long the CM waits on a client before re-sending and re-asking. */
  cmResendMs: number;
  /** Re-sends before the CM gives up on a read or an invalidation. */
  cmAttemptsMax: number;
  /** How long a request may wait in a page's queue before the CM fails it. */
  queueDeadlineMs: number;
  /**
   * How long a client may serve read hits after it asked for its lease to be renewed (counted
   * on its own clock from the request); the acting CM deems a member that has been silent this
   * long (times 1 + DRIFT_MARGIN, on its clock) away: its copies no longer hold up writes.
   */
  leaseMs: number;
}

export const TIMING_DEFAULTS: Timing = {
  pulseIntervalMs: 100,
  pulseMissesMax: 3,
  retryIntervalMs: 200,
  requestDeadlineMs: 5000,
  cmResendMs: 150,
  cmAttemptsMax: 8,
  queueDeadlineMs: 4000,
  leaseMs: 1000,
};

/**
 * Clocks are never compared across nodes, only durations measured: the one assumption is that
 * any two clocks' rates differ by less than this share (quartz and NTP-slewed clocks stay within
 * a fraction of a percent). Lease ends and role leases are widened or narrowed by it, so no
 * stale read can happen while rates stay within it (docs/fault-tolerance.md).
 */
export const DRIFT_MARGIN = 0.1;

export function timing(overrides: Partial<Timing> = {}): Timing {
  return { ...TIMING_DEFAULTS, ...overrides };
}

/** Null when `t` is an acceptable set of overrides, else what is wrong with it (it may come from a URL or a file). */
export function timingError(t: unknown): string | null {
  if (t === undefined) return null;
  if (!isRecord(t)) return 'timing must be an object';
  for (const [name, value] of Object.entries(t)) {
    if (!isTimingName(name)) return `unknown timing ${JSON.stringify(name)}`;
    const error = valueError(name, value);
    if (error) return `timing ${name} ${error}`;
  }
  return null;
}

export const TIMING_NAMES = Object.keys(TIMING_DEFAULTS) as ReadonlyArray<keyof Timing>;

function isTimingName(name: string): name is keyof Timing {
  return Object.hasOwn(TIMING_DEFAULTS, name);
}

function valueError(name: keyof Timing, value: unknown): string | null {
  const counts = name === 'pulseMissesMax' || name === 'cmAttemptsMax';
  const ok =
    typeof value === 'number' && Number.isFinite(value) && value >= 1 && value <= TIMING_LIMIT_MAX && (!counts || Number.isInteger(value));
  return ok ? null : `must be ${counts ? 'an integer' : 'a number of milliseconds'} from 1 to ${TIMING_LIMIT_MAX}`;
}

/** A time limit's name in the environment: pulseIntervalMs is IVY_PULSE_INTERVAL_MS. */
export function timingEnvName(name: keyof Timing): string {
  return `IVY_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export type TimingRead = { ok: true; timing: Partial<Timing> } | { ok: false; error: string };

/**
 * The overrides written as text (an environment, a URL's parameters): `text(name)` is the text
 * set for the limit, if any, and `label(name)` what a person set it as, for the error.
 */
export function readTiming(text: (name: keyof Timing) => string | null | undefined, label: (name: keyof Timing) => string): TimingRead {
  const timing: Partial<Timing> = {};
  for (const name of TIMING_NAMES) {
    const raw = text(name);
    if (raw === null || raw === undefined) continue;
    const value = raw.trim() === '' ? NaN : Number(raw);
    const error = valueError(name, value);
    if (error) return { ok: false, error: `${label(name)} ${error}, not ${JSON.stringify(raw)}` };
    timing[name] = value;
  }
  return { ok: true, timing };
}

/** The limits that differ from the defaults, as a person reads them (`pulseIntervalMs 40`). */
export function describeTiming(t: Partial<Timing>): string {
  return TIMING_NAMES.filter((n) => t[n] !== undefined && t[n] !== TIMING_DEFAULTS[n])
    .map((n) => `${n} ${t[n]}`)
    .join(', ');
}

/** No limit above ten minutes: beyond that a node would look dead to a person long before. */
const TIMING_LIMIT_MAX = 600_000;

/**
 * How far a commit goes before what depends on it leaves the node:
 * - `process`: the record is written to the operating system (a `write` call returned). It
 *   survives a crash of the tab, the worker or the whole browser, not a power cut.
 * - `disk`: the operating system has also written it to the device (an fdatasync, grouped over
 *   every record written since the last). It survives a power cut too.
 */
export type Durability = 'process' | 'disk';

export const DURABILITIES: readonly Durability[] = ['process', 'disk'];
export const DURABILITY_DEFAULT: Durability = 'process';

export function isDurability(v: unknown): v is Durability {
  return (DURABILITIES as readonly unknown[]).includes(v);
}
