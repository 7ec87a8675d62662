import { describe, expect, it } from '@jest/globals';
import { RecentCache } from '../../src/cache/recent-cache.js';
import { CookieSigner } from '../../src/cookie/cookie-signer.js';
import { newSessionId } from '../../src/cookie/session-id.js';
import { StoreKey } from '../../src/store-keys/store-key.js';
import { TouchTracker } from '../../src/session/touch-tracker.js';

describe('RecentCache', () => {
  it('answers what was set', () => {
    const cache = new RecentCache<string, number>(4);
    cache.set('a', 1);
    expect(cache.get('a')).toBe(1);
    expect(cache.has('a')).toBe(true);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.has('b')).toBe(false);
  });

  it('never holds more than its limit, however many entries pass through', () => {
    const cache = new RecentCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(i, i);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get(9_999)).toBe(9_999);
    expect(cache.get(0)).toBeUndefined();
  });

  it('forgets a deleted entry, whichever generation held it', () => {
    const cache = new RecentCache<string, number>(4);
    cache.set('old', 1);
    cache.set('b', 2);
    cache.set('young', 3); // 'old' and 'b' are now the old generation
    cache.delete('old');
    cache.delete('young');
    expect(cache.get('old')).toBeUndefined();
    expect(cache.get('young')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
  });

  it('answers the newest value of a key set again after it aged', () => {
    const cache = new RecentCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // 'a' aged
    cache.set('a', 4);
    expect(cache.get('a')).toBe(4);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });

  it('keeps an entry that is used while newer ones push older ones out', () => {
    const cache = new RecentCache<string, number>(10);
    cache.set('kept', 1);
    for (let i = 0; i < 100; i++) {
      cache.set(`new-${i}`, i);
      expect(cache.get('kept')).toBe(1);
    }
    expect(cache.get('new-0')).toBeUndefined();
  });
});

describe('caches that sit on the request path stay bounded', () => {
  it('TouchTracker: due after touchAfter, not before; a forgotten id is due again; bounded', () => {
    const tracker = new TouchTracker(1_000, 100);
    expect(tracker.isDue('a', 0)).toBe(true);
    tracker.record('a', 0);
    expect(tracker.isDue('a', 999)).toBe(false);
    expect(tracker.isDue('a', 1_000)).toBe(true);
    tracker.forget('a');
    expect(tracker.isDue('a', 1)).toBe(true);
    tracker.record('a', 0);
    for (let i = 0; i < 10_000; i++) tracker.record(`id-${i}`, 0);
    // Pushed out by newer ids: touched again, the safe side.
    expect(tracker.isDue('a', 1)).toBe(true);
    expect(tracker.isDue('id-9999', 1)).toBe(false);
  });

  it('StoreKey: a flood of new ids (one per login) keeps hashing right and stays bounded', () => {
    const keys = new StoreKey(Buffer.alloc(32, 7), 64);
    const first = newSessionId();
    const firstKey = keys.of(first);
    for (let i = 0; i < 5_000; i++) keys.of(newSessionId());
    // Forgotten by now, and hashed again to the same key.
    expect(keys.of(first)).toBe(firstKey);
    expect(firstKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('CookieSigner: a cookie verified long ago is verified again, not trusted from memory', () => {
    const signer = new CookieSigner(['a-secret-that-is-long-enough-0000'], 64);
    const id = newSessionId();
    const value = signer.sign(id);
    expect(signer.unsign(value)).toBe(id);
    for (let i = 0; i < 5_000; i++) signer.unsign(signer.sign(newSessionId()));
    expect(signer.unsign(value)).toBe(id);
    const forged = `${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
    expect(signer.unsign(forged)).toBeNull();
  });
});
