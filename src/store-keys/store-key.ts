import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { RecentCache } from '../cache/recent-cache.js';

/**
 * Session id → the key its store sees: HMAC-SHA256 of the id, base64url (43 characters), or the
 * id itself when keys are plain (`hmacKey` `null`). Recent answers are kept, bounded, so a
 * request's read, write and touch cost one HMAC between them (about 1.4 µs).
 */
export class StoreKey {
  private readonly recent: RecentCache<string, string>;
  /** Made once: an HMAC keyed by a KeyObject skips importing the raw key on every call. */
  private readonly hmacKey: KeyObject | null;

  constructor(hmacKey: Buffer | null, recentLimit = 1024) {
    this.recent = new RecentCache(recentLimit);
    this.hmacKey = hmacKey === null ? null : createSecretKey(hmacKey);
  }

  of(id: string): string {
    if (this.hmacKey === null) return id;
    let key = this.recent.get(id);
    if (key === undefined) {
      key = createHmac('sha256', this.hmacKey).update(id).digest('base64url');
      this.recent.set(id, key);
    }
    return key;
  }
}
