// Seeds that found bugs with `replicas: 1` (every fault kind at once), kept so that they stay
// fixed: 79, a handoff to a forgotten member put its page back in transit; 96, the directory's
// versions were raised to its replicas' and a reported handoff was taken for older than the page;
// 145, a forgotten member's page was declared lost while another member that claimed it held it;
// 151, an owner keeping a forged page refused the CM's repeat of a handoff it had made; 408, a
// handoff to a forgotten member was ignored, leaving an older one standing as a transfer; 682, a
// failure the CM decided just before the forget was held against the cluster; 126, every report
// of a handoff to a forgotten member moved the page anew, so the CM asked the sender again at
// once, forever (a storm of asks and reports); 30, an owner served a forward it had held past
// the CM giving up on it; 662, a claim set aside as stale counted as its sender's word that it
// held nothing, and the page was brought back while it held it; 805, forgetting the requester of
// a forward its owner never carried out declared the page lost while the owner held it; 703,
// 775 and 986, the operator's forget reached a CM that was cut off or crashed at once; 2043, an
// owner that reported after a stall served a forward held from before its report; 2004 (the CM's
// backup crashing alone), an owner writing all the time dropped every resent forward with the ask
// for a report that follows it, until the read ran out of attempts.
import { describe, expect, it } from 'vitest';
import { runAndCheck } from '../../src/sim/run.ts';
import { faultyShape } from '../../src/sim/sweep.ts';

describe('seeds that found bugs with replicas', () => {
  for (const seed of [30, 79, 96, 126, 145, 151, 408, 662, 682, 703, 775, 805, 986, 2043]) {
    it(`seed ${seed} runs clean`, () => {
      expect(runAndCheck({ ...faultyShape(seed, 'all'), replicas: 1 }).problems).toEqual([]);
    }, 120_000);
  }
  it('seed 2004 under crash-backup alone runs clean', () => {
    expect(runAndCheck({ ...faultyShape(2004, ['crash-backup']), replicas: 1 }).problems).toEqual([]);
  }, 120_000);
});
