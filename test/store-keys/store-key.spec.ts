import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { CookieSigner } from '../../src/cookie/cookie-signer.js';
import { newSessionId } from '../../src/cookie/session-id.js';
import { resolveSessionOptions } from '../../src/options/resolve-session-options.js';
import type { SessionModuleOptions } from '../../src/index.js';
import { StoreKey } from '../../src/store-keys/store-key.js';

const secret = 'c'.repeat(32);
const storeSecret = 'k'.repeat(32);

function keyFor(options: Partial<SessionModuleOptions>): StoreKey {
  return new StoreKey(resolveSessionOptions({ secret, ...options }).storeKeys.hmacKey);
}

describe('storeKeys option', () => {
  it('is hashed by default, without reading plain keys', () => {
    const { storeKeys } = resolveSessionOptions({ secret });
    expect(storeKeys.hmacKey).toBeInstanceOf(Buffer);
    expect(storeKeys.migrateFromPlain).toBe(false);
  });

  it("'plain' keeps ids as they are; { migrateFrom: 'plain' } reads plain keys too", () => {
    expect(resolveSessionOptions({ secret, storeKeys: 'plain' }).storeKeys.hmacKey).toBeNull();
    const migrating = resolveSessionOptions({ secret, storeKeys: { migrateFrom: 'plain' } });
    expect(migrating.storeKeys).toEqual({ hmacKey: expect.any(Buffer), migrateFromPlain: true });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a number', 5, /"storeKeys" must be 'hashed', 'plain' or \{ secret\?, migrateFrom\? \}/],
    ['an unknown word', 'sha1', /"storeKeys" must be 'hashed', 'plain'/],
    ['a short secret', { secret: 'short' }, /"storeKeys.secret" must be a string of at least 32/],
    ['a cookie secret', { secret }, /"storeKeys.secret" must not be one of the cookie secrets/],
    ['another migration source', { migrateFrom: 'md5' }, /"storeKeys.migrateFrom" must be 'plain'/],
    ['a misspelt option', { migrate: 'plain' }, /"storeKeys.migrate" is not an option/],
  ];
  it.each(bad)('refuses %s with an error naming the option', (_case, storeKeys, message) => {
    expect(() =>
      resolveSessionOptions({ secret, storeKeys: storeKeys as SessionModuleOptions['storeKeys'] }),
    ).toThrow(message);
  });

  it('refuses a store key secret equal to a rotated-out cookie secret too', () => {
    const old = 'o'.repeat(32);
    expect(() =>
      resolveSessionOptions({ secret: [secret, old], storeKeys: { secret: old } }),
    ).toThrow(/must not be one of the cookie secrets/);
  });
});

describe('StoreKey', () => {
  it('hashes an id to 43 base64url characters, the same every time', () => {
    const key = keyFor({});
    const id = newSessionId();
    expect(key.of(id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.of(id)).toBe(keyFor({}).of(id));
    expect(key.of(id)).not.toContain(id);
    expect(key.of(newSessionId())).not.toBe(key.of(id));
  });

  it('keys with the dedicated secret: another secret (or none) gives other keys', () => {
    const id = newSessionId();
    const keyed = keyFor({ storeKeys: { secret: storeSecret } }).of(id);
    expect(keyed).not.toBe(keyFor({}).of(id));
    expect(keyed).not.toBe(keyFor({ storeKeys: { secret: 'x'.repeat(32) } }).of(id));
    // Not a plain hash of the id, nor an HMAC under the secret as given: a derived key.
    expect(keyed).not.toBe(createHash('sha256').update(id).digest('base64url'));
    expect(keyed).not.toBe(createHmac('sha256', storeSecret).update(id).digest('base64url'));
  });

  it('is never the cookie signature, which a dump would otherwise hand out', () => {
    const id = newSessionId();
    const signature = new CookieSigner([secret]).sign(id).split('.')[1];
    expect(keyFor({}).of(id)).not.toBe(signature);
  });

  it("'plain' store keys are the ids themselves", () => {
    const id = newSessionId();
    expect(keyFor({ storeKeys: 'plain' }).of(id)).toBe(id);
  });

  it('stays right past the bound of its cache of recent keys', () => {
    const key = new StoreKey(Buffer.alloc(32, 1), 4);
    const reference = new StoreKey(Buffer.alloc(32, 1));
    const ids = Array.from({ length: 20 }, () => newSessionId());
    for (const id of [...ids, ...ids.reverse()]) expect(key.of(id)).toBe(reference.of(id));
  });
});
