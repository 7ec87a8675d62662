import { processWide } from './process-wide.js';

/**
 * What a store throws when it knows how a failed call ended. Anything else a store throws counts
 * as `'unknown'`: the response then says the change "may not have been saved", never that it was
 * not, because a write that timed out on the client may still have reached the server.
 */
class SessionStoreErrorClass extends Error {
  constructor(
    message: string,
    /**
     * `'not-applied'`: the store certainly changed nothing (the command was never sent, or the
     * server refused it). `'unknown'`: it may have been applied (a timeout, a connection lost
     * after sending).
     */
    readonly outcome: 'not-applied' | 'unknown',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SessionStoreError';
  }
}

/**
 * What a store's `get` throws for a record it holds but cannot read as a session (metadata that
 * is not numbers, data that is not an object of JSON texts). The module treats it as invalid
 * stored data: a fresh session with a warning, or a 500 under `onInvalidStoredData: 'reject'`;
 * never a session stuck failing, never one that cannot expire.
 */
class CorruptSessionRecordErrorClass extends Error {
  constructor(readonly problem: string) {
    super(`stored session record is corrupt: ${problem}`);
    this.name = 'CorruptSessionRecordError';
  }
}

// One class each per process, whichever build loads first, so `instanceof` holds across the
// CommonJS and ESM builds (see `processWide`).
export const SessionStoreError = processWide('SessionStoreError', SessionStoreErrorClass);
export type SessionStoreError = SessionStoreErrorClass;
export const CorruptSessionRecordError = processWide(
  'CorruptSessionRecordError',
  CorruptSessionRecordErrorClass,
);
export type CorruptSessionRecordError = CorruptSessionRecordErrorClass;
