// Every time limit and mode a node runs by, in one place, with units last in the names.

/**
 * `streaming`: the acting CM streams each metadata change to the standby, and a CM taking over
 * rebuilds the metadata from the clients' own page tables before serving (safe: see
 * docs/fault-tolerance.md). `periodic`: the seed's scheme, a whole snapshot per pulse and a
 * takeover that trusts it; kept so experiments can show what it gets wrong.
 */
export type ReplicationMode = 'streaming' | 'periodic';

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
}

export const TIMING_DEFAULTS: Timing = {
  pulseIntervalMs: 100,
  pulseMissesMax: 3,
  retryIntervalMs: 200,
  requestDeadlineMs: 5000,
  cmResendMs: 150,
  cmAttemptsMax: 8,
  queueDeadlineMs: 4000,
};

export function timing(overrides: Partial<Timing> = {}): Timing {
  return { ...TIMING_DEFAULTS, ...overrides };
}

/** Null when `t` is an acceptable set of overrides, else what is wrong with it (it may come from a URL or a file). */
export function timingError(t: unknown): string | null {
  if (t === undefined) return null;
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return 'timing must be an object';
  for (const [name, value] of Object.entries(t)) {
    if (!Object.hasOwn(TIMING_DEFAULTS, name)) return `unknown timing ${JSON.stringify(name)}`;
    const counts = name === 'pulseMissesMax' || name === 'cmAttemptsMax';
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= 1 && value <= TIMING_LIMIT_MAX &&
      (!counts || Number.isInteger(value));
    if (!ok) return `timing ${name} must be ${counts ? 'an integer' : 'a number of milliseconds'} from 1 to ${TIMING_LIMIT_MAX}`;
  }
  return null;
}

/** No limit above ten minutes: beyond that a node would look dead to a person long before. */
const TIMING_LIMIT_MAX = 600_000;
