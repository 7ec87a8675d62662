import type { HttpException } from '@nestjs/common';
import {
  SessionConflictError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionValidationError,
  StoredSessionInvalidError,
} from '../errors/session-errors.js';
import type { Replacement } from '../http/response-barrier.js';

/** The `extensions.code` of each error of this library, as a GraphQL response carries it. */
const CODES = new Map<abstract new (...args: never[]) => HttpException, string>([
  [SessionStoreUnavailableError, 'SESSION_STORE_UNAVAILABLE'],
  [SessionValidationError, 'SESSION_VALIDATION_FAILED'],
  [StoredSessionInvalidError, 'STORED_SESSION_INVALID'],
  [SessionTooLargeError, 'SESSION_TOO_LARGE'],
  [SessionConflictError, 'SESSION_CONFLICT'],
  [SessionInterruptedError, 'SESSION_INTERRUPTED'],
]);

/** The code of an error of this library's table, or `undefined` for any other error. */
export function sessionErrorCode(error: unknown): string | undefined {
  for (const [type, code] of CODES) if (error instanceof type) return code;
  return undefined;
}

/**
 * The GraphQL response sent instead of the server's when the session failed (the store is
 * down, a change failed validation at commit): the HTTP status of the error table (503, 500,
 * 413, 409), `Retry-After` for a 503, and one error with `extensions.code` and `status`.
 * `data` is null: what the resolvers answered may describe a change that was not saved.
 */
export function graphqlReplacement(error: unknown): Replacement {
  const code = sessionErrorCode(error);
  const exception = code ? (error as HttpException) : undefined;
  const status = exception ? exception.getStatus() : 500;
  const body = exception?.getResponse() as { message?: unknown; fields?: unknown } | undefined;
  const message =
    typeof body?.message === 'string' ? body.message : 'The session could not be saved';
  const extensions: Record<string, unknown> = { code: code ?? 'INTERNAL_SERVER_ERROR', status };
  if (body?.fields !== undefined) extensions.fields = body.fields;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (error instanceof SessionStoreUnavailableError) {
    headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return {
    status,
    headers,
    body: JSON.stringify({ errors: [{ message, extensions }], data: null }),
  };
}
