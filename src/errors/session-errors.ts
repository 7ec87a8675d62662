import {
  ConflictException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  ServiceUnavailableException,
} from '@nestjs/common';

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

/** The store could not be reached or failed: sent as 503 with `Retry-After`. */
export class SessionStoreUnavailableError extends ServiceUnavailableException {
  constructor(
    operation: 'read' | 'write' | 'destroy' | 'lock',
    readonly retryAfterSeconds: number,
    cause: unknown,
  ) {
    const saved = operation === 'write' ? ' Your change was not saved.' : '';
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
