import { timingSafeEqual } from 'node:crypto';
import { RecentCache } from '../cache/recent-cache.js';
import { HmacSha256 } from '../crypto/hmac-sha256.js';
import { SESSION_ID_LENGTH } from './session-id.js';

/** base64url of an HMAC-SHA256: 43 characters. */
const SIGNATURE_LENGTH = 43;
const SIGNED_LENGTH = SESSION_ID_LENGTH + 1 + SIGNATURE_LENGTH;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Signs session ids for the cookie as `<id>.<hmac>`. The first secret signs; every secret
 * verifies, so secrets rotate without logging anyone out.
 */
export class CookieSigner {
  /** One HMAC per secret, keyed once. */
  private readonly secrets: HmacSha256[];
  /**
   * Signed values already verified, and their ids: the same cookie arrives on every request of
   * a session, and an HMAC per request is the largest cost of a request that never reads its
   * session. Only values that passed are kept, bounded.
   */
  private readonly verified: RecentCache<string, string>;

  constructor(secrets: string[], verifiedLimit = 10_000) {
    this.verified = new RecentCache(verifiedLimit);
    this.secrets = secrets.map((secret) => new HmacSha256(Buffer.from(secret, 'utf8')));
  }

  sign(id: string): string {
    return `${id}.${this.secrets[0].base64url(id)}`;
  }

  /**
   * The id in a signed value, or `null` when the value is malformed or signed by no known secret.
   * Shape and length are checked before any HMAC is computed, so junk costs next to nothing; the
   * signature is compared in constant time.
   */
  unsign(value: string): string | null {
    if (value.length !== SIGNED_LENGTH || value[SESSION_ID_LENGTH] !== '.') return null;
    const known = this.verified.get(value);
    if (known !== undefined) return known;
    const id = this.verify(value);
    if (id !== null) this.verified.set(value, id);
    return id;
  }

  private verify(value: string): string | null {
    const id = value.slice(0, SESSION_ID_LENGTH);
    const signature = value.slice(SESSION_ID_LENGTH + 1);
    if (!BASE64URL.test(id) || !BASE64URL.test(signature)) return null;
    const given = Buffer.from(signature);
    for (const secret of this.secrets) {
      if (timingSafeEqual(given, Buffer.from(secret.base64url(id)))) return id;
    }
    return null;
  }
}
