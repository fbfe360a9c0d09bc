import { describe, expect, it } from 'vitest';
import { PersistQueue } from '../../src/workers/persist-queue.ts';

/** A save whose writes finish only when the test says so. */
function gatedSave() {
  const started: string[] = [];
  const finish: Array<(ok: boolean) => void> = [];
  const save = (v: string): Promise<void> => {
    started.push(v);
    return new Promise((resolve, reject) => finish.push((ok) => (ok ? resolve() : reject(new Error(`disk full at ${v}`)))));
  };
  return { started, finish, save };
}

const turn = () => new Promise((r) => setTimeout(r, 0));

describe('PersistQueue', () => {
  it('writes one state at a time, in order, and only the latest of those that piled up', async () => {
    const { started, finish, save } = gatedSave();
    const q = new PersistQueue(save, () => {});
    q.push(() => 'a');
    q.push(() => 'b');
    q.push(() => 'c');
    await turn();
    expect(started).toEqual(['a']);
    finish[0]?.(true);
    await turn();
    expect(started).toEqual(['a', 'c']);
    q.push(() => 'd');
    finish[1]?.(true);
    await turn();
    expect(started).toEqual(['a', 'c', 'd']);
    finish[2]?.(true);
    await q.idle();
    q.push(() => 'e');
    await turn();
    expect(started).toEqual(['a', 'c', 'd', 'e']);
  });

  it('reports a failed write and goes on with the next state', async () => {
    const { started, finish, save } = gatedSave();
    const errors: string[] = [];
    const q = new PersistQueue(save, (e) => errors.push(e.message));
    q.push(() => 'a');
    q.push(() => 'b');
    await turn();
    finish[0]?.(false);
    await turn();
    expect(errors).toEqual(['disk full at a']);
    expect(started).toEqual(['a', 'b']);
    const idle = q.idle();
    finish[1]?.(true);
    await idle;
    expect(errors).toHaveLength(1);
  });
});
