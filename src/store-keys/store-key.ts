import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * Session id → the key its store sees: HMAC-SHA256 of the id, base64url (43 characters), or the
 * id itself when keys are plain (`hmacKey` `null`). Recent answers are kept, bounded, oldest
 * first out, so a request's read, write and touch cost one HMAC between them (about 1.4 µs).
 */
export class StoreKey {
  private readonly recent = new Map<string, string>();
  /** Made once: an HMAC keyed by a KeyObject skips importing the raw key on every call. */
  private readonly hmacKey: KeyObject | null;

  constructor(
    hmacKey: Buffer | null,
    private readonly recentLimit = 1024,
  ) {
    this.hmacKey = hmacKey === null ? null : createSecretKey(hmacKey);
  }

  of(id: string): string {
    if (this.hmacKey === null) return id;
    let key = this.recent.get(id);
    if (key === undefined) {
      key = createHmac('sha256', this.hmacKey).update(id).digest('base64url');
      if (this.recent.size >= this.recentLimit) {
        this.recent.delete(this.recent.keys().next().value as string);
      }
      this.recent.set(id, key);
    }
    return key;
  }
}
