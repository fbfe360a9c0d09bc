// The seed's terminal commands, parsed without side effects so the console and its tests agree.
// Page ids and content are checked by the protocol core, not here: one rule, one place.

export type Command =
  | { kind: 'read'; page: string }
  | { kind: 'write'; page: string; content: string }
  | { kind: 'print' }
  | { kind: 'invalid'; error: string };

export const USAGE = 'usage: writePage <page> <content> | readPage <page> | print';

/** Content is everything after the page id, inner spaces kept, so `writePage P1 a b` writes "a b". */
export function parseCommand(line: string): Command {
  const text = line.trim();
  const match = /^(\S+)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(text);
  if (!match) return { kind: 'invalid', error: `empty command; ${USAGE}` };
  const [, name = '', page, rest] = match;
  switch (name.toLowerCase()) {
    case 'readpage':
      if (page === undefined || rest !== undefined) return { kind: 'invalid', error: `readPage takes one page id; ${USAGE}` };
      return { kind: 'read', page };
    case 'writepage':
      if (page === undefined || rest === undefined) {
        return { kind: 'invalid', error: `writePage takes a page id and content; ${USAGE}` };
      }
      return { kind: 'write', page, content: rest };
    case 'print':
      if (page !== undefined) return { kind: 'invalid', error: `print takes no arguments; ${USAGE}` };
      return { kind: 'print' };
    default:
      return { kind: 'invalid', error: `unknown command ${JSON.stringify(name.slice(0, 40))}; ${USAGE}` };
  }
}
