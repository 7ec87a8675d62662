import { Inject, Injectable } from '@nestjs/common';
import { newSessionId } from '../cookie/session-id.js';
import { SessionCookies } from '../cookie/session-cookies.js';
import { StoredSessionInvalidError } from '../errors/session-errors.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SchemaCodec, type Decoded } from '../schema/schema-codec.js';
import type { SessionSchemaDefinition } from '../schema/session-schema.decorator.js';
import { isExpired, type StoredSession } from '../store/session-record.js';
import { KEYED_SESSION_STORE, KeyedSessionStore } from '../store-keys/keyed-session-store.js';
import { expiryCause } from '../store/session-expiry.js';
import { CorruptSessionRecordError } from '../store/session-store-error.js';
import type { SessionState, Slot } from './session-state.js';
import { SessionEventHub } from '../events/session-event-hub.js';
import { sessionTag } from './session-tag.js';
import { StoreFaults } from './store-faults.js';

/**
 * The way in: the request's cookie, one store read, and each namespace as a validated instance
 * of its schema (migrated, or reset to defaults when stored data fails it).
 */
@Injectable()
export class SessionLoader {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    @Inject(KEYED_SESSION_STORE) private readonly store: KeyedSessionStore,
    private readonly cookies: SessionCookies,
    private readonly codec: SchemaCodec,
    private readonly faults: StoreFaults,
    private readonly events: SessionEventHub,
  ) {}

  /** The id in the request's cookie if its signature is valid, else `null`; checked once. */
  cookieId(state: SessionState): string | null {
    if (state.verifiedCookieId === undefined) {
      state.verifiedCookieId = this.cookies.verifiedId(state.request);
    }
    return state.verifiedCookieId;
  }

  /**
   * The tag that names the session of `id` in logs and events. Taken from its store key, the
   * only name a store knows, so that events a store raises itself (expiry) carry the same tag.
   */
  tag(id: string): string {
    return sessionTag(this.store.keyOf(id));
  }

  /** The current id, drawing a new one for a session that has none yet. */
  idOf(state: SessionState): string {
    state.currentId ??= newSessionId();
    return state.currentId;
  }

  /**
   * Read the session from the store once; later calls share the first read. A request without a
   * valid cookie reads nothing and gets a settled promise (no new one per request).
   */
  ready(state: SessionState): Promise<void> {
    if (state.loaded) return SETTLED;
    if (state.loading) return state.loading;
    const id = this.cookieId(state);
    if (!id) {
      state.adopt(undefined, null); // forged or absent: fresh, no store read
      state.loaded = true;
      return SETTLED;
    }
    let reading: Promise<StoredSession | null>;
    try {
      reading = this.store.get(id);
    } catch (error) {
      reading = Promise.reject(error as Error);
    }
    state.loading = reading.then(
      (record) => {
        this.adoptRecord(state, id, record);
        state.loaded = true;
      },
      (error: unknown) => {
        try {
          this.adoptRecord(state, id, this.unreadable(state, id, error));
          state.loaded = true;
        } catch (failure) {
          state.loading = undefined; // a failed read may be tried again
          throw failure;
        }
      },
    );
    return state.loading;
  }

  /** The slot of `key` with its stored text parsed. */
  slot(state: SessionState, key: string): Slot {
    const slot = state.unparsedSlot(key);
    if (!slot.parsed) this.parse(state, key, slot);
    return slot;
  }

  /**
   * Build a namespace's typed instance without waiting when that is possible: its text decoded
   * before, a compiled (synchronous) schema, or an absent namespace (the defaults). `false` when
   * it needs `materialize()`. Throws `StoredSessionInvalidError` under `'reject'`.
   */
  materializeKnown(state: SessionState, schema: SessionSchemaDefinition): boolean {
    const slot = state.unparsedSlot(schema.key);
    if (slot.parsed && slot.value instanceof schema.type) return true;
    slot.schema = schema;
    if (!slot.parsed && slot.stored !== undefined) {
      const current = state.storedVersion(schema.key) === schema.version;
      const known = current ? this.codec.known(schema, slot.stored) : undefined;
      if (known) {
        slot.value = known;
        slot.parsed = true;
        return true;
      }
    }
    if (!isAbsent(slot) && !this.codec.isSynchronous(schema)) return false;
    this.adoptDecoded(state, slot, schema, this.decodeSlot(state, slot, schema) as Decoded | null);
    return true;
  }

  /** Build a namespace's typed instance: migrate, hydrate, validate, or reset to defaults. */
  async materialize(state: SessionState, schema: SessionSchemaDefinition): Promise<unknown> {
    const slot = state.unparsedSlot(schema.key);
    if (this.materializeKnown(state, schema)) return slot.value;
    return this.adoptDecoded(state, slot, schema, await this.decodeSlot(state, slot, schema));
  }

  /**
   * The slot's stored text (or the value a handler put there) decoded, migrated first when the
   * stored version is older; `null` when absent. The stored text is parsed once.
   */
  private decodeSlot(
    state: SessionState,
    slot: Slot,
    schema: SessionSchemaDefinition,
  ): Decoded | Promise<Decoded> | null {
    if (isAbsent(slot)) return null;
    if (slot.parsed && !slot.unreadable) return this.codec.decodeValue(schema, slot.value);
    const text = slot.stored!;
    const storedVersion = state.storedVersion(schema.key);
    if (storedVersion === schema.version || !schema.migrate) return this.codec.decode(schema, text);
    let plain: unknown;
    try {
      plain = JSON.parse(text);
    } catch {
      return this.codec.decode(schema, text); // reports the text as not JSON
    }
    slot.forceWrite = true;
    return this.codec.decodeValue(schema, schema.migrate(plain, storedVersion));
  }

  /** Take a decoded instance, the defaults, or (for invalid data) reset or reject as configured. */
  private adoptDecoded(
    state: SessionState,
    slot: Slot,
    schema: SessionSchemaDefinition,
    decoded: Decoded | null,
  ): unknown {
    slot.parsed = true;
    if (decoded === null) {
      slot.value = new schema.type();
      if (slot.stored === undefined) slot.clean = JSON.stringify(slot.value);
      return slot.value;
    }
    slot.unreadable = false;
    if (decoded.ok) {
      slot.value = decoded.value;
      return slot.value;
    }
    const fields = decoded.failures.map((failure) => failure.field);
    return this.invalidStoredData(state, slot, schema, fields);
  }

  /**
   * A read that failed: a corrupt record is `null` (a fresh session replaces it) unless
   * 'reject' is set; anything else is the store being unavailable.
   */
  private unreadable(state: SessionState, id: string, error: unknown): null {
    if (!(error instanceof CorruptSessionRecordError)) {
      throw this.faults.unavailable(state, 'read', error);
    }
    if (this.options.onInvalidStoredData === 'reject') {
      throw new StoredSessionInvalidError('(record)', [error.problem]);
    }
    this.faults.warn(`session ${this.tag(id)}: ${error.message}; a fresh session replaces it`);
    this.destroyQuietly(id, 'corrupt');
    return null;
  }

  private adoptRecord(state: SessionState, id: string, record: StoredSession | null): void {
    const now = this.options.clock();
    if (record && isExpired(record.metadata, now)) {
      this.destroyQuietly(id, 'expired'); // the store kept it past its expiry; never bring it back
      const cause = expiryCause(record.metadata);
      this.events.emit({
        type: 'session.expired',
        tag: this.tag(id),
        at: now,
        cause,
        detectedBy: 'request',
      });
      record = null;
    }
    state.adopt(id, record);
  }

  private invalidStoredData(
    state: SessionState,
    slot: Slot,
    schema: SessionSchemaDefinition,
    fields: string[],
  ): unknown {
    if (this.options.onInvalidStoredData === 'reject') {
      throw new StoredSessionInvalidError(schema.key, fields);
    }
    const tag = this.tag(this.idOf(state));
    this.faults.warn(
      `session ${tag}: namespace "${schema.key}" failed its schema (${fields.join(', ')}); reset to defaults`,
    );
    slot.value = new schema.type();
    slot.forceWrite = true;
    return slot.value;
  }

  /** Parse a slot's stored text; text that is not JSON reads as absent, with a warning. */
  private parse(state: SessionState, key: string, slot: Slot): void {
    slot.parsed = true;
    if (slot.stored === undefined) return;
    try {
      slot.value = JSON.parse(slot.stored) as unknown;
    } catch {
      this.faults.warn(
        `session ${this.tag(this.idOf(state))}: stored value of "${key}" is not JSON`,
      );
      slot.unreadable = true;
    }
  }

  private destroyQuietly(id: string, why: string): void {
    this.store
      .destroy(id)
      .catch((error: unknown) =>
        this.faults.warn(`destroy of ${why} session ${this.tag(id)} failed: ${String(error)}`),
      );
  }
}

const SETTLED: Promise<void> = Promise.resolve();

/** No stored text and no value a handler put there (or the handler removed it). */
function isAbsent(slot: Slot): boolean {
  if (slot.unreadable) return false;
  return slot.parsed ? slot.value === undefined : slot.stored === undefined;
}
