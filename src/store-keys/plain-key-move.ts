import type { SessionLockRequest, StoredSession } from '../store/session-record.js';
import { SessionStore } from '../store/session-store.js';
import { CorruptSessionRecordError, SessionStoreError } from '../store/session-store-error.js';

/** Attempts before a move gives up on a plain record that keeps changing under it. */
const MOVE_ATTEMPTS = 3;

/**
 * The migration from plain to hashed store keys (`storeKeys: { migrateFrom: 'plain' }`): a
 * session still stored under its plain id is moved under its hashed key on its first read.
 *
 * The move is a copy and a compare-and-delete (`destroyIfUnchanged`) of the plain record, done
 * under the store's lock on the plain id, so that:
 * - two requests of one session that both miss the hashed key do not both copy: the second
 *   waits for the lock and then finds the first one's copy (a second copy would overwrite what
 *   the first request has written there since);
 * - a plain record that changed or went away between the read and the delete (an instance still
 *   on plain keys during a rolling deploy wrote it, or logged it out) leaves no copy behind: the
 *   copy is removed, and the move starts again or answers "no session". Logout stays final.
 * A crash between copy and delete leaves both; the hashed copy wins and the plain one expires.
 */
export class PlainKeyMove {
  constructor(
    private readonly store: SessionStore,
    private readonly lock: SessionLockRequest,
  ) {}

  /** The session of `id` after moving it from `id` to `key`; `null` when there is none. */
  async move(id: string, key: string): Promise<StoredSession | null> {
    if (!(await this.readPlain(id))) return null; // the common miss takes no lock
    const token = await this.store.acquireLock(id, this.lock);
    if (token === null) {
      throw new SessionStoreError(
        `moving a session to its hashed key timed out waiting ${this.lock.waitMs} ms for its lock`,
        'not-applied',
      );
    }
    try {
      return await this.moveLocked(id, key);
    } finally {
      // A failed release is harmless: the lock expires after ttlMs.
      await this.store.releaseLock(id, token).catch(() => undefined);
    }
  }

  private async moveLocked(id: string, key: string): Promise<StoredSession | null> {
    for (let attempt = 0; attempt < MOVE_ATTEMPTS; attempt++) {
      const moved = await this.store.get(key);
      if (moved) return moved; // another request moved it while this one waited for the lock
      const plain = await this.readPlain(id);
      if (!plain) return null;
      const copied = await this.store.set(key, {
        mode: 'create',
        metadata: plain.metadata,
        set: plain.data,
        remove: [],
        // The user binding moves with the session (the user index follows the key).
        ...(plain.owner ? { owner: plain.owner } : {}),
      });
      if (copied.status !== 'ok') {
        throw new SessionStoreError(
          `copying a session to its hashed key: ${copied.status}`,
          'unknown',
        );
      }
      const outcome = await this.store.destroyIfUnchanged(id, plain.revisions);
      if (outcome === 'destroyed') return this.store.get(key);
      await this.store.destroy(key); // the plain record moved on: this copy must not live
      if (outcome === 'missing') return null;
    }
    throw new SessionStoreError(
      `the session's plain-keyed record changed during ${MOVE_ATTEMPTS} attempts to move it`,
      'not-applied',
    );
  }

  /** The plain record; a corrupt one is removed (it would never be moved) and reads as none. */
  private async readPlain(id: string): Promise<StoredSession | null> {
    try {
      return await this.store.get(id);
    } catch (error) {
      if (!(error instanceof CorruptSessionRecordError)) throw error;
      await this.store.destroy(id);
      return null;
    }
  }
}
