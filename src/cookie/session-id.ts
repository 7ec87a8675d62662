import { randomFillSync } from 'node:crypto';

/** 24 random bytes = 192 bits, as base64url: 32 characters. */
const ID_BYTES = 24;
export const SESSION_ID_LENGTH = 32;

/**
 * Random bytes for 128 ids at a time: one call into the CSPRNG instead of one per id (as Node's
 * own `randomUUID()` caches its entropy). Each id still gets 24 bytes no other id ever sees.
 */
const POOL_IDS = 128;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let used = POOL_IDS;

/** A new unguessable session id. */
export function newSessionId(): string {
  if (used === POOL_IDS) {
    randomFillSync(pool);
    used = 0;
  }
  const start = used++ * ID_BYTES;
  return pool.toString('base64url', start, start + ID_BYTES);
}
