// The DTLS certificate fingerprints a WebRTC link was set up with, read from its session
// descriptions. The browser refuses a DTLS peer whose certificate does not match the remote
// description's `a=fingerprint`, so these two strings name the two ends of the encrypted channel.
// The key handshake signs them (handshake.ts): whoever rewrites the descriptions in transit to
// sit in the middle changes what one side or the other signs, and cannot prove it.

/** The fingerprints of one session description, normalised and sorted; null when it has none. */
export function sdpFingerprint(sdp: string): string | null {
  const seen = new Set<string>();
  for (const m of sdp.matchAll(/^a=fingerprint:([A-Za-z0-9-]+) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)\s*$/gm)) {
    seen.add(`${m[1]!.toLowerCase()} ${m[2]!.toUpperCase()}`);
  }
  return seen.size === 0 ? null : [...seen].sort().join(',');
}

export interface LinkFingerprints {
  /** This end's certificate, from the local description. */
  local: string;
  /** The other end's certificate, as the remote description says it is. */
  remote: string;
}

/** The fingerprints of a connected peer connection, or why they cannot be had. */
export function linkFingerprints(
  pc: Pick<RTCPeerConnection, 'localDescription' | 'remoteDescription'> | null | undefined,
): LinkFingerprints | { error: string } {
  if (!pc) return { error: 'no peer connection' };
  if (!pc.localDescription || !pc.remoteDescription) return { error: 'the session descriptions are not applied yet' };
  const local = sdpFingerprint(pc.localDescription.sdp);
  const remote = sdpFingerprint(pc.remoteDescription.sdp);
  if (local === null) return { error: 'no DTLS fingerprint in the local session description' };
  if (remote === null) return { error: 'no DTLS fingerprint in the remote session description' };
  return { local, remote };
}
