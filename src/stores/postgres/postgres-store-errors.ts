import { SessionStoreError } from '../../store/session-store-error.js';

/**
 * Errors the server reports when it ends the connection while a statement may be under way (an
 * administrator's `pg_terminate_backend`, a crash, a broken link): the statement may have
 * committed just before, so whether it was applied is unknown.
 */
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P05', '08003', '08006', '08007']);

/** Socket errors that only happen while connecting: no statement was sent. */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** pg's own messages for a connection that could not be had (pg-pool, pg's client). */
const NOT_CONNECTED = [
  /timeout exceeded when trying to connect/,
  /Connection terminated due to connection timeout/,
  /Cannot use a pool after calling end on the pool/,
];

/**
 * A failed statement of the PostgreSQL store as a `SessionStoreError` that says whether it may
 * have been applied. Each statement runs alone, in its own implicit transaction, so an error
 * the server reports for it (a refused value, a statement timeout, a lock timeout, a
 * serialization failure...) means it was rolled back: `'not-applied'`; so does any failure to
 * connect (refused, unknown host, pool timeout, authentication). The connection ending while a
 * statement was out (terminated, reset, pg's `query_timeout`) is `'unknown'`.
 */
export function postgresStoreError(error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const fromServer = typeof (error as { severity?: unknown } | null)?.severity === 'string';
  let outcome: SessionStoreError['outcome'] = 'unknown';
  if (fromServer) {
    outcome =
      typeof code === 'string' && CONNECTION_LOST_CODES.has(code) ? 'unknown' : 'not-applied';
  } else if (
    (typeof code === 'string' && NOT_CONNECTED_CODES.has(code)) ||
    NOT_CONNECTED.some((pattern) => pattern.test(message))
  ) {
    outcome = 'not-applied';
  }
  return new SessionStoreError(`PostgresSessionStore: ${message}`, outcome, {
    cause: error,
  });
}

/** Nothing was sent: the store is closed, or the table could not be made ready. */
export function postgresNotSentError(error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SessionStoreError(`PostgresSessionStore: ${message}`, 'not-applied', { cause: error });
}
