// The pure parts of PeerJS links: the handshake's MAC, the text framing that splits big frames,
// and the cluster key handshake. Its binding to the DTLS channel is in link-binding.test.ts; the
// WebRTC parts run in tests/e2e/peerjs-transport.spec.ts.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeMessage, MessageAssembler, splitText, type Assembled } from '../../src/net/chunking.ts';
import { constantTimeEqual, Handshake, handshakeMac, parseHandshake, randomNonce, type HandshakeMessage } from '../../src/net/handshake.ts';

const FP_CM = 'sha-256 AA:01';
const FP_C = 'sha-256 BB:02';

describe('handshake MAC', () => {
  it('is HMAC-SHA-256 of the stated fields, as node:crypto computes it, for any key', () => {
    for (const key of ['k', 'x'.repeat(64), 'long key '.repeat(20), 'ключ 🔑']) {
      const proof = {
        channel: 'protocol',
        prover: { id: 'ivy-c1', fingerprint: FP_C, nonce: 'b'.repeat(32) },
        verifier: { id: 'ivy-cm1', fingerprint: FP_CM, nonce: 'a'.repeat(32) },
      };
      const text = ['ivy-web handshake v2', 'protocol', 'ivy-c1', 'ivy-cm1', FP_C, FP_CM, 'a'.repeat(32), 'b'.repeat(32)].join('\n');
      expect(handshakeMac(key, proof)).toBe(createHmac('sha256', key).update(text).digest('hex'));
    }
  });

  it('compares secrets only when lengths match', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'ab')).toBe(false);
  });
});

describe('text framing', () => {
  it('sends small messages whole and splits big ones into numbered parts', () => {
    expect(encodeMessage('{"a":1}', 10)).toEqual(['F{"a":1}']);
    expect(encodeMessage('0123456789abc', 5)).toEqual(['C0/3:01234', 'C1/3:56789', 'C2/3:abc']);
  });

  it('never cuts a surrogate pair in two', () => {
    const text = 'a𝄞𝄞b𝄞';
    for (let max = 2; max <= 6; max++) {
      const parts = splitText(text, max);
      expect(parts.join('')).toBe(text);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(max);
        expect(p, `max ${max}`).not.toMatch(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/);
      }
    }
  });

  it('reassembles what it split, across many sizes', () => {
    const text = JSON.stringify({ blob: 'x€𝄞'.repeat(5000) });
    for (const max of [7, 100, 4096, 16_000]) {
      const assembler = new MessageAssembler({ partCharsMax: max, messageCharsMax: 1_000_000 });
      const out = encodeMessage(text, max).flatMap((m) => assembler.push(m));
      expect(out).toEqual([{ type: 'message', json: text }]);
      expect(assembler.pending).toBe(false);
    }
  });

  it('reports broken sequences, oversized messages and non-text, and recovers', () => {
    const a = new MessageAssembler({ partCharsMax: 4, messageCharsMax: 10 });
    const push = (...ms: unknown[]): Assembled[] => ms.flatMap((m) => a.push(m));
    expect(push(42)).toEqual([{ type: 'bad', error: 'not a text message' }]);
    expect(push('Zzz')).toEqual([{ type: 'bad', error: 'unknown message kind "Z"' }]);
    expect(push('C0/2:ab', 'C0/2:cd')).toEqual([{ type: 'bad', error: 'part 0/2 out of sequence' }]);
    expect(push('C0/2:ab', 'F{}')).toEqual([
      { type: 'bad', error: 'split message abandoned after 1 of 2 parts' },
      { type: 'message', json: '{}' },
    ]);
    expect(push('C0/2:abcde')).toEqual([{ type: 'bad', error: 'message too large' }]);
    // 10 chars in parts of 4, or of 3 when a surrogate pair is kept whole: never more than 4 parts.
    expect(push('C0/5:ab')).toEqual([{ type: 'bad', error: 'bad part count 5' }]);
    expect(push('C0/3:abcd', 'C1/3:abcd', 'C2/3:abcd')).toEqual([{ type: 'bad', error: 'message too large' }]);
    expect(push('C0/3:abc', 'C2/3:abc')).toEqual([{ type: 'bad', error: 'part 2/3 out of sequence' }]);
    expect(push('C0/3:abc', 'C1/2:abc')).toEqual([{ type: 'bad', error: 'part 1/2 out of sequence' }]);
    expect(push('Cx/2:ab')).toEqual([{ type: 'bad', error: 'malformed part header' }]);
    expect(push('F' + 'y'.repeat(11))).toEqual([{ type: 'bad', error: 'message too large' }]);
    expect(push('C0/2:ab', 'C1/2:cd')).toEqual([{ type: 'message', json: 'abcd' }]);
  });
});

describe('cluster key handshake', () => {
  const pair = (keyA: string, keyB: string): [Handshake, Handshake] => [
    new Handshake({
      clusterKey: keyA,
      localId: 'ivy-cm1',
      remoteId: 'ivy-c1',
      channel: 'protocol',
      nonce: randomNonce(),
      fingerprints: { local: FP_CM, remote: FP_C },
    }),
    new Handshake({
      clusterKey: keyB,
      localId: 'ivy-c1',
      remoteId: 'ivy-cm1',
      channel: 'protocol',
      nonce: randomNonce(),
      fingerprints: { local: FP_C, remote: FP_CM },
    }),
  ];
  const REFUSED = { state: 'refused', reason: 'wrong cluster key, or not a direct link' };

  /** Both hellos cross, then both proofs; returns each side's final state. */
  function run(a: Handshake, b: Handshake): [string, string] {
    const ra = a.receive(b.hello());
    const rb = b.receive(a.hello());
    const proofOf = (r: ReturnType<Handshake['receive']>): HandshakeMessage | null => (r.state === 'pending' ? r.reply : null);
    const fa = a.receive(proofOf(rb));
    const fb = b.receive(proofOf(ra));
    return [fa.state, fb.state];
  }

  it('accepts both ends when they hold the same key, and the key never crosses the wire', () => {
    const [a, b] = pair('the-cluster-key', 'the-cluster-key');
    const seen = JSON.stringify([a.hello(), b.hello(), a.receive(b.hello()), b.receive(a.hello())]);
    expect(seen).not.toContain('the-cluster-key');
    const [a2, b2] = pair('the-cluster-key', 'the-cluster-key');
    expect(run(a2, b2)).toEqual(['accepted', 'accepted']);
  });

  it('refuses both ends when the keys differ', () => {
    const [a, b] = pair('the-cluster-key', 'another-key');
    expect(run(a, b)).toEqual(['refused', 'refused']);
  });

  it('refuses a proof made for another link, channel or direction', () => {
    const [a, b] = pair('k-k-k-k-k', 'k-k-k-k-k');
    const nonceOf = (h: Handshake): string => (h.hello() as { nonce: string }).nonce;
    a.receive(b.hello());
    const [nonceA, nonceB] = [nonceOf(a), nonceOf(b)];
    // Right key, wrong channel:
    const forged = handshakeMac('k-k-k-k-k', {
      channel: 'control',
      prover: { id: 'ivy-c1', fingerprint: FP_C, nonce: nonceB },
      verifier: { id: 'ivy-cm1', fingerprint: FP_CM, nonce: nonceA },
    });
    expect(a.receive({ step: 'proof', nonce: nonceB, mac: forged })).toEqual(REFUSED);
    // A reflected proof (A's own, sent back) names A's nonce, and its MAC is for the other direction:
    const [c, d] = pair('k-k-k-k-k', 'k-k-k-k-k');
    const rc = c.receive(d.hello());
    expect(c.receive(rc.state === 'pending' ? rc.reply : null)).toEqual({ state: 'refused', reason: 'peer echoed our nonce' });
    const [e, f] = pair('k-k-k-k-k', 'k-k-k-k-k');
    const re = e.receive(f.hello());
    const reflected = re.state === 'pending' && re.reply?.step === 'proof' ? re.reply : null;
    expect(e.receive(reflected && { ...reflected, nonce: nonceOf(f) })).toEqual(REFUSED);
  });

  it("opens the link when one side's hello is lost: its proof names its nonce and is answered with a proof", () => {
    const [a, b] = pair('the-cluster-key', 'the-cluster-key');
    // Only a's hello arrives: b proves itself, and a, which never had b's hello, answers in kind.
    const rb = b.receive(a.hello());
    expect(rb.state).toBe('pending');
    const ra = a.receive(rb.state === 'pending' ? rb.reply : null);
    expect(ra).toMatchObject({ state: 'accepted', reply: { step: 'proof' } });
    expect(b.receive(ra.state === 'accepted' ? ra.reply : null)).toEqual({ state: 'accepted', reply: null });
    // With another key, the proof that stands in for the hello is refused all the same.
    const [c, d] = pair('the-cluster-key', 'another-key');
    const rd = d.receive(c.hello());
    expect(c.receive(rd.state === 'pending' ? rd.reply : null)).toEqual(REFUSED);
  });

  it('refuses out-of-order, repeated, echoed and malformed messages', () => {
    const fresh = (): Handshake => pair('k-k-k-k-k', 'k-k-k-k-k')[0];
    expect(fresh().receive({ step: 'proof', nonce: '1'.repeat(32), mac: '0'.repeat(64) })).toEqual(REFUSED);
    const p = fresh();
    p.receive({ step: 'hello', nonce: '1'.repeat(32) });
    expect(p.receive({ step: 'proof', nonce: '2'.repeat(32), mac: '0'.repeat(64) })).toEqual({
      state: 'refused',
      reason: 'proof for another nonce than the hello',
    });
    const q = fresh();
    expect(q.receive({ step: 'proof', nonce: (q.hello() as { nonce: string }).nonce, mac: '0'.repeat(64) })).toEqual({
      state: 'refused',
      reason: 'peer echoed our nonce',
    });
    const h = fresh();
    h.receive({ step: 'hello', nonce: '1'.repeat(32) });
    expect(h.receive({ step: 'hello', nonce: '2'.repeat(32) })).toEqual({ state: 'refused', reason: 'second hello' });
    const e = fresh();
    expect(e.receive(e.hello())).toEqual({ state: 'refused', reason: 'peer echoed our nonce' });
    expect(fresh().receive(null)).toEqual({ state: 'refused', reason: 'malformed handshake message' });
    for (const text of [
      'nope',
      '{"step":"hello","nonce":"xyz"}',
      '{"step":"proof","mac":1}',
      `{"step":"proof","mac":"${'a'.repeat(64)}"}`,
      'null',
      '[]',
    ]) {
      expect(parseHandshake(text), text).toBeNull();
    }
    expect(parseHandshake(`{"step":"hello","nonce":"${'a'.repeat(32)}"}`)).toEqual({ step: 'hello', nonce: 'a'.repeat(32) });
  });
});
