// What a tab node says of its PeerJS errors.

/**
 * A PeerJS error as a person reads it. A peer not on the PeerServer is the everyday case (a node
 * not started yet, or whose tab closed): the mesh dials it again, so it is news, not an error.
 */
export function peerErrorText(id: string, type: string, message: string): string {
  const absent = type === 'peer-unavailable' ? /Could not connect to peer (.+)$/.exec(message)?.[1] : undefined;
  if (absent !== undefined) return `${id}: ${absent} is not on the PeerServer (not started yet, or its tab closed); it is dialled again`;
  return `${id}: PeerJS ${type}: ${message}`;
}
