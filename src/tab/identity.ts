// Which node a tab becomes, from the seed's prompt words and what the running cluster says.
// The seed read data/cm.json and data/client.json; here the CMs are asked at their well-known
// PeerJS ids (join.ts), so tabs in another browser or on another machine decide the same way.
import { BACKUP_CM, clientNumber, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import type { CmStart } from '../protocol/manager.ts';
import type { JoinAnswer } from './join.ts';

/** The seed's prompt: '1' / CM, '2' / Client, restartCM, restartBackup; plus `restart c<n>`. */
export type TabChoice =
  { kind: 'cm' } | { kind: 'client' } | { kind: 'restartCM' } | { kind: 'restartBackup' } | { kind: 'restartClient'; id: NodeId };

export const PROMPT = "Enter Node type ('1': CM, '2': Client, 'restartCM', 'restartBackup')";

export function parseChoice(line: string): TabChoice | { kind: 'invalid'; error: string } {
  const words = line.trim().split(/\s+/);
  const [word = '', arg] = words;
  if (words.length > 2 || (arg !== undefined && word.toLowerCase() !== 'restart')) return { kind: 'invalid', error: PROMPT };
  switch (word.toLowerCase()) {
    case '1':
    case 'cm':
      return { kind: 'cm' };
    case '2':
    case 'client':
      return { kind: 'client' };
    case 'restartcm':
      return { kind: 'restartCM' };
    case 'restartbackup':
    case 'restartbackupcm':
      return { kind: 'restartBackup' };
    case 'restart':
      if (arg === 'cm1') return { kind: 'restartCM' };
      if (arg === 'cm2') return { kind: 'restartBackup' };
      if (arg !== undefined && clientNumber(arg) !== null) return { kind: 'restartClient', id: arg };
      return { kind: 'invalid', error: 'restart takes cm1, cm2 or a client id c<n>' };
    default:
      return { kind: 'invalid', error: PROMPT };
  }
}

export type Identity = { role: 'cm'; id: NodeId; start: CmStart } | { role: 'client'; id: NodeId; restart: boolean };

/** For every choice but a fresh client (whose id the acting CM hands out). */
export function identityFor(choice: Exclude<TabChoice, { kind: 'client' }>, answers: JoinAnswer[]): Identity | { error: string } {
  const alive = new Set(answers.map((a) => a.cm));
  switch (choice.kind) {
    case 'cm':
      if (alive.has(PRIMARY_CM) && alive.has(BACKUP_CM)) {
        return { error: 'a primary (cm1) and a backup (cm2) CM are already running; a cluster has at most two' };
      }
      if (alive.has(PRIMARY_CM)) return { role: 'cm', id: BACKUP_CM, start: 'backup' };
      if (alive.has(BACKUP_CM))
        return { error: 'the primary cm1 is registered and down while cm2 runs: choose restartCM to bring it back' };
      return { role: 'cm', id: PRIMARY_CM, start: 'primary' };
    case 'restartCM':
      if (alive.has(PRIMARY_CM))
        return { error: 'cm1 is running in another tab (it answered just now): kill it or close its tab before restartCM' };
      return { role: 'cm', id: PRIMARY_CM, start: 'restartCM' };
    case 'restartBackup':
      if (alive.has(BACKUP_CM))
        return { error: 'cm2 is running in another tab (it answered just now): kill it or close its tab before restartBackup' };
      return { role: 'cm', id: BACKUP_CM, start: 'restartBackup' };
    case 'restartClient':
      return { role: 'client', id: choice.id, restart: true };
  }
}

/** Everyone a newcomer should dial: what the CMs know, and the CMs themselves. */
export function rosterOf(answers: JoinAnswer[]): NodeId[] {
  return [...new Set([PRIMARY_CM, BACKUP_CM, ...answers.flatMap((a) => a.roster)])].sort();
}

/** The acting CM's answer: the newest epoch among those that say they act. */
export function actingAnswer(answers: JoinAnswer[]): JoinAnswer | null {
  return answers.filter((a) => a.role === 'acting').sort((a, b) => b.epoch - a.epoch)[0] ?? null;
}
