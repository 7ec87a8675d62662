import type { JsonValue } from '../store/json-value.js';
import type { SessionOwner } from '../store/session-owner.js';
import { unstorableKey, unstorableText } from './storable-text.js';

/** Longest user id, in characters: an id, not a document (it is a key in every store's index). */
export const MAX_USER_ID_LENGTH = 256;
/** Largest `info` a session may carry, as JSON bytes: a device description, not a payload. */
export const MAX_USER_INFO_BYTES = 4_096;

/**
 * The owner `setUser(userId, info)` asks for, checked: a non-empty user id every store can keep,
 * and info that is a plain JSON object under the size limit. Throws a `TypeError` naming what is
 * wrong. The info is copied (as JSON), so later changes to the caller's object do not leak in.
 */
export function checkedOwner(userId: unknown, info: unknown = {}): SessionOwner {
  checkedUserId(userId, 'session.setUser(userId)');
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    throw new TypeError('session.setUser(userId, info): info must be a plain object');
  }
  let text: string;
  try {
    text = JSON.stringify(info);
  } catch (error) {
    throw new TypeError(`session.setUser(userId, info): info is not JSON-serialisable`, {
      cause: error,
    });
  }
  const unstorable = unstorableText(text);
  if (unstorable) throw new TypeError(`session.setUser(userId, info): info ${unstorable}`);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_USER_INFO_BYTES) {
    throw new TypeError(
      `session.setUser(userId, info): info is ${bytes} bytes of JSON, over the ${MAX_USER_INFO_BYTES}-byte limit`,
    );
  }
  return { userId: userId as string, info: JSON.parse(text) as Record<string, JsonValue> };
}

/** A user id every store can index: a non-empty string, not too long, storable. */
export function checkedUserId(userId: unknown, caller: string): string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new TypeError(`${caller}: userId must be a non-empty string`);
  }
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw new TypeError(`${caller}: userId is longer than ${MAX_USER_ID_LENGTH} characters`);
  }
  const problem = unstorableKey(userId);
  if (problem) throw new TypeError(`${caller}: userId ${problem}`);
  return userId;
}
