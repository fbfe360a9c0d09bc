// How an error reads in a log line or an answer: a platform error's name says what its message
// often does not (a QuotaExceededError may come with an empty message), and a full quota is
// said in words a person can act on.

/** The platform's refusal to store more: the origin's quota, or the device, is full. */
export function isQuotaError(e: Error): boolean {
  return e.name === 'QuotaExceededError';
}

export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (isQuotaError(e)) {
    const detail = e.message ? `: ${e.message}` : '';
    return `the browser's storage quota for this site is full (QuotaExceededError${detail}): free space or delete other sites' data`;
  }
  if (!e.message) return e.name;
  return e.name && e.name !== 'Error' && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
}
