// The nemesis: which faults a run injects and when. One fault at a time, each healed (node
// restarted, partition lifted, stall over) before the next, so that a run also shows recovery;
// a node that leaves for good is never healed.
import type { Rng } from './rng.ts';
import { DURABILITY_DEFAULT, type Durability } from '../protocol/config.ts';

export const FAULT_KINDS = [
  'crash-primary',
  'crash-backup',
  'crash-both',
  'partition-primary',
  'crash-client',
  /** A node crashes while a commit of its state is on its way to disk. */
  'crash-commit',
  /** A node's timers and deliveries stop for 0.2 to 5 s, then everything runs late, in order. */
  'stall',
  /** A node is down for minutes: its peers retry, give up and time out many times over. */
  'outage',
  /** A client crashes and never comes back. */
  'leave-client',
  /** A central manager crashes and never comes back (at most one per run). */
  'leave-cm',
  /** Forged frames, through the validator: a client's to the CMs and to other clients, a CM identity's to clients (sim/hostile.ts). */
  'hostile',
  /**
   * Some machines lose power: their nodes crash and their disks keep only what was flushed (and
   * a torn part of the rest). Survived only at `disk` durability, so `all` holds it only there.
   */
  'power',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface NemesisOptions {
  faults: readonly FaultKind[];
  /** How many faults the run injects before it lets the cluster settle. */
  faultCount: number;
  /** Quiet time before the first fault and between a heal and the next fault. */
  gapMinMs: number;
  gapMaxMs: number;
  /** How long a node stays down or a partition lasts. */
  downMinMs: number;
  downMaxMs: number;
  stallMinMs: number;
  stallMaxMs: number;
  outageMinMs: number;
  outageMaxMs: number;
}

export const NEMESIS_DEFAULTS: Omit<NemesisOptions, 'faults'> = {
  faultCount: 4,
  gapMinMs: 20,
  gapMaxMs: 300,
  downMinMs: 20,
  downMaxMs: 500,
  stallMinMs: 200,
  stallMaxMs: 5_000,
  outageMinMs: 60_000,
  outageMaxMs: 180_000,
};

/** Every fault a run at this durability must survive: a power cut only at `disk`. */
export function allFaults(durability: Durability): FaultKind[] {
  return FAULT_KINDS.filter((k) => k !== 'power' || durability === 'disk');
}

export function parseFaults(spec: string, durability: Durability = DURABILITY_DEFAULT): FaultKind[] {
  if (spec === 'none' || spec === '') return [];
  if (spec === 'all') return allFaults(durability);
  return spec.split(',').map((f) => {
    if (!(FAULT_KINDS as readonly string[]).includes(f)) {
      throw new Error(`unknown fault ${JSON.stringify(f)}; use all, none or ${FAULT_KINDS.join(',')}`);
    }
    return f as FaultKind;
  });
}

export class Nemesis {
  private injected = 0;
  private cmLeft = false;

  constructor(
    readonly opts: NemesisOptions,
    private readonly rng: Rng,
  ) {}

  get active(): boolean {
    return this.opts.faults.length > 0;
  }

  /** The next fault, or null when the run's share is used up. */
  next(): FaultKind | null {
    const kinds = this.cmLeft ? this.opts.faults.filter((k) => k !== 'leave-cm') : this.opts.faults;
    if (this.injected >= this.opts.faultCount || kinds.length === 0) return null;
    this.injected += 1;
    const kind = this.rng.pick(kinds);
    if (kind === 'leave-cm') this.cmLeft = true;
    return kind;
  }

  gapMs(): number {
    return Math.round(this.rng.between(this.opts.gapMinMs, this.opts.gapMaxMs));
  }

  downMs(kind: FaultKind): number {
    const o = this.opts;
    if (kind === 'outage') return Math.round(this.rng.between(o.outageMinMs, o.outageMaxMs));
    if (kind === 'stall') return Math.round(this.rng.between(o.stallMinMs, o.stallMaxMs));
    return Math.round(this.rng.between(o.downMinMs, o.downMaxMs));
  }
}
