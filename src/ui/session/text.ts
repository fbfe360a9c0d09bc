// Request ids shown readably in the views, and filtered as the user types them.

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
