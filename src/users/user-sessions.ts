import { Inject, Injectable } from '@nestjs/common';
import { SessionStoreUnavailableError, type StoreOperation } from '../errors/session-errors.js';
import { SessionEventHub } from '../events/session-event-hub.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { checkedUserId } from '../session/session-owner-input.js';
import { sessionTag } from '../session/session-tag.js';
import { StoreFaults } from '../session/store-faults.js';
import { expiresAt } from '../store/session-record.js';
import { SessionStore } from '../store/session-store.js';
import { KEYED_SESSION_STORE, type KeyedSessionStore } from '../store-keys/keyed-session-store.js';
import type { SessionHandle } from '../session/session-handle.js';
import { SessionUserIndexUnsupportedError } from './session-user-index-unsupported.error.js';
import type {
  DestroyUserSessionsOptions,
  ListForUserOptions,
  UserSession,
} from './user-session.js';

/**
 * The sessions of a user, through the store's user index: the account page's list and "log out
 * everywhere (else)". Reached through `SessionService.listForUser` / `destroyForUser`.
 */
@Injectable()
export class UserSessions {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    /** The app's own store: whether it has a user index, and its name in errors. */
    private readonly store: SessionStore,
    /** The same store seen through session ids: `except` and `current` become store keys. */
    @Inject(KEYED_SESSION_STORE) private readonly keyed: KeyedSessionStore,
    private readonly faults: StoreFaults,
    private readonly events: SessionEventHub,
  ) {}

  /** The user's live sessions, the most recently active first. */
  async list(userId: string, options: ListForUserOptions = {}): Promise<UserSession[]> {
    checkedUserId(userId, 'SessionService.listForUser(userId)');
    if (typeof this.store.listForUser !== 'function') throw this.unsupported('listForUser');
    let entries;
    try {
      entries = await this.keyed.listUserSessions(userId);
    } catch (error) {
      throw this.unavailable('list', error);
    }
    const now = this.options.clock();
    const current =
      options.current && !options.current.isNew ? this.keyed.keyOf(options.current.id) : undefined;
    return entries
      .filter((entry) => expiresAt(entry.metadata) > now)
      .map((entry) => ({
        tag: sessionTag(entry.id),
        createdAt: entry.metadata.createdAt,
        lastSeenAt: entry.metadata.lastSeenAt,
        expiresAt: expiresAt(entry.metadata),
        info: entry.info,
        current: entry.id === current,
      }))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** End every session of the user but `except`; answers how many ended. */
  async destroy(userId: string, options: DestroyUserSessionsOptions = {}): Promise<number> {
    checkedUserId(userId, 'SessionService.destroyForUser(userId)');
    if (typeof this.store.destroyForUser !== 'function') throw this.unsupported('destroyForUser');
    const except = exceptId(options.except);
    let destroyed;
    try {
      destroyed = await this.keyed.destroyUserSessions(
        userId,
        except === undefined ? {} : { except },
      );
    } catch (error) {
      throw this.unavailable('destroy', error);
    }
    const at = this.options.clock();
    for (const id of destroyed) {
      this.events.emit({ type: 'session.destroyed', tag: sessionTag(id), at });
    }
    return destroyed.length;
  }

  private unsupported(method: string): SessionUserIndexUnsupportedError {
    return new SessionUserIndexUnsupportedError(this.store.constructor.name, method);
  }

  private unavailable(operation: StoreOperation, error: unknown): SessionStoreUnavailableError {
    this.faults.logger.error(
      `session store ${operation} (sessions of a user) failed: ${String(error)}`,
    );
    return new SessionStoreUnavailableError(operation, this.options.retryAfterSeconds, error);
  }
}

/** The id of the session to spare; a handle not stored yet spares nothing (it has no sessions). */
function exceptId(handle: SessionHandle | undefined): string | undefined {
  if (handle === undefined) return undefined;
  if (!(typeof handle === 'object' && handle !== null && 'isNew' in handle)) {
    throw new TypeError('destroyForUser(userId, { except }): except must be a SessionHandle');
  }
  return handle.isNew ? undefined : handle.id;
}
