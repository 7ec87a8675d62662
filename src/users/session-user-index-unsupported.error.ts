/**
 * `SessionService.listForUser` / `destroyForUser` on a store that keeps no index of sessions by
 * user (it lacks the optional `SessionStore.listForUser` / `destroyForUser`). A configuration
 * error, so a plain 500: the message names the store and the stores that have the index.
 */
export class SessionUserIndexUnsupportedError extends Error {
  constructor(storeName: string, method: string) {
    super(
      `SessionService.${method}(): the session store ${storeName} keeps no index of sessions by ` +
        `user (SessionStore.listForUser/destroyForUser). MemorySessionStore, RedisSessionStore ` +
        `and PostgresSessionStore have it; the express-session adapter does not.`,
    );
    this.name = 'SessionUserIndexUnsupportedError';
  }
}
