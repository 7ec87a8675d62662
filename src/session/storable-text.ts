/**
 * One rule for what every store can hold, applied before anything reaches a store: PostgreSQL's
 * JSONB refuses the NUL character and lone surrogates, so no key or value may contain them,
 * whichever store is configured (an app must not work on Redis and fail on PostgreSQL).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a session key cannot be stored, or `undefined` when it can. */
export function unstorableKey(key: string): string | undefined {
  if (key.includes('\u0000')) return 'contains the NUL character (\\u0000)';
  if (LONE_SURROGATE.test(key)) return 'contains a lone surrogate (malformed UTF-16)';
  if (key === '__proto__') return 'is "__proto__", which cannot be a plain object key';
  return undefined;
}

/**
 * `JSON.stringify` writes NUL as `\u0000` and a lone surrogate as `\udXXX`; paired surrogates stay
 * literal. An escape preceded by an odd number of backslashes is one of those (an even number is
 * an escaped backslash followed by plain text).
 */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** Why a value's JSON text cannot be stored, or `undefined` when it can. */
export function unstorableText(text: string): string | undefined {
  // Both are written as `\u` escapes: a text with none (nearly every one) needs no regex, whose
  // lookbehind is tried at every position.
  if (!text.includes('\\u') || !UNSTORABLE_ESCAPE.test(text)) return undefined;
  return 'holds the NUL character (\\u0000) or a lone surrogate, which session stores cannot keep';
}
