import { Logger } from '@nestjs/common';
import type { SessionMetadata } from './session-record.js';

/**
 * Why a session expired: its idle timeout passed, its absolute timeout passed, or the store's
 * own TTL removed it and the store cannot tell which (Redis: the key is gone when it hears of it).
 */
export type SessionExpiryCause = 'idle' | 'absolute' | 'unknown';

/** A store's report that a session expired and is gone from the store. */
export interface StoreExpiry {
  /**
   * The key the store held the session under: the `id` its methods were called with. (With
   * hashed store keys that is the hash, never the id in the cookie.)
   */
  key: string;
  cause: SessionExpiryCause;
  /** When the store noticed it, by the store's clock (epoch ms). */
  at: number;
}

export type StoreExpiryListener = (expiry: StoreExpiry) => void;

/** Which timeout ended a session whose record is `metadata`: the one that came first. */
export function expiryCause(
  metadata: Pick<SessionMetadata, 'idleExpiresAt' | 'absoluteExpiresAt'>,
): 'idle' | 'absolute' {
  const { absoluteExpiresAt, idleExpiresAt } = metadata;
  return absoluteExpiresAt !== null && absoluteExpiresAt <= idleExpiresAt ? 'absolute' : 'idle';
}

/**
 * The listeners of a store's `onExpired`, for store authors. `report` calls each one
 * synchronously and logs (never rethrows) what one throws, so that a broken listener cannot stop
 * the sweep or cleanup that found the expiry; `listening` lets a store skip work nobody reads.
 */
export class StoreExpiryListeners {
  private readonly listeners = new Set<StoreExpiryListener>();
  private readonly logger: Logger;

  /** `context`: the store's name, in the log line of a listener that threw. */
  constructor(context: string) {
    this.logger = new Logger(context);
  }

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Adds `listener`; answers the function that removes it. */
  add(listener: StoreExpiryListener): () => void {
    // A wrapper per call, so the same function added twice is removed one call at a time.
    const entry: StoreExpiryListener = (expiry) => listener(expiry);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  report(expiry: StoreExpiry): void {
    for (const listener of this.listeners) {
      try {
        listener(expiry);
      } catch (error) {
        this.logger.warn(
          `a listener of expired sessions failed (nothing else did): ${String(error)}`,
        );
      }
    }
  }
}
