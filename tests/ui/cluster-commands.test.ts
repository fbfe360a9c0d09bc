import { describe, expect, it } from 'vitest';
import { parseClusterCommand, runClusterCommand, type ClusterActions } from '../../src/console/cluster-commands.ts';

describe('parseClusterCommand', () => {
  it("takes the seed's prompt answers and restart / kill by id", () => {
    expect(parseClusterCommand('1')).toEqual({ kind: 'startCm' });
    expect(parseClusterCommand(' 2 ')).toEqual({ kind: 'startClient' });
    expect(parseClusterCommand('restartCM')).toEqual({ kind: 'restart', id: 'cm1' });
    expect(parseClusterCommand('restartBackup')).toEqual({ kind: 'restart', id: 'cm2' });
    expect(parseClusterCommand('restartbackupcm')).toEqual({ kind: 'restart', id: 'cm2' });
    expect(parseClusterCommand('restart c12')).toEqual({ kind: 'restart', id: 'c12' });
    expect(parseClusterCommand('kill cm2')).toEqual({ kind: 'kill', id: 'cm2' });
  });

  it('refuses what it cannot run, with the usage', () => {
    for (const line of ['', 'restartCM now', 'restart', 'restart c0', 'kill cm3', 'kill c1 c2', 'boot']) {
      const c = parseClusterCommand(line);
      expect(c.kind, line).toBe('invalid');
      if (c.kind === 'invalid') expect(c.error).toContain('usage: 1 (start CM)');
    }
  });
});

describe('runClusterCommand', () => {
  const calls: string[] = [];
  const actions: ClusterActions = {
    startCm: async () => (calls.push('startCm'), 'started primary CM cm1'),
    startClient: async () => (calls.push('startClient'), 'started client c1'),
    restart: async (id) => {
      calls.push(`restart ${id}`);
      if (id === 'c9') throw new Error('c9 is not registered');
      return `started ${id} again`;
    },
    kill: async (id) => (calls.push(`kill ${id}`), `killed ${id}`),
  };

  it('runs the action and answers with its outcome or its error', async () => {
    expect(await runClusterCommand('restartCM', actions)).toEqual({ ok: true, lines: ['started cm1 again'] });
    expect(await runClusterCommand('restart c9', actions)).toEqual({ ok: false, lines: ['error: c9 is not registered'] });
    expect(await runClusterCommand('kill c1', actions)).toEqual({ ok: true, lines: ['killed c1'] });
    expect((await runClusterCommand('3', actions)).ok).toBe(false);
    expect(calls).toEqual(['restart cm1', 'restart c9', 'kill c1']);
  });
});
