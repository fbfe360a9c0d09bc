// What the experiments take and give back: plain JSON, so that results cross from the page to
// Node (npm run experiments) or into the dashboard's charts unchanged.
import type { ReplicationMode, Timing } from '../protocol/config.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { HistoryEvent } from '../check/history.ts';
import type { MessageCounts } from '../workers/message-count.ts';
import type { Durability } from '../protocol/config.ts';
import type { Placement } from '../workers/placement.ts';
import type { ClassFigures } from './page-classes.ts';

/**
 * A fault at a time after the workload started: a CM (cm1, cm2) killed or restarted, or a client
 * that leaves for good (it stops its operations and leaves holding read copies and owning pages).
 */
export interface FaultStep {
  atMs: number;
  action: 'kill' | 'restart' | 'leave';
  node: NodeId;
}

/** What every run's workload is made of: clients issuing random reads and writes over pages. */
export interface WorkloadShape {
  name: string;
  clients: number;
  pages: number;
  /** Share of reads among the operations, 0 to 1. */
  readRatio: number;
  /** Operations each client issues (fewer when `durationMs` ends the run first). */
  opsPerClient: number;
  seed: number;
}

export interface ScenarioConfig extends WorkloadShape {
  /** False: basic Ivy, one CM and no backup. */
  backup: boolean;
  replication: ReplicationMode;
  faults: FaultStep[];
  /** Clients stop issuing this long after the start; fault scenarios run for the schedule. */
  durationMs?: number;
  /** Nodes keep their durable state (a log on OPFS, as the dashboard's do) and commit before they send. */
  persist: boolean;
  /** How far a commit goes before what depends on it leaves; the default (disk/volume.ts) if absent. */
  durability?: Durability;
  /** Return the recorded history with the result. */
  keepHistory?: boolean;
  /** Time limits for every node (e.g. the lease) other than the defaults. */
  timing?: Partial<Timing>;
  /** Where the nodes run (placement.ts); absent: a worker per node. */
  placement?: Placement;
  /**
   * With one client leaving: each side keeps to its pages until the departure (and some pages
   * until a CM fails after it), so that every page class exists (page-layout.ts).
   */
  pageClasses?: boolean;
}

export type OpClass = 'readHit' | 'readFault' | 'writeHit' | 'writeFault';
export const OP_CLASSES: readonly OpClass[] = ['readHit', 'readFault', 'writeHit', 'writeFault'];

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** What a departing client held when it stopped (pages it owned, read copies under a live lease). */
export interface Holdings {
  owned: string[];
  copies: string[];
}

export interface FaultReport extends FaultStep {
  /** What the CM was doing when killed (acting / standby / rejoining); absent for restarts. */
  roleWhenKilled?: string;
  /** Kill → the first operation that needed a CM, issued after the kill, done; null if none. */
  unavailableMs?: number | null;
  /** The kill left no CM running: the unavailability includes the outage. */
  leftNoCm?: boolean;
  applied: boolean;
  /** How long after its planned time it took effect (the page's timers and calls are not instant). */
  lateMs?: number;
  /** Why a step was not applied. */
  note?: string;
  /** A client that left: what it held at that moment. */
  held?: Holdings;
  /**
   * In a scenario where a client left: the fault → every page's first write by a remaining client,
   * issued after the fault, that needed the CM and succeeded, done (the slowest page); null if
   * some page never had one. Pages whose writes all failed naming the departed are left out.
   */
  writesBackMs?: number | null;
  /** The page that took `writesBackMs`. */
  writesBackPage?: string;
  /** Pages written after the fault whose writes all failed naming a departed client. */
  unavailablePages?: string[];
  /** Pages written after the fault on which no write that needed the CM succeeded, for another reason. */
  neverBackPages?: string[];
  /** Where one client left: from this fault (the departure, or a later one) to the next, per page class. */
  byClass?: ClassFigures[];
}

/** Failures of this kind are expected: pending in [fromMs, toMs) (ms after the start; null: the end). */
export interface Expectation {
  why: string;
  fromMs: number;
  toMs: number | null;
  /** Only on these pages; absent: any page. */
  pages?: string[];
  /** Only failing with a reason that names this member as away. */
  away?: NodeId;
}

export interface Unexplained {
  count: number;
  pages: string[];
  /** The most frequent reasons. */
  errors: Array<{ error: string; count: number }>;
}

export interface ScenarioResult {
  name: string;
  config: ScenarioConfig;
  issued: number;
  ok: number;
  failed: number;
  unknown: number;
  /** ok / issued. */
  completion: number;
  /** Operations issued while both CMs were down (expected to fail when the outage is long). */
  issuedWhileBothDown: number;
  /** ok / issued, leaving out operations issued while both CMs were down. */
  completionOutsideOutages: number;
  /** What the run expects to fail, from its faults as they happened (explained.ts). */
  expected?: Expectation[];
  /** Failures those expectations explain (absent in results written before runs stated them). */
  expectedFailures?: number;
  /** ok / (issued − expectedFailures): below 1, the run is flagged. */
  completionExceptExpected?: number;
  /** The failures nothing explains; absent when there are none. */
  unexplained?: Unexplained;
  latency: Record<OpClass, LatencySummary>;
  /** Latency of every operation that needed the CM, whatever its kind. */
  faultLatency: LatencySummary;
  totalMs: number;
  throughputOpsPerS: number;
  messagesPerOp: MessageCounts;
  messagesPerOpTotal: number;
  faults: FaultReport[];
  /** Proven linearizable by the checker. */
  linearizable: boolean;
  /** The checker hit its search limit: neither proven nor refuted (many concurrent clients per page). */
  checkerUndecided: boolean;
  /** The pages whose history was refuted or left undecided. */
  uncheckedKeys: string[];
  /** The checker's explanation when the history is not (or could not be shown) linearizable. */
  checkerNote?: string;
  /** A few failure reasons, with how often each occurred. */
  errors: Array<{ error: string; count: number }>;
  /** The clock's resolution where it ran: 0.005 when cross-origin isolated, else about 0.1. */
  clockResolutionMs: number;
  history?: HistoryEvent[];
}

/**
 * A step that threw, or did not settle in time, in place of its figures: which kind of step it
 * was, its error, when it failed (ISO 8601) and how long it had run.
 */
export interface StepFailure {
  /** The step's kind (suite.ts's Step['kind']), named here as text: suite.ts imports this file. */
  step: string;
  error: string;
  at: string;
  afterMs: number;
}

export type Progress = (event: { step: string; done: number; total: number; note?: string }) => void;
