// Chart specs from experiment results, as plain data: which bars and lines to draw. The chart
// component hands them to chart.js; tests read them directly.
import { OP_CLASSES, type OpClass } from '../../experiments/types.ts';

const CLASS_LABEL: Record<OpClass, string> = {
  readHit: 'read hit',
  readFault: 'read fault',
  writeHit: 'write hit',
  writeFault: 'write fault',
};

export interface LatencyLike {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** What the panel needs of one scenario's result (the experiments' ScenarioResult fits it). */
export interface ResultLike {
  name: string;
  issued: number;
  ok: number;
  completion: number;
  throughputOpsPerS: number;
  messagesPerOpTotal: number;
  linearizable: boolean;
  latency: Record<OpClass, LatencyLike>;
  faults: { unavailableMs?: number | null }[];
}

/** A run of one scenario, or one point of a sweep (`sweep` names the parameter, `x` its value). */
export interface PlotPoint {
  result: ResultLike;
  sweep?: string;
  x?: number;
}

export interface Dataset {
  label: string;
  data: (number | null)[];
}

export interface ChartSpec {
  id: string;
  title: string;
  kind: 'bar' | 'line';
  labels: string[];
  datasets: Dataset[];
  yTitle: string;
  xTitle?: string;
  logY?: boolean;
}

const scenarios = (points: readonly PlotPoint[]): ResultLike[] => points.filter((p) => p.sweep === undefined).map((p) => p.result);

/** p50 and p99 per operation kind, one group of bars per scenario. */
export function latencyChart(points: readonly PlotPoint[]): ChartSpec {
  const rs = scenarios(points);
  const datasets = OP_CLASSES.flatMap((c) => [
    { label: `${CLASS_LABEL[c]} p50`, data: rs.map((r) => r.latency[c].p50Ms) },
    { label: `${CLASS_LABEL[c]} p99`, data: rs.map((r) => r.latency[c].p99Ms) },
  ]).filter((d) => d.data.some((v) => v !== null));
  return {
    id: 'latency',
    title: 'latency per operation kind (p50, p99)',
    kind: 'bar',
    labels: rs.map((r) => r.name),
    datasets,
    yTitle: 'ms',
    logY: true,
  };
}

export function throughputChart(points: readonly PlotPoint[]): ChartSpec {
  const rs = scenarios(points);
  return {
    id: 'throughput',
    title: 'throughput and completion per scenario',
    kind: 'bar',
    labels: rs.map((r) => r.name),
    datasets: [{ label: 'ok operations / s', data: rs.map((r) => r.throughputOpsPerS) }],
    yTitle: 'ops/s',
  };
}

export function unavailabilityChart(points: readonly PlotPoint[]): ChartSpec | null {
  const rs = scenarios(points).filter((r) => r.faults.some((f) => typeof f.unavailableMs === 'number'));
  if (rs.length === 0) return null;
  const most = Math.max(...rs.map((r) => r.faults.length));
  const datasets = Array.from({ length: most }, (_, i) => ({
    label: `fault ${i + 1}`,
    data: rs.map((r) => r.faults[i]?.unavailableMs ?? null),
  }));
  return {
    id: 'unavailable',
    title: 'unavailability after each fault (kill → first op served)',
    kind: 'bar',
    labels: rs.map((r) => r.name),
    datasets,
    yTitle: 'ms',
  };
}

/** Two line charts per sweep: throughput, and fault latency (p50), against the swept parameter. */
export function sweepCharts(points: readonly PlotPoint[]): ChartSpec[] {
  const bySweep = new Map<string, PlotPoint[]>();
  for (const p of points) if (p.sweep !== undefined && p.x !== undefined) bySweep.set(p.sweep, [...(bySweep.get(p.sweep) ?? []), p]);
  return [...bySweep].flatMap(([sweep, ps]) => {
    const sorted = [...ps].sort((a, b) => (a.x ?? 0) - (b.x ?? 0));
    const labels = sorted.map((p) => String(p.x));
    return [
      {
        id: `sweep-${sweep}-throughput`,
        title: `${sweep} sweep: throughput`,
        kind: 'line' as const,
        labels,
        xTitle: sweep,
        yTitle: 'ok ops/s',
        datasets: [{ label: 'throughput', data: sorted.map((p) => p.result.throughputOpsPerS) }],
      },
      {
        id: `sweep-${sweep}-latency`,
        title: `${sweep} sweep: fault latency (p50)`,
        kind: 'line' as const,
        labels,
        xTitle: sweep,
        yTitle: 'ms',
        datasets: [
          { label: 'read fault', data: sorted.map((p) => p.result.latency.readFault.p50Ms) },
          { label: 'write fault', data: sorted.map((p) => p.result.latency.writeFault.p50Ms) },
        ],
      },
    ];
  });
}

export function allCharts(points: readonly PlotPoint[]): ChartSpec[] {
  if (points.length === 0) return [];
  const u = unavailabilityChart(points);
  const base = scenarios(points).length > 0 ? [latencyChart(points), throughputChart(points), ...(u ? [u] : [])] : [];
  return [...base, ...sweepCharts(points)];
}
