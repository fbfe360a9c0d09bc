// Carries out one console line against a node and answers with the lines to show.
import type { OpResult } from '../protocol/node.ts';
import type { NodeState } from '../host/make-node.ts';
import { parseCommand } from './commands.ts';
import { describeResult, printLines } from './format.ts';

/** The part of a node handle the console needs; tests pass a fake. */
export interface CommandTarget {
  readPage(page: string): Promise<OpResult>;
  writePage(page: string, content: string): Promise<OpResult>;
  snapshot(): Promise<NodeState>;
  /** A CM's answer to `forget <member>` (an answer starting "error:" is a refusal). */
  forget(member: string): Promise<string>;
}

export interface Answer {
  ok: boolean;
  lines: string[];
}

/** How many requests the seed's `x` makes, and over how many pages (P1...). */
export const RANDOM_REQUESTS = 10;
export const RANDOM_PAGES = 10;

/** The seed's `x`: ten requests one after another, each a read or a write of a random page. */
export async function randomRequests(node: CommandTarget, random: () => number): Promise<Answer> {
  const lines: string[] = [];
  let failed = 0;
  for (let i = 1; i <= RANDOM_REQUESTS; i++) {
    const page = `P${1 + Math.floor(random() * RANDOM_PAGES)}`;
    const write = random() < 0.5;
    const r = write
      ? describeResult('write', page, await node.writePage(page, `x${i}-${Math.floor(random() * 1000)}`))
      : describeResult('read', page, await node.readPage(page));
    if (!r.ok) failed += 1;
    lines.push(r.text);
  }
  lines.push(`${RANDOM_REQUESTS} random requests: ${RANDOM_REQUESTS - failed} served, ${failed} failed`);
  return { ok: failed === 0, lines };
}

export async function runCommand(line: string, node: CommandTarget): Promise<Answer> {
  const command = parseCommand(line);
  try {
    switch (command.kind) {
      case 'invalid':
        return { ok: false, lines: [`error: ${command.error}`] };
      case 'print':
        return { ok: true, lines: printLines(await node.snapshot()) };
      case 'forget': {
        const answer = await node.forget(command.member);
        return { ok: !answer.startsWith('error:'), lines: [answer] };
      }
      case 'read': {
        const r = describeResult('read', command.page, await node.readPage(command.page));
        return { ok: r.ok, lines: [r.text] };
      }
      case 'write': {
        const r = describeResult('write', command.page, await node.writePage(command.page, command.content));
        return { ok: r.ok, lines: [r.text] };
      }
      case 'random':
        return await randomRequests(node, Math.random);
    }
  } catch (e) {
    return { ok: false, lines: [`error: ${(e as Error).message}`] };
  }
}
