import { randomBytes } from 'node:crypto';

/** 24 random bytes = 192 bits, as base64url: 32 characters. */
const ID_BYTES = 24;
export const SESSION_ID_LENGTH = 32;

/** A new unguessable session id. */
export function newSessionId(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}
