import {
  ConflictException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { SessionStoreError } from '../store/session-store-error.js';

/** A change to the session failed its schema at commit: nothing was written. */
export class SessionValidationError extends InternalServerErrorException {
  constructor(
    /** Failed fields as `namespace.path` (e.g. `cart.items.0.quantity`) with their messages. */
    readonly failures: Array<{ field: string; messages: string[] }>,
  ) {
    const fields = failures.map((failure) => failure.field).join(', ');
    super({
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'SessionValidationError',
      message: `Session data failed validation; nothing was saved. Fields: ${fields}`,
      fields: failures,
    });
    this.name = 'SessionValidationError';
  }
}

/** Data stored for a namespace failed its schema and `onInvalidStoredData` is `'reject'`. */
export class StoredSessionInvalidError extends InternalServerErrorException {
  constructor(namespace: string, fields: string[]) {
    super({
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'StoredSessionInvalidError',
      message: `Stored session namespace "${namespace}" fails its schema (${fields.join(', ')})`,
    });
    this.name = 'StoredSessionInvalidError';
  }
}

/** A commit would make the session larger than `maxSize`: nothing was written. */
export class SessionTooLargeError extends HttpException {
  constructor(size: number, limit: number) {
    super(
      {
        statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
        error: 'SessionTooLargeError',
        message: `Session would be ${size} bytes, over the ${limit}-byte limit (maxSize); nothing was saved`,
      },
      HttpStatus.PAYLOAD_TOO_LARGE,
    );
    this.name = 'SessionTooLargeError';
  }
}

/** What the module asked of the store when it failed. */
export type StoreOperation = 'read' | 'write' | 'destroy' | 'lock' | 'list';

/**
 * What the client is told about its change. Only a store that knows it changed nothing
 * (`SessionStoreError` with outcome `'not-applied'`) lets the response say "not saved"; a timeout
 * may have reached the server, so anything else says "may not have been saved".
 */
function savedNote(operation: StoreOperation, cause: unknown): string {
  if (operation !== 'write' && operation !== 'destroy') return '';
  const what = operation === 'write' ? 'Your change' : 'The end of the session';
  return isNotApplied(cause) ? ` ${what} was not saved.` : ` ${what} may not have been saved.`;
}

function isNotApplied(cause: unknown): boolean {
  return cause instanceof SessionStoreError && cause.outcome === 'not-applied';
}

/** The store could not be reached or failed: sent as 503 with `Retry-After`. */
export class SessionStoreUnavailableError extends ServiceUnavailableException {
  constructor(
    readonly operation: StoreOperation,
    readonly retryAfterSeconds: number,
    cause: unknown,
  ) {
    const saved = savedNote(operation, cause);
    super(
      {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'SessionStoreUnavailable',
        message: `The session store is unavailable (${operation} failed).${saved} Retry later.`,
      },
      { cause },
    );
    this.name = 'SessionStoreUnavailableError';
  }
}

/**
 * The session was destroyed, or its id regenerated, by another request while this one ran, so
 * this request's changes were not saved (they would have brought the session back).
 */
export class SessionInterruptedError extends ConflictException {
  constructor() {
    super({
      statusCode: HttpStatus.CONFLICT,
      error: 'SessionInterrupted',
      message:
        'The session ended (destroyed or expired) while this request ran; its changes were not saved',
    });
    this.name = 'SessionInterruptedError';
  }
}

/** Another request committed a namespace whose schema says `onConflict: 'reject'`. */
export class SessionConflictError extends ConflictException {
  constructor(readonly namespaces: string[]) {
    super({
      statusCode: HttpStatus.CONFLICT,
      error: 'SessionConflict',
      message: `Session namespace(s) ${namespaces.join(', ')} changed in another request; nothing was saved`,
    });
    this.name = 'SessionConflictError';
  }
}

/** `@SessionLock()` could not get the session's lock in time; the handler did not run. */
export class SessionLockTimeoutError extends HttpException {
  constructor(waitMs: number) {
    super(
      {
        statusCode: HttpStatus.LOCKED,
        error: 'SessionLocked',
        message: `Another request holds this session's lock; gave up after ${waitMs} ms`,
      },
      HttpStatus.LOCKED,
    );
    this.name = 'SessionLockTimeoutError';
  }
}

/**
 * A write to the session on a route that will never commit it (it does not use the session):
 * thrown at once, so that nothing is dropped silently. A programming error: the fix is in the
 * message.
 */
export class SessionNotCommittedError extends Error {
  constructor(operation: string, route: string) {
    super(
      route
        ? `session.${operation}() on ${route} would never be committed: this route does not use ` +
            `the session. Add @UsesSession() to the route or its controller (or a @Session() ` +
            `parameter), or set everyRoute: true in SessionModule.forRoot()`
        : `session.${operation}() on a request whose route is not known to use the session: from ` +
            `a guard, pass the ExecutionContext (sessionService.get(context)); otherwise add ` +
            `@UsesSession() to the route, or set everyRoute: true in SessionModule.forRoot()`,
    );
    this.name = 'SessionNotCommittedError';
  }
}
