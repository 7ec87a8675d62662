import { Inject, Injectable, Logger } from '@nestjs/common';
import { CookieSigner } from '../cookie/cookie-signer.js';
import { readCookie, serializeSessionCookie } from '../cookie/session-cookie.js';
import { newSessionId } from '../cookie/session-id.js';
import {
  SessionConflictError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionValidationError,
  StoredSessionInvalidError,
  type StoreOperation,
} from '../errors/session-errors.js';
import {
  appendSetCookie,
  cookieHeader,
  headersSent,
  isSecureRequest,
  setHeader,
  type PlatformRequest,
  type PlatformResponse,
} from '../http/http-platform.js';
import { RESOLVED_SESSION_OPTIONS } from '../module/session.constants.js';
import type { ResolvedSessionOptions } from '../module/session-options.js';
import { SchemaCodec, type FieldFailure } from '../schema/schema-codec.js';
import { schemaForKey, type SessionSchemaDefinition } from '../schema/session-schema.decorator.js';
import {
  isExpired,
  type SessionLockRequest,
  type SessionMetadata,
  type SessionWrite,
} from '../store/session-record.js';
import { SessionStore } from '../store/session-store.js';
import { CorruptSessionRecordError } from '../store/session-store-error.js';
import { SessionState, type PendingChange, type Slot } from './session-state.js';
import { sessionTag } from './session-tag.js';
import { unstorableText } from './storable-text.js';
import { TouchTracker } from './touch-tracker.js';

/**
 * Everything between a request and the store: reading the cookie, loading and validating,
 * committing what changed (the one commit function, whatever triggers it), refreshing expiry,
 * and writing the cookie. Stateless per request; per-request state lives in `SessionState`.
 */
@Injectable()
export class SessionEngine {
  protected readonly logger = new Logger('SessionModule');
  protected readonly signer: CookieSigner;
  protected readonly codec = new SchemaCodec();
  protected readonly tracker: TouchTracker;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) readonly options: ResolvedSessionOptions,
    protected readonly store: SessionStore,
  ) {
    this.signer = new CookieSigner(options.secrets);
    this.tracker = new TouchTracker(options.touchAfter);
  }

  now(): number {
    return this.options.clock();
  }

  warn(message: string): void {
    this.logger.warn(message);
  }

  /** The session id in the request's cookie if its signature is valid, else `null`; once. */
  cookieId(state: SessionState): string | null {
    if (state.verifiedCookieId === undefined) {
      state.verifiedCookieId = this.verifiedId(state.request);
    }
    return state.verifiedCookieId;
  }

  /** The current id, drawing a new one for a session that has none yet. */
  idOf(state: SessionState): string {
    state.currentId ??= newSessionId();
    return state.currentId;
  }

  /** Read the session from the store once; later calls share the first read. */
  ready(state: SessionState): Promise<void> {
    if (state.loaded) return Promise.resolve();
    state.loading ??= this.load(state).then(
      () => {
        state.loaded = true;
      },
      (error: unknown) => {
        state.loading = undefined; // a failed read may be tried again
        throw error;
      },
    );
    return state.loading;
  }

  protected async load(state: SessionState): Promise<void> {
    const id = this.cookieId(state);
    if (!id) return state.adopt(undefined, null); // forged or absent: fresh, no store read
    let record;
    try {
      record = await this.store.get(id);
    } catch (error) {
      if (!(error instanceof CorruptSessionRecordError))
        throw this.unavailable(state, 'read', error);
      if (this.options.onInvalidStoredData === 'reject') {
        throw new StoredSessionInvalidError('(record)', [error.problem]);
      }
      this.warn(`session ${sessionTag(id)}: ${error.message}; a fresh session replaces it`);
      this.destroyQuietly(id, 'corrupt');
      record = null;
    }
    if (record && isExpired(record.metadata, this.now())) {
      this.destroyQuietly(id, 'expired'); // the store kept it past its expiry; never bring it back
      record = null;
    }
    state.adopt(id, record);
  }

  /** The slot of `key` with its stored text parsed. */
  slot(state: SessionState, key: string): Slot {
    const slot = state.unparsedSlot(key);
    if (!slot.parsed) this.parse(state, key, slot);
    return slot;
  }

  /**
   * Build a namespace's typed instance without waiting, when no validation is needed: its text
   * was hydrated and validated before, or it is absent and gets the defaults. `false` otherwise.
   */
  materializeKnown(state: SessionState, schema: SessionSchemaDefinition): boolean {
    const slot = state.unparsedSlot(schema.key);
    if (slot.parsed && slot.value instanceof schema.type) return true;
    slot.schema = schema;
    if (!slot.parsed && slot.stored !== undefined) {
      if (state.storedVersion(schema.key) !== schema.version) return false;
      const known = this.codec.known(schema, slot.stored);
      if (!known) return false;
      slot.value = known;
      slot.parsed = true;
      return true;
    }
    if (!slot.parsed) this.parse(state, schema.key, slot);
    if (slot.value !== undefined) return false;
    const defaults = new schema.type();
    slot.value = defaults;
    if (slot.stored === undefined) slot.clean = JSON.stringify(defaults);
    return true;
  }

  /** Build a namespace's typed instance: migrate, hydrate, validate, or reset to defaults. */
  async materialize(state: SessionState, schema: SessionSchemaDefinition): Promise<unknown> {
    const slot = state.unparsedSlot(schema.key);
    if (this.materializeKnown(state, schema)) return slot.value;
    if (!slot.parsed) this.parse(state, schema.key, slot);
    if (slot.value === undefined) {
      // Stored text that is not JSON (dropped by parse): invalid stored data.
      return this.invalidStoredData(state, slot, schema, ['(not JSON)']);
    }
    const storedVersion = state.storedVersion(schema.key);
    let plain: unknown = slot.value;
    let text = slot.stored;
    if (slot.stored !== undefined && storedVersion !== schema.version && schema.migrate) {
      plain = schema.migrate(plain, storedVersion);
      text = undefined;
      slot.forceWrite = true;
    }
    const instance = this.codec.hydrate(schema, plain);
    const failures = await this.codec.check(schema, instance, text ?? JSON.stringify(instance));
    if (failures.length === 0) {
      slot.value = instance;
      return instance;
    }
    return this.invalidStoredData(
      state,
      slot,
      schema,
      failures.map((failure) => failure.field),
    );
  }

  protected invalidStoredData(
    state: SessionState,
    slot: Slot,
    schema: SessionSchemaDefinition,
    fields: string[],
  ): unknown {
    if (this.options.onInvalidStoredData === 'reject') {
      throw new StoredSessionInvalidError(schema.key, fields);
    }
    const tag = sessionTag(this.idOf(state));
    this.warn(
      `session ${tag}: namespace "${schema.key}" failed its schema (${fields.join(', ')}); reset to defaults`,
    );
    slot.value = new schema.type();
    slot.forceWrite = true;
    return slot.value;
  }

  /** A new id for the same data; the store moves it at commit (see `write`). */
  async regenerate(state: SessionState): Promise<void> {
    await this.ready(state);
    if (!state.isNew && state.regeneratedFrom === null) {
      state.regeneratedFrom = this.idOf(state);
      state.regeneratedRevisions = { ...state.record?.revisions };
    }
    state.currentId = newSessionId();
  }

  /** End the session now: its data is deleted and the response clears the cookie. */
  async destroy(state: SessionState): Promise<void> {
    await this.ready(state);
    const ids = [state.isNew ? null : this.idOf(state), state.regeneratedFrom];
    try {
      await Promise.all(ids.map((id) => id && this.store.destroy(id)));
    } catch (error) {
      throw this.unavailable(state, 'destroy', error);
    }
    for (const id of ids) if (id) this.tracker.forget(id);
    state.adopt(undefined, null);
    state.regeneratedFrom = null;
    state.regeneratedRevisions = null;
    state.destroyed = true;
  }

  /**
   * The one commit: write what changed, or refresh the expiry when due, and set or clear the
   * cookie. Answers `undefined` when there was nothing to write (all done at once, no promise),
   * or the write. Committing twice writes only what changed in between.
   */
  commit(state: SessionState): Promise<void> | undefined {
    if (!state.loaded) return undefined;
    const now = this.now();
    const regenerated = state.regeneratedFrom !== null;
    const change = state.readonly
      ? { set: {}, remove: [], changed: [] }
      : state.pendingChange(regenerated);
    const writes = Object.keys(change.set).length + change.remove.length > 0;
    if (!writes && !regenerated) {
      if (state.destroyed) this.clearCookie(state);
      else if (!state.isNew) this.refreshIfDue(state, now);
      return undefined;
    }
    return this.write(state, change, now);
  }

  protected async write(state: SessionState, change: PendingChange, now: number): Promise<void> {
    await this.validate(change);
    this.checkSize(state, change);
    const recreate = state.isNew || state.regeneratedFrom !== null;
    const metadata = this.metadataFor(state, now);
    const write: SessionWrite = {
      mode: recreate ? 'create' : 'update',
      metadata,
      set: change.set,
      remove: change.remove,
    };
    if (!recreate) {
      const expected = this.expectedRevisions(state, change);
      if (expected) write.expectRevisions = expected;
    }
    const id = this.idOf(state);
    let result;
    try {
      result = await this.store.set(id, write);
    } catch (error) {
      throw this.unavailable(state, 'write', error);
    }
    if (result.status === 'missing') throw new SessionInterruptedError();
    if (result.status === 'conflict') throw new SessionConflictError(result.namespaces);
    const replaced = state.regeneratedFrom;
    if (replaced !== null) {
      try {
        await this.store.destroy(replaced);
      } catch (error) {
        throw this.unavailable(state, 'destroy', error);
      }
      this.tracker.forget(replaced);
    }
    state.committed(id, change, metadata, recreate);
    this.tracker.record(id, now);
    if (recreate || this.options.cookie.maxAge !== undefined) this.setCookie(state, id);
  }

  /**
   * Activity on a route that did not read its session (the `everyRoute` option): refresh the
   * expiry blindly (no read) when `touchAfter` says it is due. A failure is logged; the response
   * goes on.
   */
  touchFromCookie(request: PlatformRequest, response: PlatformResponse | undefined): void {
    const id = this.verifiedId(request);
    if (!id) return;
    const now = this.now();
    if (!this.tracker.isDue(id, now)) return;
    this.tracker.record(id, now);
    this.blindTouch(id, now);
    if (response && this.options.cookie.maxAge !== undefined) {
      this.writeCookie(request, response, this.signer.sign(id));
    }
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
      throw this.unavailable(state, 'lock', error);
    }
  }

  /** Release a lock; a failure is logged (the lock expires on its own). */
  releaseLock(id: string, token: string): void {
    this.store.releaseLock(id, token).catch((error: unknown) => {
      this.warn(`session lock release failed (it expires on its own): ${String(error)}`);
    });
  }

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

  /** Parse a slot's stored text; text that is not JSON is left unparsed with a warning. */
  protected parse(state: SessionState, key: string, slot: Slot): void {
    slot.parsed = true;
    if (slot.stored === undefined) return;
    try {
      slot.value = JSON.parse(slot.stored) as unknown;
    } catch {
      const tag = sessionTag(this.idOf(state));
      this.warn(`session ${tag}: stored value of "${key}" is not JSON`);
      slot.unreadable = true;
    }
  }

  protected verifiedId(request: PlatformRequest): string | null {
    const value = readCookie(cookieHeader(request), this.options.cookie.name);
    return value ? this.signer.unsign(value) : null;
  }

  protected destroyQuietly(id: string, why: string): void {
    this.store
      .destroy(id)
      .catch((error: unknown) =>
        this.warn(`destroy of ${why} session ${sessionTag(id)} failed: ${String(error)}`),
      );
  }

  protected refreshIfDue(state: SessionState, now: number): void {
    const stored = state.metadata;
    if (!stored) return;
    if (!state.touchRequested && now - stored.lastSeenAt < this.options.touchAfter) return;
    const id = this.idOf(state);
    this.tracker.record(id, now);
    this.blindTouch(id, now);
    state.touched({ ...stored, lastSeenAt: now, idleExpiresAt: now + this.options.idleTimeout });
    if (this.options.cookie.maxAge !== undefined) this.setCookie(state, id);
  }

  protected blindTouch(id: string, now: number): void {
    this.store
      .touch(id, { lastSeenAt: now, idleExpiresAt: now + this.options.idleTimeout })
      .catch((error: unknown) => {
        this.tracker.forget(id);
        this.warn(`session touch failed (the response went on): ${String(error)}`);
      });
  }

  protected metadataFor(state: SessionState, now: number): SessionMetadata {
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

  protected async validate(change: PendingChange): Promise<void> {
    const failures: FieldFailure[] = [];
    for (const key of change.changed) {
      const text = change.set[key];
      if (text === undefined) continue;
      const unstorable = unstorableText(text);
      if (unstorable) {
        failures.push({ field: key, messages: [`${key} ${unstorable}`] });
        continue;
      }
      const schema = schemaForKey(key);
      if (!schema) continue;
      const instance = this.codec.hydrate(schema, JSON.parse(text));
      failures.push(...(await this.codec.check(schema, instance, text)));
    }
    if (failures.length) throw new SessionValidationError(failures);
  }

  protected checkSize(state: SessionState, change: PendingChange): void {
    const data = state.regeneratedFrom === null ? state.storedTexts() : {};
    for (const key of change.remove) delete data[key];
    Object.assign(data, change.set);
    let size = 0;
    for (const [key, text] of Object.entries(data)) size += key.length + Buffer.byteLength(text);
    if (size > this.options.maxSize) throw new SessionTooLargeError(size, this.options.maxSize);
  }

  protected expectedRevisions(
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

  protected setCookie(state: SessionState, id: string): void {
    if (!state.response) return;
    this.writeCookie(state.request, state.response, this.signer.sign(id));
  }

  protected clearCookie(state: SessionState): void {
    if (!state.response) return;
    this.writeCookie(state.request, state.response, null);
    state.destroyed = false;
  }

  protected writeCookie(
    request: PlatformRequest,
    response: PlatformResponse,
    value: string | null,
  ): void {
    if (headersSent(response)) {
      this.warn(
        'the response was already sent; the session cookie could not be set (call session.commit() before sending)',
      );
      return;
    }
    const { cookie } = this.options;
    const secure = cookie.secure === 'auto' ? isSecureRequest(request) : cookie.secure;
    appendSetCookie(response, serializeSessionCookie(cookie, value, secure));
    // A response that carries a session id must never be cached and replayed to someone else.
    setHeader(response, 'Cache-Control', 'no-store');
  }
}
