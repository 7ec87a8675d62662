/**
 * How a namespace's JSON text is stored in its Redis hash field, and read back.
 *
 * Namespaces reach the store already as JSON text (`StoredSession.data`), so there is nothing
 * left to serialise: this is a transform of that text, for instance compression or encryption at
 * rest. It applies to namespace values only; metadata and revisions stay plain numbers, because
 * the store's Lua scripts read and compare them on the server. `decode(encode(text))` must give
 * back `text` exactly. The default stores the JSON text as it is.
 */
export interface RedisSessionSerializer {
  encode(json: string): string;
  decode(stored: string): string;
}

/** The default: the JSON text is stored unchanged, so `HGETALL` in redis-cli is readable. */
export const jsonTextSerializer: RedisSessionSerializer = {
  encode: (json) => json,
  decode: (stored) => stored,
};
