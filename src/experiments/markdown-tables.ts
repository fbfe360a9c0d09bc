// The detailed tables under the targets: scenarios, messages per operation, faults, baselines
// and sweeps.
import type { MessageType } from '../protocol/messages.ts';
import { cell, fmtMs, fmtPct, fmtRate, latencyCell, table } from './format.ts';
import type { StepResult } from './run-step.ts';
import { find, median, type Found } from './targets.ts';
import { completionCell } from './flag-tables.ts';
import { failedSteps } from './failed-steps.ts';
import { hasLeave, leaveSection } from './leave-tables.ts';
import { suite } from './suite.ts';
import type { LatencySummary, OpClass, ScenarioResult } from './types.ts';

const isMain = (id: string): boolean => !id.startsWith('sweep-');

function linearCell(r: ScenarioResult): string {
  if (r.linearizable) return 'yes';
  const note = r.checkerNote ? ` (${cell(r.checkerNote.slice(0, 160))}…)` : '';
  return r.checkerUndecided ? `undecided${note}` : `**no**${note}`;
}

function scenarioTable(rs: readonly ScenarioResult[]): string {
  return table(
    ['scenario', 'ok / issued', 'read hit', 'read fault', 'write hit', 'write fault', 'total s', 'ops/s', 'msgs/op', 'linearizable'],
    rs.map((r) => [
      r.name,
      completionCell(r),
      latencyCell(r.latency.readHit),
      latencyCell(r.latency.readFault),
      latencyCell(r.latency.writeHit),
      latencyCell(r.latency.writeFault),
      (r.totalMs / 1000).toFixed(2),
      fmtRate(r.throughputOpsPerS),
      r.messagesPerOpTotal.toFixed(2),
      linearCell(r),
    ]),
  );
}

function messagesTable(rs: readonly ScenarioResult[]): string {
  const types = [...new Set(rs.flatMap((r) => Object.keys(r.messagesPerOp) as MessageType[]))].sort();
  return table(
    ['scenario', ...types],
    rs.map((r) => [r.name, ...types.map((t) => (r.messagesPerOp[t] ?? 0).toFixed(3))]),
  );
}

function faultTable(rs: readonly ScenarioResult[]): string {
  // Runs in which a client leaves have their own table (leave-tables.ts).
  const withFaults = rs.filter((r) => r.faults.length > 0 && !hasLeave(r));
  return table(
    [
      'scenario',
      'faults (ms after start; unavailability in ms after a kill)',
      'issued while no CM ran',
      'completion outside outages',
      'failure reasons',
    ],
    withFaults.map((r) => [
      r.name,
      r.faults
        .map(
          (f) =>
            `${f.action} ${f.node} @${fmtMs(f.atMs)}${f.roleWhenKilled ? ` (${f.roleWhenKilled})` : ''}` +
            `${f.applied ? '' : ' not applied'}${f.unavailableMs !== undefined ? ` → ${fmtMs(f.unavailableMs)}` : ''}${f.leftNoCm ? ' [no CM left]' : ''}`,
        )
        .join('; '),
      String(r.issuedWhileBothDown),
      fmtPct(r.completionOutsideOutages),
      cell(r.errors.map((e) => `${e.count}× ${e.error}`).join('; ')) || '–',
    ]),
  );
}

/**
 * What store-before-send costs at each durability level: fault-tolerant Ivy whose nodes commit
 * to their logs before any output that depends on the commit leaves, at `process` (ft) and
 * `disk` (ft-disk), against the same runs with no disk at all (ft-nopersist); what a commit
 * costs in each shape on this disk; and a write hit as a client's pages grow, with its recovery.
 */
function durabilitySection(f: Found, results: readonly StepResult[]): string[] {
  const gated = f.scenarios((id) => /^ft-\d+$/.test(id));
  const flushed = f.scenarios((id) => /^ft-disk-\d+$/.test(id));
  const memory = f.scenarios((id) => /^ft-nopersist-\d+$/.test(id));
  const out: string[] = [];
  if (gated.length > 0 && memory.length > 0) {
    const p50 = (rs: ScenarioResult[], c: OpClass) => median(rs.flatMap((r) => (r.latency[c].p50Ms === null ? [] : [r.latency[c].p50Ms])));
    const rate = (rs: ScenarioResult[]) => median(rs.map((r) => r.throughputOpsPerS));
    const x = (a: number | null, b: number | null): string => (a !== null && b !== null && b !== 0 ? `${(a / b).toFixed(2)}x` : '–');
    const row = (label: string, get: (rs: ScenarioResult[]) => number | null, fmt: (v: number | null) => string): string[] => {
      const [a, d, m] = [get(gated), get(flushed), get(memory)];
      return [label, fmt(a), flushed.length > 0 ? fmt(d) : '–', fmt(m), x(a, m), flushed.length > 0 ? x(d, m) : '–'];
    };
    const ms = (v: number | null) => `${fmtMs(v)} ms`;
    out.push(
      `### Durability before acknowledgement (medians of ${gated.length} runs each, 10 clients, 10 pages, 50% reads)`,
      '',
      'Every host commits the entries a step changed to its log before any output that depends on them leaves: at `process` ' +
        'durability written to the operating system, at `disk` also flushed to the device (docs/fault-tolerance.md). ' +
        'Without a disk nothing waits and nothing survives a crash.',
      '',
      table(
        ['p50 / throughput', 'process (ft)', 'disk (ft-disk)', 'no disk (ft-nopersist)', 'process / no disk', 'disk / no disk'],
        [
          row('write hit', (rs) => p50(rs, 'writeHit'), ms),
          row('write fault', (rs) => p50(rs, 'writeFault'), ms),
          row('read hit', (rs) => p50(rs, 'readHit'), ms),
          row('read fault', (rs) => p50(rs, 'readFault'), ms),
          row('throughput', rate, (v) => `${fmtRate(v ?? 0)} ops/s`),
        ],
      ),
    );
  }
  const disk = results.find((r) => r.kind === 'disk');
  if (disk?.kind === 'disk') {
    out.push(
      '',
      `What one commit costs on this disk, from a dedicated worker (${disk.result.config.runMs} ms per shape, median of ` +
        `${disk.result.config.rounds} interleaved rounds; the log's commits include its record, checksum and write window):`,
      '',
      table(
        ['shape', 'records / s', 'µs each'],
        disk.result.figures.map((g) => [g.shape, fmtRate(g.recordsPerS), g.usPerRecord.toFixed(1)]),
      ),
    );
  }
  const owned = results.find((r) => r.kind === 'owned-pages');
  if (owned?.kind === 'owned-pages') {
    const o = owned.result;
    out.push(
      '',
      `A write hit as the pages one client owns grow (${o.config.bytes} bytes each, ${o.config.hits} timed hits per point, ` +
        `${o.config.durability ?? 'process'} durability): a commit appends the page that changed, whatever else the client holds. ` +
        `Killed with ${o.recoveredPages} pages, the client read its state back in ${fmtMs(o.recoveryMs)} ms, and answered its ` +
        `first read ${fmtMs(o.backMs)} ms after its restart began (its worker started, its first commit a snapshot of everything).`,
      '',
      table(
        ['pages owned', 'write hit p50 / p99 / max (ms)', 'served through the CM', 'failed'],
        o.points.map((p) => [String(p.owned), latencyCell(p.writeHit), String(p.notLocal), String(p.failures)]),
      ),
    );
  }
  return out;
}

function baselineSection(f: Found): string[] {
  const ping = f.ping();
  const stores = ['central-store-50', 'central-store-90'].flatMap((id) => {
    const s = f.store(id);
    return s ? [s] : [];
  });
  return [
    '### Baselines',
    '',
    ping
      ? `One hop between two workers: ping round trip over a MessagePort, ${ping.count} pings back to back: ` +
        `${latencyCell(ping.rtt)} ms (one way ≈ ${fmtMs(ping.oneWayMs)} ms); ${ping.spacedCount} pings each after 5 ms idle: ` +
        `${latencyCell(ping.spacedRtt)} ms.`
      : 'Ping: not run.',
    '',
    table(
      ['central store (one store worker, every op a round trip)', 'ok / issued', 'read', 'write', 'ops/s', 'linearizable'],
      stores.map((s) => [
        `${s.config.clients} clients, ${s.config.readRatio * 100}% reads, ${s.config.pages} pages`,
        `${s.ok}/${s.issued}`,
        latencyCell(s.read),
        latencyCell(s.write),
        fmtRate(s.throughputOpsPerS),
        s.linearizable ? 'yes' : '**no**',
      ]),
    ),
  ];
}

function sweepSection(results: readonly StepResult[]): string[] {
  const points = results.flatMap((r) => (r.kind === 'scenario' && r.id.startsWith('sweep-') ? [r.result] : []));
  const copy = find(results).copySet();
  const memory = find(results).copySet('copy-set-nopersist');
  const fault = (p: { writeFault: LatencySummary } | undefined): string => (p ? latencyCell(p.writeFault) : '–');
  return [
    '### Sweeps (fault-tolerant Ivy, 10 clients, 10 pages, 50% reads unless swept)',
    '',
    table(
      ['swept', 'ok / issued', 'read fault', 'write fault', 'ops/s', 'msgs/op', 'linearizable'],
      points.map((r) => [
        r.name.replace('sweep-', ''),
        `${r.ok}/${r.issued}`,
        latencyCell(r.latency.readFault),
        latencyCell(r.latency.writeFault),
        fmtRate(r.throughputOpsPerS),
        r.messagesPerOpTotal.toFixed(2),
        linearCell(r),
      ]),
    ),
    '',
    `Copy-set size against write-fault latency (${copy?.config.repeats ?? 0} timed writes per size, one operation at a time on an idle cluster):`,
    '',
    table(
      ['readers holding a copy', 'write fault', 'read fault (the readers)', 'failures', 'write fault without IndexedDB'],
      (copy?.points ?? []).map((p) => [
        String(p.readers),
        latencyCell(p.writeFault),
        latencyCell(p.readFault),
        String(p.failures),
        fault(memory?.points.find((q) => q.readers === p.readers)),
      ]),
    ),
  ];
}

/** Each scenario run in both placements, side by side: a worker per node, and packed. */
function placementSection(f: Found): string[] {
  const packed = f.scenarios((id) => id.endsWith('-packed'));
  const pairs = packed.flatMap((p) => {
    const own = f.scenario(p.name.replace(/-packed$/, ''));
    return own ? [[own, p] as const] : [];
  });
  if (pairs.length === 0) return [];
  const rate = (r: ScenarioResult): string =>
    `${fmtRate(r.throughputOpsPerS)} (${r.ok}/${r.issued}, fault p50 ${fmtMs(r.faultLatency.p50Ms)} ms, ${linearCell(r)})`;
  return [
    '### Placement: a worker per node against packed (one worker per core, neighbours linked in memory)',
    '',
    table(
      ['scenario', 'a worker per node: ops/s', 'packed: ops/s', 'packed / per node'],
      pairs.map(([own, p]) => [
        own.name,
        rate(own),
        rate(p),
        own.throughputOpsPerS > 0 ? `${(p.throughputOpsPerS / own.throughputOpsPerS).toFixed(2)}x` : '–',
      ]),
    ),
  ];
}

/** The tab-mode rows (scenarios 1 and 3, and the leave scenarios, with a tab per node). */
export function tabSection(results: readonly StepResult[]): string[] {
  const rs = results.flatMap((r) => (r.kind === 'tab' ? [r.result] : []));
  const only = `\`npm run experiments -- --only ${suite(false)
    .filter((s) => s.kind === 'tab')
    .map((s) => s.id)
    .join(',')}\``;
  if (rs.length === 0) {
    const failed = failedSteps(results).filter((f) => f.result.step === 'tab');
    return [
      '### Tab mode',
      '',
      failed.length > 0
        ? `No tab step finished: ${failed.map((f) => f.id).join(', ')} failed (see FAILED above; ${only} runs them again).`
        : `Not run yet: the tab-mode (PeerJS over WebRTC) run of scenarios 1 and 3 and the leave scenarios (${only}).`,
    ];
  }
  const c = rs[0]!.config;
  return [
    `### Tab mode (PeerJS over WebRTC; cm1, cm2 and ${c.clients} client tabs, ${c.pages} pages, ${c.readRatio * 100}% reads)`,
    '',
    `Every node is its own tab in one headless Chromium context, linked peer to peer through the preview server's PeerServer; ` +
      `only ${c.clients} clients (not 10), since every tab is a renderer process on 2 cores. Each client tab runs its random ` +
      'operations in a loop inside the tab, timed there (performance.timeOrigin + performance.now()); the primary fails by ' +
      'closing its tab and restarts as a new tab choosing restartCM. Unavailability: tab closed → the first operation issued ' +
      "after it that needed a CM, done. The restart scenario's clients run until 1 s after the restarted primary acts. " +
      'In the leave scenarios a client tab closes for good (see the table above). ' +
      `Messages are not counted across tabs. Run alone by ${only} ` +
      '(raw figures then in `results/tab-mode.json`, which replaces these rows of the full run).',
    '',
    table(
      [
        'scenario',
        'ok / issued',
        'read hit',
        'read fault',
        'write hit',
        'write fault',
        'total s',
        'ops/s',
        'faults (ms after start → unavailability ms)',
        'linearizable',
      ],
      rs.map((r) => [
        r.name,
        completionCell(r),
        latencyCell(r.latency.readHit),
        latencyCell(r.latency.readFault),
        latencyCell(r.latency.writeHit),
        latencyCell(r.latency.writeFault),
        (r.totalMs / 1000).toFixed(2),
        fmtRate(r.throughputOpsPerS),
        r.faults
          .map((f) => `${f.action} ${f.node} @${fmtMs(f.atMs)}${f.unavailableMs !== undefined ? ` → ${fmtMs(f.unavailableMs)}` : ''}`)
          .join('; ') || '–',
        linearCell(r),
      ]),
    ),
  ];
}

export function detailSections(results: readonly StepResult[]): string[] {
  const f = find(results);
  const main = f.scenarios(isMain);
  return [
    '### Scenarios (10 clients, 10 pages; latencies p50 / p99 / max in ms)',
    '',
    scenarioTable(main),
    '',
    '### Messages per operation, by type',
    '',
    messagesTable(main),
    '',
    '### Faults and unavailability',
    '',
    faultTable(main),
    '',
    ...leaveSection(results),
    '',
    ...durabilitySection(f, results),
    '',
    ...placementSection(f),
    '',
    ...baselineSection(f),
    '',
    ...sweepSection(results),
    '',
    ...tabSection(results),
  ];
}
