import { hkdfSync } from 'node:crypto';
import type { ResolvedStoreKeys, SessionModuleOptions } from './session-options.js';

const MIN_SECRET_LENGTH = 32;
/** HKDF's `info`: the derived key is for store keys only, whatever else the secret keys. */
const INFO = 'nestjs-typed-session store key v1';
/**
 * The input key when no `storeKeys.secret` is given: public, so the hash is only one-way. It is
 * a constant, not one of the cookie secrets, because those rotate and store keys must not.
 */
const PUBLIC_KEY_MATERIAL = 'nestjs-typed-session: no store key secret';

/** The HMAC key of store keys, derived from `secret` (or the public default) with HKDF-SHA256. */
export function storeKeyHmacKey(secret: string | undefined): Buffer {
  return Buffer.from(hkdfSync('sha256', secret ?? PUBLIC_KEY_MATERIAL, '', INFO, 32));
}

/**
 * Checks `storeKeys`; `fail(option, problem)` throws the module's option error. `cookieSecrets`
 * are the checked cookie secrets: the store key secret may not be one of them.
 */
export function resolveStoreKeys(
  value: SessionModuleOptions['storeKeys'],
  cookieSecrets: readonly string[],
  fail: (option: string, problem: string) => never,
): ResolvedStoreKeys {
  if (value === 'plain') return { hmacKey: null, migrateFromPlain: false };
  if (value === undefined || value === 'hashed') {
    return { hmacKey: storeKeyHmacKey(undefined), migrateFromPlain: false };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('storeKeys', `must be 'hashed', 'plain' or { secret?, migrateFrom? }`);
  }
  const unknown = Object.keys(value).filter((key) => key !== 'secret' && key !== 'migrateFrom');
  if (unknown.length) fail(`storeKeys.${unknown[0]}`, 'is not an option');
  const { secret, migrateFrom } = value;
  if (secret !== undefined) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      fail('storeKeys.secret', `must be a string of at least ${MIN_SECRET_LENGTH} characters`);
    }
    if (cookieSecrets.includes(secret)) {
      fail(
        'storeKeys.secret',
        'must not be one of the cookie secrets: those rotate, and a store key secret that ' +
          'changes loses every session',
      );
    }
  }
  if (migrateFrom !== undefined && migrateFrom !== 'plain') {
    fail('storeKeys.migrateFrom', `must be 'plain' (or left out), got ${String(migrateFrom)}`);
  }
  return { hmacKey: storeKeyHmacKey(secret), migrateFromPlain: migrateFrom === 'plain' };
}
