import type { SessionExpiryCause } from '../store/session-expiry.js';

/** What happened to a session. The names are the `@nestjs/event-emitter` event names too. */
export type SessionEventType =
  'session.created' | 'session.regenerated' | 'session.destroyed' | 'session.expired';

/**
 * A life-cycle event. It names the session by a tag (a short, non-reversible hash of its id),
 * never by the id itself, so an event log cannot be replayed as cookies.
 */
export interface SessionEvent {
  type: SessionEventType;
  /** The session's tag (after a regenerate: the new id's). */
  tag: string;
  /** `session.regenerated`: the tag of the id it replaced. */
  previousTag?: string;
  /** When it happened, by the module's clock (epoch ms); for a store's report, the store's. */
  at: number;
  /**
   * `session.expired`: which timeout ended it; `'unknown'` when the store's own TTL removed it
   * and nothing is left to tell (Redis).
   */
  cause?: SessionExpiryCause;
  /**
   * `session.expired`: who noticed. `'store'`: the store, on its own (the memory store's sweep,
   * PostgreSQL's cleanup, a Redis keyspace notification). `'request'`: a request that found its
   * session past its expiry in a store that still handed it out.
   */
  detectedBy?: 'store' | 'request';
}
