import { HttpException, HttpStatus } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { SessionStoreUnavailableError } from '../errors/session-errors.js';

/**
 * What a client of a gateway receives when the session of its message fails: Nest's `exception`
 * event (socket.io) or `{ event: 'exception', data }` frame (ws), whose data is this object. It
 * carries what the HTTP response of the same fault would: the status and error name of the
 * library's error table (`SessionStoreUnavailable` 503, `SessionValidationError` 500, ...).
 */
export interface GatewaySessionErrorPayload {
  status: 'error';
  /** The HTTP status the same fault answers with over HTTP (503 for a store outage). */
  statusCode: number;
  /** The library's error name, e.g. `SessionStoreUnavailable`, `SessionNotStarted`. */
  error: string;
  message: string;
  /** For a store outage: when to retry, as HTTP's `Retry-After` would say. */
  retryAfterSeconds?: number;
  /** For a change that failed its schema: the failed fields and their messages. */
  fields?: Array<{ field: string; messages: string[] }>;
}

/** A session fault of a gateway message as a `WsException` (never an unknown "Internal error"). */
export function toWsException(error: unknown): WsException {
  if (error instanceof WsException) return error;
  if (!(error instanceof HttpException)) {
    return new WsException({
      status: 'error',
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'SessionError',
      message: error instanceof Error ? error.message : String(error),
    } satisfies GatewaySessionErrorPayload);
  }
  const body = error.getResponse();
  const payload: GatewaySessionErrorPayload = {
    status: 'error',
    statusCode: error.getStatus(),
    error: error.name,
    message: error.message,
    ...(typeof body === 'object' ? (body as Partial<GatewaySessionErrorPayload>) : {}),
  };
  payload.status = 'error';
  if (error instanceof SessionStoreUnavailableError) {
    payload.retryAfterSeconds = error.retryAfterSeconds;
  }
  return new WsException(payload);
}

/**
 * A gateway wrote to a session that is not stored yet (no valid cookie came with the handshake):
 * its id could only reach the browser in a `Set-Cookie` header, which a socket cannot send.
 */
export function sessionNotStarted(route: string): WsException {
  return new WsException({
    status: 'error',
    statusCode: HttpStatus.CONFLICT,
    error: 'SessionNotStarted',
    message:
      `${route} changed a session that does not exist (none yet, or it ended); a socket cannot ` +
      `set a cookie, so nothing was saved. Start the session over HTTP (a login, a first page)`,
  } satisfies GatewaySessionErrorPayload);
}

/** `regenerate()` in a gateway: the new id could not reach the browser's cookie. */
export function regenerateRefused(route: string): WsException {
  return new WsException({
    status: 'error',
    statusCode: HttpStatus.CONFLICT,
    error: 'SessionRegenerateRefused',
    message:
      `${route} called regenerate(), but a socket cannot set the new id's cookie; nothing was ` +
      `saved. Regenerate over HTTP (at login)`,
  } satisfies GatewaySessionErrorPayload);
}
