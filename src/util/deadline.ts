// A Comlink call to a terminated worker never settles, so every control call races a deadline
// and a kill switch, and fails with a message that says which node and what.

export class ControlError extends Error {
  override name = 'ControlError';
}

export class PendingCalls {
  private readonly rejecters = new Set<(e: Error) => void>();

  /** Settles like `call`, or rejects after `ms` or when failAll() is called. */
  run<T>(call: () => Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (e: Error): void => {
        clearTimeout(timer);
        this.rejecters.delete(fail);
        reject(e);
      };
      const timer = setTimeout(() => fail(new ControlError(`${what}: no answer within ${ms} ms`)), ms);
      this.rejecters.add(fail);
      Promise.resolve()
        .then(call)
        .then(
          (v) => {
            clearTimeout(timer);
            this.rejecters.delete(fail);
            resolve(v);
          },
          (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
        );
    });
  }

  failAll(reason: string): void {
    for (const fail of [...this.rejecters]) fail(new ControlError(reason));
  }
}

/** Settles like `p`, or rejects once `ms` have passed, saying `what` took too long. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
