// How an error reads in a log line: a platform error's name says what its message often does not
// (a QuotaExceededError may come with an empty message).

export function describeError(e: Error): string {
  if (!e.message) return e.name;
  return e.name && e.name !== 'Error' && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
}
