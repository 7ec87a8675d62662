import { createHmac, hash } from 'node:crypto';

/** SHA-256 reads its input in blocks of 64 bytes; HMAC pads its key to one block. */
const BLOCK = 64;
/** The longest message taken by the fast path: its UTF-8 always fits the buffer (3 bytes/unit). */
const FAST_MESSAGE_UNITS = 85;

/**
 * HMAC-SHA256 of short strings (session ids), as base64url: the same bytes as
 * `createHmac('sha256', key).update(message).digest('base64url')`, computed by RFC 2104's
 * definition, `H((K ^ opad) || H((K ^ ipad) || message))`, with two one-shot `crypto.hash()`
 * calls into buffers made once.
 *
 * Why not `createHmac`: every call makes an `Hmac` stream and a native handle, and imports the
 * key into a new OpenSSL context. On a login, which computes two HMACs with nothing cached
 * (the store key and the cookie's signature), that came to 7–10 µs of CPU per request on
 * Fastify in-process, a sixth of the library's whole overhead there; the one-shot hashes make
 * no object but their result strings. Messages longer than the fast path's buffer go through
 * `createHmac`.
 */
export class HmacSha256 {
  private readonly key: Buffer;
  /** `K ^ ipad`, followed by room for the message. */
  private readonly inner = Buffer.alloc(BLOCK + FAST_MESSAGE_UNITS * 3);
  /** `K ^ opad`, followed by the inner digest. */
  private readonly outer = Buffer.alloc(BLOCK + 32);
  /** Views of `inner` by message length in bytes, made once each. */
  private readonly views: Buffer[] = [];

  constructor(key: Buffer) {
    this.key = Buffer.from(key);
    // A key longer than a block is hashed first (RFC 2104 §2); a shorter one is padded with 0.
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? hash('sha256', key, 'buffer') : key).copy(block);
    for (let i = 0; i < BLOCK; i++) {
      this.inner[i] = block[i] ^ 0x36;
      this.outer[i] = block[i] ^ 0x5c;
    }
  }

  base64url(message: string): string {
    if (message.length > FAST_MESSAGE_UNITS) {
      return createHmac('sha256', this.key).update(message).digest('base64url');
    }
    const length = this.inner.write(message, BLOCK, 'utf8');
    const view = (this.views[length] ??= this.inner.subarray(0, BLOCK + length));
    // 'binary' (latin1) carries the 32 digest bytes as 32 code units, one per byte, and back:
    // a string is a heap object, where a Buffer result would be a new backing store to free.
    this.outer.write(hash('sha256', view, 'binary'), BLOCK, 'binary');
    return hash('sha256', this.outer, 'base64url');
  }
}
