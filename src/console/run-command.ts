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
    }
  } catch (e) {
    return { ok: false, lines: [`error: ${(e as Error).message}`] };
  }
}
