import { routeMetadataDecorator, SESSION_LOCK } from './route-metadata.js';

export interface SessionLockOptions {
  /** How long to wait for the lock before answering 423 Locked. Default: the module's `lock.waitMs`. */
  waitMs?: number;
  /** The longest the lock may be held (a crashed holder frees it then). Default: `lock.ttlMs`. */
  ttlMs?: number;
}

/**
 * Requests of one session that carry this decorator (on a route or a controller) run one at a
 * time, from loading the session to committing it. Readers (`@Session({ readonly: true })`)
 * never wait. A request that cannot get the lock in time gets 423 Locked and changes nothing.
 * It also marks the route as one that uses the session.
 */
export const SessionLock = (options: SessionLockOptions = {}): ClassDecorator & MethodDecorator =>
  routeMetadataDecorator(SESSION_LOCK, options);
