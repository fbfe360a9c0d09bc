// The cluster console: the seed's start-up prompt ("Enter Node type ('1': CM, '2': Client,
// 'restartCM', 'restartBackup')") as commands, plus restart / kill of any node by id.
import { BACKUP_CM, NODE_ID_PATTERN, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import type { Answer } from './run-command.ts';

export type ClusterCommand =
  | { kind: 'startCm' }
  | { kind: 'startClient' }
  | { kind: 'restart'; id: NodeId }
  | { kind: 'kill'; id: NodeId }
  | { kind: 'invalid'; error: string };

export const CLUSTER_USAGE = 'usage: 1 (start CM) | 2 (start client) | restartCM | restartBackup | restart <node> | kill <node>';

export function parseClusterCommand(line: string): ClusterCommand {
  const [name = '', arg, ...extra] = line.trim().split(/\s+/);
  const bare = (c: ClusterCommand): ClusterCommand =>
    arg === undefined ? c : { kind: 'invalid', error: `${name} takes no arguments; ${CLUSTER_USAGE}` };
  switch (name.toLowerCase()) {
    case '':
      return { kind: 'invalid', error: `empty command; ${CLUSTER_USAGE}` };
    case '1':
    case 'startcm':
      return bare({ kind: 'startCm' });
    case '2':
    case 'startclient':
      return bare({ kind: 'startClient' });
    case 'restartcm':
      return bare({ kind: 'restart', id: PRIMARY_CM });
    // The seed's README spells it both ways.
    case 'restartbackup':
    case 'restartbackupcm':
      return bare({ kind: 'restart', id: BACKUP_CM });
    case 'restart':
    case 'kill': {
      if (arg === undefined || extra.length > 0 || !NODE_ID_PATTERN.test(arg)) {
        return { kind: 'invalid', error: `${name} takes one node id (cm1, cm2, c<n>); ${CLUSTER_USAGE}` };
      }
      return { kind: name.toLowerCase() === 'kill' ? 'kill' : 'restart', id: arg };
    }
    default:
      return { kind: 'invalid', error: `unknown command ${JSON.stringify(name.slice(0, 40))}; ${CLUSTER_USAGE}` };
  }
}

/** What the cluster console drives; the ClusterModel in the page, a fake in tests. */
export interface ClusterActions {
  startCm(): Promise<string>;
  startClient(): Promise<string>;
  restart(id: NodeId): Promise<string>;
  kill(id: NodeId): Promise<string>;
}

export async function runClusterCommand(line: string, actions: ClusterActions): Promise<Answer> {
  const c = parseClusterCommand(line);
  try {
    switch (c.kind) {
      case 'invalid':
        return { ok: false, lines: [`error: ${c.error}`] };
      case 'startCm':
        return { ok: true, lines: [await actions.startCm()] };
      case 'startClient':
        return { ok: true, lines: [await actions.startClient()] };
      case 'restart':
        return { ok: true, lines: [await actions.restart(c.id)] };
      case 'kill':
        return { ok: true, lines: [await actions.kill(c.id)] };
    }
  } catch (e) {
    return { ok: false, lines: [`error: ${(e as Error).message}`] };
  }
}
