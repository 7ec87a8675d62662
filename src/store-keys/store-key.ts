import { RecentCache } from '../cache/recent-cache.js';
import { HmacSha256 } from '../crypto/hmac-sha256.js';

/**
 * Session id → the key its store sees: HMAC-SHA256 of the id, base64url (43 characters), or the
 * id itself when keys are plain (`hmacKey` `null`). Recent answers are kept, bounded, so a
 * request's read, write and touch cost one HMAC between them (see `HmacSha256`).
 */
export class StoreKey {
  private readonly recent: RecentCache<string, string>;
  private readonly hmac: HmacSha256 | null;

  constructor(hmacKey: Buffer | null, recentLimit = 1024) {
    this.recent = new RecentCache(recentLimit);
    this.hmac = hmacKey === null ? null : new HmacSha256(hmacKey);
  }

  of(id: string): string {
    if (this.hmac === null) return id;
    let key = this.recent.get(id);
    if (key === undefined) {
      key = this.hmac.base64url(id);
      this.recent.set(id, key);
    }
    return key;
  }
}
