// Random ids and nonces as hex text, from the platform's cryptographic generator.
import { bytesToHex } from '@noble/hashes/utils.js';

/** `bytes` random bytes as 2 × `bytes` lowercase hex digits. */
export function randomHex(bytes: number): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));
}
