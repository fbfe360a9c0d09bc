// The seed's terminal commands, parsed without side effects so the console and its tests agree.
// Page ids and content are checked by the protocol core, not here: one rule, one place. The
// one rule of our own is shared with the card's form: content is what the user typed, spaces
// and all, and may not be empty.

export type Command =
  | { kind: 'read'; page: string }
  | { kind: 'write'; page: string; content: string }
  | { kind: 'print' }
  | { kind: 'forget'; member: string }
  /** The seed's `x`: ten random requests, reads and writes alike, over pages P1 to P10. */
  | { kind: 'random' }
  | { kind: 'invalid'; error: string };

export const USAGE =
  'usage: writePage <page> <content> | readPage <page> | x (ten random requests) | print | forget <member> (on the acting CM)';

/** Null when a write's content is acceptable to send, else why not (the form says the same). */
export function writeContentError(content: string): string | null {
  return content === '' ? `writePage takes a page id and content; ${USAGE}` : null;
}

/**
 * Content is everything after the single space that follows the page id, kept verbatim (leading
 * and trailing spaces too), so `writePage P1  a b ` writes " a b ".
 */
export function parseCommand(line: string): Command {
  const match = /^\s*(\S+)(?:\s+(\S+))?(?:\s([\s\S]*))?$/.exec(line);
  if (!match) return { kind: 'invalid', error: `empty command; ${USAGE}` };
  const [, name = '', page, rest] = match;
  const noMore = rest === undefined || rest.trim() === '';
  switch (name.toLowerCase()) {
    case 'readpage':
      if (page === undefined || !noMore) return { kind: 'invalid', error: `readPage takes one page id; ${USAGE}` };
      return { kind: 'read', page };
    case 'writepage': {
      const error = page === undefined ? writeContentError('') : writeContentError(rest ?? '');
      if (error || page === undefined) return { kind: 'invalid', error: error ?? USAGE };
      return { kind: 'write', page, content: rest ?? '' };
    }
    case 'print':
      if (page !== undefined) return { kind: 'invalid', error: `print takes no arguments; ${USAGE}` };
      return { kind: 'print' };
    case 'x':
      if (page !== undefined) return { kind: 'invalid', error: `x takes no arguments; ${USAGE}` };
      return { kind: 'random' };
    case 'forget':
      if (page === undefined || !noMore) return { kind: 'invalid', error: `forget takes one member id (c<n>, or the other CM); ${USAGE}` };
      return { kind: 'forget', member: page };
    default:
      return { kind: 'invalid', error: `unknown command ${JSON.stringify(name.slice(0, 40))}; ${USAGE}` };
  }
}
