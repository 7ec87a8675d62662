import { Inject, Injectable, Logger } from '@nestjs/common';
import { CookieSigner } from '../cookie/cookie-signer.js';
import {
  appendSetCookie,
  cookieHeader,
  headersSent,
  isSecureRequest,
  setHeader,
  type PlatformRequest,
  type PlatformResponse,
} from '../http/http-platform.js';
import type { RequestSession, PendingChange } from './request-session.js';
import { SchemaCodec, type FieldFailure } from '../schema/schema-codec.js';
import { RESOLVED_SESSION_OPTIONS } from '../module/session.constants.js';
import {
  SessionConflictError,
  SessionInterruptedError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionValidationError,
  StoredSessionInvalidError,
} from '../errors/session-errors.js';
import type { ResolvedSessionOptions } from '../module/session-options.js';
import { isExpired, type SessionMetadata, type SessionWrite } from '../store/session-record.js';
import { schemaForKey, type SessionSchemaDefinition } from '../schema/session-schema.decorator.js';
import { serializeSessionCookie, readCookie } from '../cookie/session-cookie.js';
import { SessionStore } from '../store/session-store.js';
import { TouchTracker } from './touch-tracker.js';

type Slot = ReturnType<RequestSession['slot']>;

/**
 * Everything between a request and the store: reading the cookie, loading and validating,
 * committing what changed, refreshing expiry, and writing the cookie. Stateless per request;
 * per-request state lives in `RequestSession`.
 */
@Injectable()
export class SessionEngine {
  protected readonly logger = new Logger('SessionModule');
  protected readonly signer: CookieSigner;
  protected readonly codec = new SchemaCodec();
  protected readonly tracker: TouchTracker;

  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) readonly options: ResolvedSessionOptions,
    readonly store: SessionStore,
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

  /** The session id in the request's cookie if its signature is valid, else `null`. */
  cookieId(request: PlatformRequest): string | null {
    const value = readCookie(cookieHeader(request), this.options.cookie.name);
    return value ? this.signer.unsign(value) : null;
  }

  async load(session: RequestSession): Promise<void> {
    const id = session.cookieId;
    if (!id) return session.adopt(undefined, null); // forged or absent: fresh, no store read
    let record;
    try {
      record = await this.store.get(id);
    } catch (error) {
      throw this.unavailable(session, 'read', error);
    }
    if (record && isExpired(record.metadata, this.now())) {
      // The store kept it past its expiry; it must never come back.
      this.store
        .destroy(id)
        .catch((error: unknown) =>
          this.warn(`destroy of expired session failed: ${String(error)}`),
        );
      record = null;
    }
    session.adopt(id, record);
  }

  /**
   * Build a namespace's typed instance without waiting, when no validation is needed: its text
   * was hydrated and validated before, or it is absent and gets the defaults. `false` otherwise.
   */
  materializeKnown(session: RequestSession, slot: Slot, schema: SessionSchemaDefinition): boolean {
    slot.schema = schema;
    if (!slot.parsed && slot.stored !== undefined) {
      if (session.storedVersion(schema.key) !== schema.version) return false;
      const known = this.codec.known(schema, slot.stored);
      if (!known) return false;
      slot.value = known;
      slot.parsed = true;
      return true;
    }
    if (!slot.parsed) session.parse(schema.key, slot);
    if (slot.value !== undefined) return false;
    const defaults = new schema.type();
    slot.value = defaults;
    if (slot.stored === undefined) slot.clean = JSON.stringify(defaults);
    return true;
  }

  /** Build a namespace's typed instance: migrate, hydrate, validate, or reset to defaults. */
  async materialize(
    session: RequestSession,
    slot: Slot,
    schema: SessionSchemaDefinition,
  ): Promise<void> {
    if (this.materializeKnown(session, slot, schema)) return;
    if (!slot.parsed) session.parse(schema.key, slot);
    if (slot.value === undefined) {
      // Stored text that is not JSON (dropped with a warning by parse): the defaults.
      slot.value = new schema.type();
      slot.forceWrite = true;
      return;
    }
    const storedVersion = session.storedVersion(schema.key);
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
      return;
    }
    const fields = failures.map((failure) => failure.field);
    if (this.options.onInvalidStoredData === 'reject') {
      throw new StoredSessionInvalidError(schema.key, fields);
    }
    this.warn(
      `session namespace "${schema.key}" failed its schema (${fields.join(', ')}); reset to defaults`,
    );
    slot.value = new schema.type();
    slot.forceWrite = true;
  }

  async destroyIds(session: RequestSession, ids: string[]): Promise<void> {
    try {
      await Promise.all(ids.map((id) => this.store.destroy(id)));
    } catch (error) {
      throw this.unavailable(session, 'destroy', error);
    }
    for (const id of ids) this.tracker.forget(id);
  }

  /**
   * Write what changed, or refresh the expiry when due, and set or clear the cookie. Answers
   * `undefined` when there was nothing to write (all done at once, no promise), or the write.
   */
  commit(session: RequestSession): Promise<void> | undefined {
    if (!session.isLoaded) return undefined;
    const now = this.now();
    const regenerated = session.regeneratedFrom !== null;
    const recreate = session.isNew || regenerated;
    const change = session.readonly
      ? { set: {}, remove: [], changed: [] }
      : session.pendingChange(regenerated);
    const writes = Object.keys(change.set).length + change.remove.length > 0;
    if (!writes && !regenerated) {
      if (session.destroyed) this.clearCookie(session);
      else if (!session.isNew) this.refreshIfDue(session, now);
      return undefined;
    }
    return this.write(session, change, now, recreate);
  }

  protected async write(
    session: RequestSession,
    change: PendingChange,
    now: number,
    recreate: boolean,
  ): Promise<void> {
    await this.validate(change);
    const metadata = this.metadataFor(session, now);
    this.checkSize(session, change);
    const write: SessionWrite = {
      mode: recreate ? 'create' : 'update',
      metadata,
      set: change.set,
      remove: change.remove,
    };
    if (!recreate) {
      const expected = this.expectedRevisions(session, change);
      if (expected) write.expectRevisions = expected;
    }
    const id = session.id;
    let result;
    try {
      result = await this.store.set(id, write);
    } catch (error) {
      throw this.unavailable(session, 'write', error);
    }
    if (result.status === 'missing') throw new SessionInterruptedError();
    if (result.status === 'conflict') throw new SessionConflictError(result.namespaces);
    const replaced = session.regeneratedFrom;
    if (replaced !== null) await this.destroyIds(session, [replaced]);
    session.committed(id, change, metadata);
    this.tracker.record(id, now);
    if (recreate || this.options.cookie.maxAge !== undefined) this.setCookie(session, id);
  }

  /**
   * Activity on a route that never read its session: refresh the expiry blindly (no read) when
   * `touchAfter` says it is due. A failure is logged; the response goes on.
   */
  touchFromCookie(request: PlatformRequest, response: PlatformResponse | undefined): void {
    const id = this.cookieId(request);
    if (!id) return;
    const now = this.now();
    if (!this.tracker.isDue(id, now)) return;
    this.tracker.record(id, now);
    this.blindTouch(id, now);
    if (response && this.options.cookie.maxAge !== undefined) {
      this.writeCookie(request, response, this.signer.sign(id));
    }
  }

  /** Sends `Retry-After` (when the response is known) and builds the 503 to throw. */
  unavailable(
    session: RequestSession,
    operation: 'read' | 'write' | 'destroy' | 'lock',
    error: unknown,
  ): SessionStoreUnavailableError {
    this.logger.error(`session store ${operation} failed: ${String(error)}`);
    const retryAfter = this.options.retryAfterSeconds;
    if (session.response && !headersSent(session.response)) {
      setHeader(session.response, 'Retry-After', String(retryAfter));
    }
    return new SessionStoreUnavailableError(operation, retryAfter, error);
  }

  protected refreshIfDue(session: RequestSession, now: number): void {
    const stored = session.metadata;
    if (!stored) return;
    if (!session.touchRequested && now - stored.lastSeenAt < this.options.touchAfter) return;
    this.tracker.record(session.id, now);
    this.blindTouch(session.id, now);
    session.touched({ ...stored, lastSeenAt: now, idleExpiresAt: now + this.options.idleTimeout });
    if (this.options.cookie.maxAge !== undefined) this.setCookie(session, session.id);
  }

  protected blindTouch(id: string, now: number): void {
    this.store
      .touch(id, { lastSeenAt: now, idleExpiresAt: now + this.options.idleTimeout })
      .catch((error: unknown) => {
        this.tracker.forget(id);
        this.warn(`session touch failed (the response went on): ${String(error)}`);
      });
  }

  protected metadataFor(session: RequestSession, now: number): SessionMetadata {
    const stored = session.metadata;
    const { absoluteTimeout, idleTimeout } = this.options;
    // A regenerated session keeps its creation time: a new id does not buy a new lifetime.
    const createdAt = stored && !session.isNew ? stored.createdAt : now;
    const absoluteExpiresAt =
      stored && !session.isNew
        ? stored.absoluteExpiresAt
        : absoluteTimeout === false
          ? null
          : now + absoluteTimeout;
    return { createdAt, lastSeenAt: now, idleExpiresAt: now + idleTimeout, absoluteExpiresAt };
  }

  protected async validate(change: PendingChange): Promise<void> {
    const failures: FieldFailure[] = [];
    for (const key of change.changed) {
      const schema = schemaForKey(key);
      const text = change.set[key];
      if (!schema || text === undefined) continue;
      const instance = this.codec.hydrate(schema, JSON.parse(text));
      const found = await this.codec.check(schema, instance, text);
      failures.push(...found);
    }
    if (failures.length) throw new SessionValidationError(failures);
  }

  protected checkSize(session: RequestSession, change: PendingChange): void {
    const data = session.regeneratedFrom === null ? session.storedTexts() : {};
    for (const key of change.remove) delete data[key];
    Object.assign(data, change.set);
    let size = 0;
    for (const [key, text] of Object.entries(data)) size += key.length + Buffer.byteLength(text);
    if (size > this.options.maxSize) throw new SessionTooLargeError(size, this.options.maxSize);
  }

  protected expectedRevisions(
    session: RequestSession,
    change: PendingChange,
  ): Record<string, number> | undefined {
    let expected: Record<string, number> | undefined;
    for (const key of [...change.changed, ...change.remove]) {
      if (schemaForKey(key)?.onConflict !== 'reject') continue;
      (expected ??= {})[key] = session.loadedRevision(key);
    }
    return expected;
  }

  protected setCookie(session: RequestSession, id: string): void {
    if (!session.response) return;
    this.writeCookie(session.request, session.response, this.signer.sign(id));
  }

  protected clearCookie(session: RequestSession): void {
    if (!session.response) return;
    this.writeCookie(session.request, session.response, null);
    session.destroyed = false;
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
