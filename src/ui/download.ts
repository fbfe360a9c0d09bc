// Hands the user a file the page made (an exported recording), without a server round trip.
export function downloadJson(name: string, value: unknown): void {
  const blob = new Blob([JSON.stringify(value, null, 1)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `ivy-recording-2025-01-31T12-00-00.json` */
export function recordingName(at: Date): string {
  return `ivy-recording-${at.toISOString().slice(0, 19).replace(/:/g, '-')}.json`;
}
