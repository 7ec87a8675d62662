import { SessionStoreError } from '../../store/session-store-error.js';

/**
 * Replies in which the server refuses a command before running it (out of memory, a replica,
 * still loading, busy with a script, not allowed, keys in other slots...): it changed nothing.
 * Inside a script these come from its first write at the latest (once a script has written,
 * Redis lets its later writes through, so that it stays atomic), so nothing was applied either.
 */
const REFUSALS = [
  'OOM',
  'READONLY',
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'MISCONF',
  'NOAUTH',
  'WRONGPASS',
  'NOPERM',
  'CROSSSLOT',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'NOSCRIPT',
  'EXECABORT',
];

/**
 * Messages of ioredis for a command it did not send: its offline queue is off (the store's own
 * clients) and the connection was not writable.
 */
const NOT_SENT = /enableOfflineQueue options is false/;

/**
 * A failed call of the Redis store as a `SessionStoreError` that says whether the command may
 * have been applied. `'not-applied'` only when that is certain: ioredis refused to send it, or
 * the server refused it before running it. Anything else is `'unknown'`: a client-side timeout
 * (the server may run the command later: a stopped server that resumes does), a connection lost
 * with the command sent, or an error raised part-way through a script (Redis does not roll a
 * script back). A client the application owns may queue commands offline; one of those that
 * fails was never sent either, but cannot be told apart from one lost in flight, so it counts
 * as unknown.
 */
export function redisStoreError(operation: string, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const refused =
    error instanceof Error &&
    error.name === 'ReplyError' &&
    REFUSALS.some((code) => message.startsWith(`${code} `) || message === code);
  const outcome = refused || NOT_SENT.test(message) ? 'not-applied' : 'unknown';
  return new SessionStoreError(`RedisSessionStore ${operation} failed: ${message}`, outcome, {
    cause: error,
  });
}

/** The connection was not there to send on (closed store, not ready in time): nothing sent. */
export function redisNotSentError(operation: string, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SessionStoreError(
    `RedisSessionStore ${operation} not sent: ${message}`,
    'not-applied',
    {
      cause: error,
    },
  );
}
