import type { JsonValue } from './json-value.js';
import type { SessionMetadata } from './session-record.js';

/** One live session of a user, as `SessionStore.listForUser` answers it. */
export interface UserSessionEntry {
  /** The key the session is stored under: the id the store was given in `set`. */
  id: string;
  metadata: SessionMetadata;
  info: Record<string, JsonValue>;
}

/** Options of `SessionStore.destroyForUser`. */
export interface DestroyForUserOptions {
  /** A session (the key the store was given) to spare: "log out everywhere else". */
  except?: string;
}
