import { Inject, Injectable } from '@nestjs/common';
import { newSessionId } from '../cookie/session-id.js';
import { SessionCookies } from '../cookie/session-cookies.js';
import {
  SessionConflictError,
  SessionInterruptedError,
  SessionTooLargeError,
  SessionValidationError,
} from '../errors/session-errors.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import { SchemaCodec, type Checked, type FieldFailure } from '../schema/schema-codec.js';
import { schemaForKey } from '../schema/session-schema.decorator.js';
import type { SessionLockRequest, SessionMetadata, SessionWrite } from '../store/session-record.js';
import { KEYED_SESSION_STORE, KeyedSessionStore } from '../store-keys/keyed-session-store.js';
import { SessionEventHub } from '../events/session-event-hub.js';
import type { SessionEvent, SessionEventType } from '../events/session-event.js';
import { SessionLoader } from './session-loader.js';
import type { PendingChange, SessionState } from './session-state.js';
import { unstorableText } from './storable-text.js';
import { StoreFaults } from './store-faults.js';
import { TouchTracker } from './touch-tracker.js';

/** A settled promise to hand out when there was nothing to wait for. */
const DONE: Promise<void> = Promise.resolve();

/**
 * The way out: the one commit function (whatever triggers it), and the life-cycle calls that
 * reach the store: regenerate, destroy, locks, and refreshing the expiry of a session in use.
 */
@Injectable()
export class SessionCommitter {
  /**
   * Only `everyRoute` touches sessions it did not read (`touchFromCookie`), so only then is it
   * worth remembering when each was last refreshed: otherwise a 100,000-entry map per process
   * would be kept up to date on every commit for nothing.
   */
  private readonly tracker: TouchTracker | null;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    @Inject(KEYED_SESSION_STORE) private readonly store: KeyedSessionStore,
    private readonly loader: SessionLoader,
    private readonly cookies: SessionCookies,
    private readonly codec: SchemaCodec,
    private readonly faults: StoreFaults,
    private readonly events: SessionEventHub,
  ) {
    this.tracker = options.everyRoute ? new TouchTracker(options.touchAfter) : null;
  }

  /**
   * Write what changed, or refresh the expiry when due, and set or clear the cookie. Answers
   * `undefined` when there was nothing to write (all done at once, no promise), or the write.
   * Committing twice writes only what changed in between.
   */
  commit(state: SessionState): Promise<void> | undefined {
    if (!state.loaded) return undefined;
    const now = this.options.clock();
    const regenerated = state.regeneratedFrom !== null;
    const change = state.readonly
      ? { set: {}, remove: [], changed: [] }
      : state.pendingChange(regenerated);
    const writes =
      Object.keys(change.set).length + change.remove.length > 0 ||
      (state.ownerChanged && !state.readonly);
    if ((writes || regenerated) && !this.cookies.consented(state.request)) {
      // No consent to the (non-essential) session: it lives for this request only.
      return undefined;
    }
    if (!writes && !regenerated) {
      if (state.destroyed) this.clearCookie(state);
      else if (!state.isNew) this.refreshIfDue(state, now);
      return undefined;
    }
    return this.write(state, change, now);
  }

  /**
   * A new id for the same data; the store moves it at commit (see `write`). A loaded session
   * (every route that has it in a parameter) takes no extra step.
   */
  regenerate(state: SessionState): Promise<void> {
    if (!state.loaded) return this.loader.ready(state).then(() => this.renew(state));
    this.renew(state);
    return DONE;
  }

  private renew(state: SessionState): void {
    if (!state.isNew && state.regeneratedFrom === null) {
      state.regeneratedFrom = this.loader.idOf(state);
      state.regeneratedRevisions = { ...state.record?.revisions };
    }
    state.currentId = newSessionId();
  }

  /** End the session now: its data is deleted and the response clears the cookie. */
  async destroy(state: SessionState): Promise<void> {
    await this.loader.ready(state);
    const ids = [state.isNew ? null : this.loader.idOf(state), state.regeneratedFrom];
    try {
      await Promise.all(ids.map((id) => id && this.store.destroy(id)));
    } catch (error) {
      throw this.faults.unavailable(state, 'destroy', error);
    }
    for (const id of ids) if (id) this.tracker?.forget(id);
    if (ids[0]) this.announce('session.destroyed', ids[0]);
    state.adopt(undefined, null);
    state.regeneratedFrom = null;
    state.regeneratedRevisions = null;
    state.destroyed = true;
  }

  /** Take a session's lock for `@SessionLock()`; `null` when it could not be had in time. */
  async acquireLock(
    state: SessionState,
    id: string,
    request: SessionLockRequest,
  ): Promise<string | null> {
    try {
      return await this.store.acquireLock(id, request);
    } catch (error) {
      throw this.faults.unavailable(state, 'lock', error);
    }
  }

  /** Release a lock; a failure is logged (the lock expires on its own). */
  releaseLock(id: string, token: string): void {
    this.store.releaseLock(id, token).catch((error: unknown) => {
      this.faults.warn(`session lock release failed (it expires on its own): ${String(error)}`);
    });
  }

  /**
   * Activity on a route that did not read its session (the `everyRoute` option): refresh the
   * expiry blindly (no read) when `touchAfter` says it is due. A failure is logged; the response
   * goes on.
   */
  touchFromCookie(request: PlatformRequest, response: PlatformResponse | undefined): void {
    const id = this.cookies.verifiedId(request);
    if (!id) return;
    const now = this.options.clock();
    if (!this.tracker || !this.tracker.isDue(id, now)) return;
    this.tracker.record(id, now);
    this.blindTouch(id, now);
    if (response && this.options.cookie.maxAge !== undefined) {
      this.cookies.write(request, response, id);
    }
  }

  private async write(state: SessionState, change: PendingChange, now: number): Promise<void> {
    const validating = this.validate(change);
    if (validating) await validating;
    this.checkSize(state, change);
    const recreate = state.isNew || state.regeneratedFrom !== null;
    const metadata = this.metadataFor(state, now);
    const write: SessionWrite = {
      mode: recreate ? 'create' : 'update',
      metadata,
      set: change.set,
      remove: change.remove,
    };
    // A new record carries the binding along (a regenerate moves it to the new id).
    if (recreate || state.ownerChanged) write.owner = state.owner;
    if (!recreate) {
      const expected = this.expectedRevisions(state, change);
      if (expected) write.expectRevisions = expected;
    }
    const id = this.loader.idOf(state);
    let result;
    try {
      result = await this.store.set(id, write);
    } catch (error) {
      throw this.faults.unavailable(state, 'write', error);
    }
    if (result.status === 'missing') throw new SessionInterruptedError();
    if (result.status === 'conflict') throw new SessionConflictError(result.namespaces);
    const replaced = state.regeneratedFrom;
    if (replaced !== null) await this.retire(state, replaced, id);
    const created = state.isNew;
    state.committed(id, change, metadata, recreate);
    this.tracker?.record(id, now);
    if (replaced !== null) this.announce('session.regenerated', id, replaced);
    else if (created) this.announce('session.created', id);
    if (recreate || this.options.cookie.maxAge !== undefined) this.setCookie(state, id);
  }

  private announce(type: SessionEventType, id: string, previous?: string): void {
    if (!this.events.listening) return;
    const event: SessionEvent = { type, tag: this.loader.tag(id), at: this.options.clock() };
    if (previous !== undefined) event.previousTag = this.loader.tag(previous);
    this.events.emit(event);
  }

  /**
   * The second half of a regenerate, a move: the old id is destroyed only if its revisions are
   * still the ones this request copied to `newId` (one compare-and-delete on the old key).
   * Otherwise another request logged out, regenerated or wrote meanwhile: the copy is removed
   * and this request answers 409, so a session is never resurrected, forked, or missing an
   * acknowledged write. A crash between the two steps leaves an id no client holds; it expires.
   */
  private async retire(state: SessionState, replaced: string, newId: string): Promise<void> {
    let outcome;
    try {
      outcome = await this.store.destroyIfUnchanged(replaced, state.regeneratedRevisions ?? {});
    } catch (error) {
      await this.removeCopy(newId);
      throw this.faults.unavailable(state, 'write', error);
    }
    if (outcome !== 'destroyed') {
      await this.removeCopy(newId);
      throw new SessionInterruptedError();
    }
    this.tracker?.forget(replaced);
  }

  /** Remove a regenerate's copy that must not live; if that fails too, no client holds it. */
  private async removeCopy(id: string): Promise<void> {
    try {
      await this.store.destroy(id);
    } catch (error) {
      this.faults.warn(
        `removing an abandoned regenerate copy failed (it expires): ${String(error)}`,
      );
    }
  }

  private refreshIfDue(state: SessionState, now: number): void {
    const stored = state.metadata;
    if (!stored) return;
    if (!state.touchRequested && now - stored.lastSeenAt < this.options.touchAfter) return;
    const id = this.loader.idOf(state);
    this.tracker?.record(id, now);
    this.blindTouch(id, now);
    state.touched({ ...stored, lastSeenAt: now, idleExpiresAt: now + this.options.idleTimeout });
    if (this.options.cookie.maxAge !== undefined) this.setCookie(state, id);
  }

  private blindTouch(id: string, now: number): void {
    this.store
      .touch(id, { lastSeenAt: now, idleExpiresAt: now + this.options.idleTimeout })
      .catch((error: unknown) => {
        this.tracker?.forget(id);
        this.faults.warn(`session touch failed (the response went on): ${String(error)}`);
      });
  }

  private metadataFor(state: SessionState, now: number): SessionMetadata {
    const stored = state.metadata;
    const { absoluteTimeout, idleTimeout } = this.options;
    // A regenerated session keeps its creation time: a new id does not buy a new lifetime.
    const createdAt = stored ? stored.createdAt : now;
    const absoluteExpiresAt = stored
      ? stored.absoluteExpiresAt
      : absoluteTimeout === false
        ? null
        : now + absoluteTimeout;
    return { createdAt, lastSeenAt: now, idleExpiresAt: now + idleTimeout, absoluteExpiresAt };
  }

  /**
   * Check every changed namespace; throws `SessionValidationError` naming each failure. Answers
   * `undefined` when all was checked at once (compiled schemas, texts seen before), so the common
   * commit takes no extra step, or a promise when a schema falls back to class-validator.
   */
  private validate(change: PendingChange): Promise<void> | undefined {
    const outcomes: Array<{ key: string; checked: Checked | Promise<Checked> }> = [];
    let waits = false;
    for (const key of change.changed) {
      const text = change.set[key];
      if (text === undefined) continue;
      const unstorable = unstorableText(text);
      if (unstorable) {
        const failures = [{ field: key, messages: [`${key} ${unstorable}`] }];
        outcomes.push({ key, checked: { ok: false, failures, details: [] } });
        continue;
      }
      const schema = schemaForKey(key);
      if (!schema) continue;
      // The text was serialised once by the commit; a text seen valid before costs a lookup.
      const checked = this.codec.checkText(schema, text);
      if (checked instanceof Promise) waits = true;
      outcomes.push({ key, checked });
    }
    const settle = (results: Checked[]): void => {
      const failures: FieldFailure[] = [];
      results.forEach((result, i) => {
        if (result.ok) change.set[outcomes[i].key] = result.text;
        else failures.push(...result.failures);
      });
      if (failures.length) throw new SessionValidationError(failures);
    };
    if (waits) return Promise.all(outcomes.map((outcome) => outcome.checked)).then(settle);
    settle(outcomes.map((outcome) => outcome.checked as Checked));
    return undefined;
  }

  /** The session's size after this change: what stays as stored, plus what is written. */
  private checkSize(state: SessionState, change: PendingChange): void {
    let size = 0;
    // A regenerate's change already carries every namespace it keeps.
    const stored = state.regeneratedFrom === null ? state.record?.data : undefined;
    if (stored) {
      for (const key of Object.keys(stored)) {
        if (Object.hasOwn(change.set, key) || change.remove.includes(key)) continue;
        size += key.length + Buffer.byteLength(stored[key]);
      }
    }
    for (const key of Object.keys(change.set)) {
      size += key.length + Buffer.byteLength(change.set[key]);
    }
    if (size > this.options.maxSize) throw new SessionTooLargeError(size, this.options.maxSize);
  }

  private expectedRevisions(
    state: SessionState,
    change: PendingChange,
  ): Record<string, number> | undefined {
    let expected: Record<string, number> | undefined;
    for (const key of [...change.changed, ...change.remove]) {
      if (schemaForKey(key)?.onConflict !== 'reject') continue;
      (expected ??= {})[key] = state.loadedRevision(key);
    }
    return expected;
  }

  private setCookie(state: SessionState, id: string): void {
    if (state.response) this.cookies.write(state.request, state.response, id);
  }

  private clearCookie(state: SessionState): void {
    if (!state.response) return;
    this.cookies.write(state.request, state.response, null);
    state.destroyed = false;
  }
}
