// How records lie in a file: each is a frame of
//
//   length (u32, little-endian) | checksum (u32, CRC-32 of the length's 4 bytes and the payload) | payload
//
// The checksum covers the length, so a run of zeros (a hole a power loss left) is no frame: a
// zero length's checksum is not zero. Reading stops at the first frame that is cut short or
// whose checksum fails, and everything from there on is the torn tail: a file is only ever
// appended to, so a bad frame can only follow the last good one, never precede it.
import { crc32 } from './crc32.ts';

export const FRAME_HEADER_BYTES = 8;
/** No record is larger: a length beyond it is garbage, not a record to wait for. */
export const FRAME_PAYLOAD_MAX = 1 << 30;

/** One payload as a frame. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  out.set(payload, FRAME_HEADER_BYTES);
  view.setUint32(4, crc32(payload, crc32(out.subarray(0, 4))), true);
  return out;
}

export interface Unframed {
  /** The payloads of the good frames, in order (views into the bytes read). */
  payloads: Uint8Array[];
  /** Bytes up to the end of the last good frame. */
  goodBytes: number;
  /** Bytes after it: a torn or garbled tail, dropped. */
  tornBytes: number;
}

/** Every good frame from the start of `bytes`, up to the first bad one. */
export function unframe(bytes: Uint8Array): Unframed {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let at = 0;
  while (at + FRAME_HEADER_BYTES <= bytes.length) {
    const length = view.getUint32(at, true);
    if (length === 0 || length > FRAME_PAYLOAD_MAX || at + FRAME_HEADER_BYTES + length > bytes.length) break;
    const payload = bytes.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
    if (crc32(payload, crc32(bytes.subarray(at, at + 4))) !== view.getUint32(at + 4, true)) break;
    payloads.push(payload);
    at += FRAME_HEADER_BYTES + length;
  }
  return { payloads, goodBytes: at, tornBytes: bytes.length - at };
}
