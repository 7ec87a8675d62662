import { describe, expect, it } from '@jest/globals';
import { CookieSigner } from '../../src/cookie/cookie-signer.js';
import { readCookie, serializeSessionCookie } from '../../src/cookie/session-cookie.js';
import { newSessionId } from '../../src/cookie/session-id.js';

const OLD = 'old-secret-old-secret-old-secret-0000';
const NEW = 'new-secret-new-secret-new-secret-1111';

describe('CookieSigner', () => {
  it('issues ids of 192 random bits that never repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newSessionId));
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 10)) expect(Buffer.from(id, 'base64url')).toHaveLength(24);
  });

  it('verifies what it signed and returns the id', () => {
    const signer = new CookieSigner([NEW]);
    const id = newSessionId();
    expect(signer.unsign(signer.sign(id))).toBe(id);
  });

  it('rotates secrets: the first signs, every one verifies', () => {
    const before = new CookieSigner([OLD]);
    const after = new CookieSigner([NEW, OLD]);
    const id = newSessionId();
    expect(after.unsign(before.sign(id))).toBe(id);
    expect(after.sign(id)).toBe(new CookieSigner([NEW]).sign(id));
    expect(new CookieSigner([NEW]).unsign(before.sign(id))).toBeNull(); // old secret retired
  });

  it('rejects tampered ids, tampered signatures and junk', () => {
    const signer = new CookieSigner([NEW]);
    const value = signer.sign(newSessionId());
    const flip = (s: string, i: number) =>
      s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    expect(signer.unsign(flip(value, 0))).toBeNull();
    expect(signer.unsign(flip(value, value.length - 2))).toBeNull();
    for (const junk of ['', '.', 'x'.repeat(76), value + 'x', value.slice(1), 'é'.repeat(76)]) {
      expect(signer.unsign(junk)).toBeNull();
    }
  });
});

describe('CookieSigner verified-value cache', () => {
  it('answers a value it verified before, and never caches one that failed', () => {
    const signer = new CookieSigner([NEW], 2);
    const [a, b, c] = [newSessionId(), newSessionId(), newSessionId()];
    expect(signer.unsign(signer.sign(a))).toBe(a);
    expect(signer.unsign(signer.sign(a))).toBe(a);
    const forged = `${a}.${'A'.repeat(43)}`;
    expect(signer.unsign(forged)).toBeNull();
    expect(signer.unsign(forged)).toBeNull();
    // Bounded: past the limit the oldest entries go, and verification still works.
    expect(signer.unsign(signer.sign(b))).toBe(b);
    expect(signer.unsign(signer.sign(c))).toBe(c);
    expect(signer.unsign(signer.sign(a))).toBe(a);
  });

  it('still refuses a value signed with a secret it does not hold', () => {
    const signer = new CookieSigner([NEW]);
    const id = newSessionId();
    const other = new CookieSigner([OLD]).sign(id);
    expect(signer.unsign(other)).toBeNull();
    expect(signer.unsign(other)).toBeNull();
  });
});

describe('readCookie', () => {
  it('finds the named cookie among others, exactly by name', () => {
    expect(readCookie('a=1; sid=abc; sidx=2', 'sid')).toBe('abc');
    expect(readCookie('xsid=1;sid=two', 'sid')).toBe('two');
    expect(readCookie('sid="quoted"', 'sid')).toBe('quoted');
    expect(readCookie('other=1', 'sid')).toBeUndefined();
    expect(readCookie(undefined, 'sid')).toBeUndefined();
  });
});

describe('serializeSessionCookie', () => {
  const base = {
    name: 'sid',
    path: '/',
    httpOnly: true,
    secure: 'auto' as const,
    sameSite: 'lax' as const,
    partitioned: false,
    domain: undefined,
    maxAge: undefined,
  };
  it('a deletion carries Max-Age=0 and an expiry in the past', () => {
    const line = serializeSessionCookie(base, null, false);
    expect(line).toBe(
      'sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
    );
  });
});
