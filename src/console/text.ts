// Text cut to fit a line: what users and nodes hand the console and the views may be huge
// (a 1 MB page content must not become a 6-million-pixel label or a megabyte console line).

/** A console line is at most this long: a pasted megabyte is echoed as its start and an ellipsis. */
export const CONSOLE_LINE_MAX = 400;

/**
 * Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F): kept in a page's
 * content, but shown as their code points, so that a value cannot turn the rest of a line around.
 */
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The text with its bidirectional controls shown as `<U+202E>`. */
export function showControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

/** The text on one line, at most `max` characters, the cut marked with an ellipsis. */
export function ellipsize(text: string, max: number): string {
  const flat = text.length > max * 4 ? text.slice(0, max * 4) : text;
  const line = showControls(flat.replace(/[\r\n\t]+/g, ' '));
  if (max <= 0) return '';
  return line.length > max || flat.length < text.length ? `${line.slice(0, Math.max(0, max - 1))}…` : line;
}

/**
 * Numbers a console's commands, so that an answer that arrives after a later command was typed
 * (commands run at once, answers come as they finish) says which command it answers.
 */
export class CommandTickets {
  private last = 0;

  take(): number {
    return ++this.last;
  }

  /** The answer's lines; the first names its command when a later one was typed meanwhile. */
  name(ticket: number, command: string, lines: readonly string[]): string[] {
    if (ticket === this.last || lines.length === 0) return [...lines];
    return [`${ellipsize(command.trim(), 60)} → ${lines[0]}`, ...lines.slice(1)];
  }
}
