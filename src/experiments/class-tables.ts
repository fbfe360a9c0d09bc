// The departure figures per page class (page-classes.ts) as a table: for each leave run, from
// the departure and from the CM failure after it, each class's completion and how long until
// its pages served requests again. The closing note quotes them.
import { fmtMs, fmtPct, table } from './format.ts';
import type { LeaveRun } from './leave-tables.ts';
import type { ClassFigures } from './page-classes.ts';
import type { FaultReport } from './types.ts';

/** How the class came back; owned pages are expected to stay unavailable while their owner is away. */
export function backCell(c: ClassFigures): string {
  if (c.pages.length === 0) return '–';
  const unexpected = c.notBack.filter((p) => c.class !== 'owned' || !c.unavailable.includes(p));
  const lost = unexpected.length === 0 ? '' : `; **not back**: ${unexpected.join(', ')}`;
  if (c.backP50Ms === null) {
    if (unexpected.length === 0) return `unavailable (${c.unavailable.join(', ')})`;
    return `**never back** (${unexpected.join(', ')})`;
  }
  const held = c.class === 'owned' && c.unavailable.length > 0 ? `; unavailable: ${c.unavailable.join(', ')}` : '';
  return `${fmtMs(c.backP50Ms)} / ${fmtMs(c.backMaxMs)} ms${held}${lost}`;
}

function rows(name: string, cluster: string, event: string, f: FaultReport | undefined): string[][] {
  return (f?.byClass ?? [])
    .filter((c) => c.pages.length > 0)
    .map((c) => [
      name,
      cluster,
      event,
      c.class,
      c.pages.join(', '),
      c.issued === 0 ? '–' : `${c.ok}/${c.issued} (${fmtPct(c.ok / c.issued)})`,
      backCell(c),
    ]);
}

export function classSection(runs: readonly LeaveRun[]): string[] {
  const body = runs.flatMap((r) => [
    ...rows(r.result.name, r.cluster, `${r.leave.node} left`, r.leave),
    ...rows(r.result.name, r.cluster, `${r.cmKill?.node ?? ''} failed`, r.cmKill),
  ]);
  if (body.length === 0) return [];
  return [
    '#### Per page class',
    '',
    'Classes from what the run did: **owned**, pages the departed client issued a write on (it may hold them); ' +
      '**read-copied**, pages it only read (a read copy under its lease at most); **never-written**, pages nobody had ' +
      'issued a write on before the event; **others**, the rest. Each side keeps to its pages until the departure and ' +
      'some pages are left untouched until it, or until the CM failure after it (page-layout.ts), so that every class ' +
      "exists. From each event to the next: the remaining clients' operations on the class, and the event → each " +
      "page's first success that needed a CM, done (p50 / max over the class's pages). Owned pages are expected to stay " +
      'unavailable while their owner is away; any other page that does not come back is marked.',
    '',
    table(['scenario', 'cluster', 'from', 'class', 'pages asked for', 'ok / issued', 'back after (p50 / max)'], body),
  ];
}
