import { Inject, Injectable, Logger } from '@nestjs/common';
import { SessionStoreUnavailableError, type StoreOperation } from '../errors/session-errors.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { headersSent, setHeader } from '../platform/http-platform.js';
import type { SessionState } from './session-state.js';

/** What a store failure becomes: logged once, and a 503 with `Retry-After` for the request. */
@Injectable()
export class StoreFaults {
  readonly logger = new Logger('SessionModule');

  constructor(@Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions) {}

  /** Sends `Retry-After` (when the response is known) and builds the 503 to throw. */
  unavailable(
    state: SessionState,
    operation: StoreOperation,
    error: unknown,
  ): SessionStoreUnavailableError {
    this.logger.error(`session store ${operation} failed: ${String(error)}`);
    const retryAfter = this.options.retryAfterSeconds;
    if (state.response && !headersSent(state.response)) {
      setHeader(state.response, 'Retry-After', String(retryAfter));
    }
    return new SessionStoreUnavailableError(operation, retryAfter, error);
  }

  warn(message: string): void {
    this.logger.warn(message);
  }
}
