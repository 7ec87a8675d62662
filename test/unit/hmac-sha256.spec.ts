import { describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { HmacSha256 } from '../../src/crypto/hmac-sha256.js';
import { newSessionId } from '../../src/cookie/session-id.js';

const reference = (key: Buffer, message: string): string =>
  createHmac('sha256', key).update(message).digest('base64url');

describe('HmacSha256', () => {
  it('gives the RFC 4231 test case 2 digest', () => {
    const hmac = new HmacSha256(Buffer.from('Jefe'));
    const expected = Buffer.from(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      'hex',
    ).toString('base64url');
    expect(hmac.base64url('what do ya want for nothing?')).toBe(expected);
  });

  it('gives the same digest as createHmac for keys shorter than, equal to and longer than a block', () => {
    for (const keyLength of [0, 1, 16, 32, 63, 64, 65, 100, 200]) {
      const key = randomBytes(keyLength);
      const hmac = new HmacSha256(key);
      for (let i = 0; i < 50; i++) {
        const id = newSessionId();
        expect(hmac.base64url(id)).toBe(reference(key, id));
      }
    }
  });

  it('gives the same digest as createHmac for messages of every length, short and past the fast path', () => {
    const key = randomBytes(32);
    const hmac = new HmacSha256(key);
    for (let length = 0; length <= 300; length++) {
      const message = 'x'.repeat(length);
      expect(hmac.base64url(message)).toBe(reference(key, message));
    }
  });

  it('encodes a message as UTF-8, as createHmac does with a string', () => {
    const key = randomBytes(32);
    const hmac = new HmacSha256(key);
    for (const message of [
      'é',
      'ü'.repeat(85),
      '日本語のセッション',
      '😀'.repeat(42),
      '😀'.repeat(43),
    ]) {
      expect(hmac.base64url(message)).toBe(reference(key, message));
    }
  });

  it('gives the same digest after messages of other lengths were hashed (no bytes left over)', () => {
    const key = randomBytes(32);
    const hmac = new HmacSha256(key);
    const messages = ['a'.repeat(40), 'b', 'c'.repeat(85), '', 'd'.repeat(32), 'b'];
    for (const message of messages) expect(hmac.base64url(message)).toBe(reference(key, message));
  });

  it('is not changed when the caller changes the key buffer afterwards', () => {
    const key = randomBytes(32);
    const copy = Buffer.from(key);
    const hmac = new HmacSha256(key);
    key.fill(0);
    expect(hmac.base64url('x'.repeat(100))).toBe(reference(copy, 'x'.repeat(100)));
    expect(hmac.base64url('id')).toBe(reference(copy, 'id'));
  });
});
