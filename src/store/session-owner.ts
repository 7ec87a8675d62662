import type { JsonValue } from './json-value.js';

/**
 * The user a session is bound to (`handle.setUser(...)`), and what the application attached to it
 * to tell one device from another (a user agent, an IP, a device name). A store that indexes
 * sessions by user (`SessionStore.listForUser`) keeps the index in step with this binding.
 */
export interface SessionOwner {
  userId: string;
  /** Whatever JSON the application attached; `{}` when nothing. */
  info: Record<string, JsonValue>;
}
