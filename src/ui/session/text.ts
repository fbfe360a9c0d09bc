// Text the views draw from what users and nodes hand them: cut to a length with an ellipsis
// (a 1 MB page content must not become a 6-million-pixel label), and request ids shown readably.

/** A console line is at most this long: a pasted megabyte is echoed as its start and an ellipsis. */
export const CONSOLE_LINE_MAX = 400;

/** The text on one line, at most `max` characters, the cut marked with an ellipsis. */
export function ellipsize(text: string, max: number): string {
  const flat = text.length > max * 4 ? text.slice(0, max * 4) : text;
  const line = flat.replace(/[\r\n\t]+/g, ' ');
  if (max <= 0) return '';
  return line.length > max || flat.length < text.length ? `${line.slice(0, Math.max(0, max - 1))}…` : line;
}

/** Sequence numbers this long are a restarted client's (it numbers on from the clock's milliseconds). */
const LONG_SEQ_DIGITS = 7;
const SEQ_TAIL_DIGITS = 4;
const REQ = /^(c\d+):(\d+)$/;

/** `c3:1796068051308` as `c3:…1308`; short ids as they are. The full id goes in a tooltip. */
export function readableReq(req: string): string {
  const m = REQ.exec(req);
  if (!m || (m[2]?.length ?? 0) < LONG_SEQ_DIGITS) return req;
  return `${m[1]}:…${m[2]?.slice(-SEQ_TAIL_DIGITS)}`;
}

/** A request filter as typed: a prefix of the id, or of the id as the views show it. */
export function reqMatches(req: string | null, typed: string): boolean {
  if (req === null) return false;
  return req.startsWith(typed) || readableReq(req).startsWith(typed);
}
