// How frames ride a WebRTC data channel as text. PeerJS's own serialisations either refuse
// messages over ~16 KB (json) or reassemble chunks without limits (binary), and both throw on
// garbage before we could see it; so links use PeerJS's `raw` mode and this framing:
//
//   F<json>                 a whole message
//   C<index>/<total>:<part> one part of a message split in `total` consecutive parts
//   H<json>                 a handshake message (only before the link is authenticated)
//
// The channel is reliable and ordered, so the parts of one message arrive back to back; anything
// else is a broken peer and is reported, never thrown.

/** Characters per data-channel message: at most 48 KB of UTF-8, far below Chromium's 256 KB. */
export const PART_CHARS_MAX = 16_000;
/** The largest message a link accepts, in UTF-16 code units (metadata snapshots fit easily). */
export const MESSAGE_CHARS_MAX = 16 * 1024 * 1024;

export const WHOLE = 'F';
export const PART = 'C';
export const HANDSHAKE = 'H';

/**
 * Cuts text into parts of at most `maxChars`, never between the two halves of a surrogate pair
 * (each part is encoded to UTF-8 on its own, and a lone half would turn into U+FFFD).
 */
export function splitText(text: string, maxChars: number): string[] {
  if (maxChars < 2) throw new RangeError('maxChars must be at least 2');
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxChars);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

/** The data-channel messages that carry one JSON text. */
export function encodeMessage(json: string, partChars = PART_CHARS_MAX): string[] {
  if (json.length <= partChars) return [WHOLE + json];
  const parts = splitText(json, partChars);
  return parts.map((p, i) => `${PART}${i}/${parts.length}:${p}`);
}

export type Assembled = { type: 'message'; json: string } | { type: 'bad'; error: string };

export interface AssemblyLimits {
  partCharsMax: number;
  messageCharsMax: number;
}

const PART_HEADER = /^C(\d{1,9})\/(\d{1,9}):/;

/** Turns received data-channel messages back into JSON texts, within limits. */
export class MessageAssembler {
  private parts: string[] = [];
  private total = 0;
  private chars = 0;

  constructor(private readonly limits: AssemblyLimits = { partCharsMax: PART_CHARS_MAX, messageCharsMax: MESSAGE_CHARS_MAX }) {}

  /** True while a split message is half received. */
  get pending(): boolean {
    return this.total > 0;
  }

  /** Reads one data-channel message; returns what it completes or breaks (possibly nothing). */
  push(raw: unknown): Assembled[] {
    if (typeof raw !== 'string') return [...this.abandon(), { type: 'bad', error: 'not a text message' }];
    if (raw.startsWith(WHOLE)) {
      if (raw.length - 1 > this.limits.messageCharsMax) return [...this.abandon(), { type: 'bad', error: 'message too large' }];
      return [...this.abandon(), { type: 'message', json: raw.slice(1) }];
    }
    if (raw.startsWith(PART)) return this.pushPart(raw);
    return [...this.abandon(), { type: 'bad', error: `unknown message kind ${JSON.stringify(raw.slice(0, 1))}` }];
  }

  /** A bad part ends the split message it claims to belong to: one report for both. */
  private pushPart(raw: string): Assembled[] {
    const error = this.partError(raw);
    if (error !== null) {
      this.reset();
      return [{ type: 'bad', error }];
    }
    if (this.parts.length < this.total) return [];
    const json = this.parts.join('');
    this.reset();
    return [{ type: 'message', json }];
  }

  /** Takes in one part, or says why it does not fit. */
  private partError(raw: string): string | null {
    const header = PART_HEADER.exec(raw);
    if (!header) return 'malformed part header';
    const index = Number(header[1]);
    const total = Number(header[2]);
    const part = raw.slice(header[0].length);
    const partsMax = Math.ceil(this.limits.messageCharsMax / Math.max(1, this.limits.partCharsMax - 1));
    if (total < 2 || total > partsMax) return `bad part count ${total}`;
    if (index !== this.parts.length || (this.total !== 0 && total !== this.total)) return `part ${index}/${total} out of sequence`;
    if (part.length > this.limits.partCharsMax || this.chars + part.length > this.limits.messageCharsMax) return 'message too large';
    this.total = total;
    this.parts.push(part);
    this.chars += part.length;
    return null;
  }

  /** A new message while parts were pending means the split one will never complete. */
  private abandon(): Assembled[] {
    if (this.total === 0) return [];
    const error = `split message abandoned after ${this.parts.length} of ${this.total} parts`;
    this.reset();
    return [{ type: 'bad', error }];
  }

  private reset(): void {
    this.parts = [];
    this.total = 0;
    this.chars = 0;
  }
}
