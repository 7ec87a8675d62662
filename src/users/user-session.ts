import type { JsonValue } from '../store/json-value.js';
import type { SessionHandle } from '../session/session-handle.js';

/** One live session of a user, as `SessionService.listForUser` shows it (an account page). */
export interface UserSession {
  /**
   * A short, non-reversible tag of the session (the same tag life-cycle events carry): enough to
   * tell the rows apart, useless as a cookie. The session id itself is never handed out.
   */
  tag: string;
  /** Epoch ms: when the session was created (a login keeps it across regenerates). */
  createdAt: number;
  /** Epoch ms: its last activity, as far as the store knows (see `touchAfter`). */
  lastSeenAt: number;
  /** Epoch ms: when it dies unless used again. */
  expiresAt: number;
  /** What the application attached with `setUser(userId, info)`. */
  info: Record<string, JsonValue>;
  /** It is the session of the request passed as `current`. */
  current: boolean;
}

/** Options of `SessionService.listForUser`. */
export interface ListForUserOptions {
  /** The request's session, to be flagged `current` in the list. */
  current?: SessionHandle;
}

/** Options of `SessionService.destroyForUser`. */
export interface DestroyUserSessionsOptions {
  /** A session to keep ("log out other devices"): usually the request's own. */
  except?: SessionHandle;
}
