import { createHash } from 'node:crypto';

/**
 * A short, non-reversible tag of a session id for logs and events: enough to correlate lines
 * about one session, useless as a cookie. Session ids are never logged themselves.
 */
export function sessionTag(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 10);
}
