// Text for people: operation outcomes and the `print` tables, as plain strings. Rendering them
// as text (never markup) is the components' job; Lit escapes whatever is bound.
import type { ClientSnapshot } from '../protocol/client.ts';
import type { ManagerSnapshot } from '../protocol/manager.ts';
import type { OpKind, OpResult } from '../protocol/node.ts';
import { ellipsize, showControls } from './text.ts';

/** The part of a node's state that `print` and the card tables show. NodeState fits it. */
export type PrintableState =
  { role: 'cm'; snapshot: Pick<ManagerSnapshot, 'id' | 'pages'> } | { role: 'client'; snapshot: Pick<ClientSnapshot, 'id' | 'pages'> };

/** How much of a user's input or a page's content a console line or result repeats. */
export const ECHO_MAX = 200;
const PAGE_ECHO_MAX = 70;

export function describeResult(kind: OpKind, pageId: string, result: OpResult): { ok: boolean; text: string } {
  const page = ellipsize(pageId, PAGE_ECHO_MAX);
  const value = result.ok && result.value !== null ? ellipsize(result.value, ECHO_MAX) : null;
  if (!result.ok) {
    const doubt = result.certain ? '' : ' (it may still have taken effect)';
    return { ok: false, text: `error: ${kind === 'read' ? 'readPage' : 'writePage'} ${page} failed: ${result.error}${doubt}` };
  }
  // A read answered without a lease (just after a takeover) leaves no copy: `print` would show
  // none, and saying so here keeps the two from seeming to disagree.
  const how = result.local ? 'local copy' : result.unkept ? 'via the CM; no copy kept until this client holds a lease' : 'via the CM';
  if (kind === 'write') return { ok: true, text: `${page} written: ${value ?? ''} (${how})` };
  if (value === null) return { ok: true, text: `${page} has not been written yet` };
  return { ok: true, text: `${page}: ${value} (${how})` };
}

export const NO_OWNER = '-';

export function cmRows(s: Pick<ManagerSnapshot, 'pages'>): string[][] {
  return s.pages.map((p) => [
    p.page,
    p.owner ?? NO_OWNER,
    p.copySet.join(', ') || NO_OWNER,
    [...(p.active ? [`${p.active.req} (${p.active.kind}, active)`] : []), ...p.queued].join(', ') || NO_OWNER,
    p.note ?? NO_OWNER,
  ]);
}

/** `note` says why a page waits after a takeover ("waiting for c3 to report", "lost with c3"). */
export const CM_HEADERS = ['page', 'owner', 'copy set', 'queued requests', 'note'];

/** A read of a never-written page leaves an empty read copy: nothing to list. */
export function clientRows(s: Pick<ClientSnapshot, 'pages'>): string[][] {
  return s.pages
    .filter((p) => p.content !== null || p.owner)
    .map((p) => [p.page, p.content === null ? '(empty)' : showControls(p.content), p.access, p.owner ? 'yes' : 'no']);
}

export const CLIENT_HEADERS = ['page', 'content', 'access', 'owner'];

const PRINT_CELL_MAX = 60;

/** The lines `print` answers with: a fixed-width table, or a line saying it is empty. */
export function printLines(state: PrintableState): string[] {
  const [title, headers, rows] =
    state.role === 'cm'
      ? [`${state.snapshot.id} metadata`, CM_HEADERS, cmRows(state.snapshot)]
      : [`${state.snapshot.id} page store`, CLIENT_HEADERS, clientRows(state.snapshot)];
  if (rows.length === 0) return [`${title}: no pages yet`];
  const cells = [headers, ...rows].map((r) => r.map((c) => ellipsize(c, PRINT_CELL_MAX)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  return [`${title}:`, ...cells.map(line)];
}
