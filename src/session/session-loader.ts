import { Inject, Injectable } from '@nestjs/common';
import { newSessionId } from '../cookie/session-id.js';
import { SessionCookies } from '../cookie/session-cookies.js';
import { StoredSessionInvalidError } from '../errors/session-errors.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SchemaCodec } from '../schema/schema-codec.js';
import type { SessionSchemaDefinition } from '../schema/session-schema.decorator.js';
import { isExpired } from '../store/session-record.js';
import { SessionStore } from '../store/session-store.js';
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
    private readonly store: SessionStore,
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
      // Stored text that is not JSON: invalid stored data.
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
    const fields = failures.map((failure) => failure.field);
    return this.invalidStoredData(state, slot, schema, fields);
  }

  private async load(state: SessionState): Promise<void> {
    const id = this.cookieId(state);
    if (!id) return state.adopt(undefined, null); // forged or absent: fresh, no store read
    let record;
    try {
      record = await this.store.get(id);
    } catch (error) {
      if (!(error instanceof CorruptSessionRecordError)) {
        throw this.faults.unavailable(state, 'read', error);
      }
      if (this.options.onInvalidStoredData === 'reject') {
        throw new StoredSessionInvalidError('(record)', [error.problem]);
      }
      this.faults.warn(`session ${sessionTag(id)}: ${error.message}; a fresh session replaces it`);
      this.destroyQuietly(id, 'corrupt');
      record = null;
    }
    const now = this.options.clock();
    if (record && isExpired(record.metadata, now)) {
      this.destroyQuietly(id, 'expired'); // the store kept it past its expiry; never bring it back
      this.events.emit({ type: 'session.expired', tag: sessionTag(id), at: now });
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
    const tag = sessionTag(this.idOf(state));
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
        `session ${sessionTag(this.idOf(state))}: stored value of "${key}" is not JSON`,
      );
      slot.unreadable = true;
    }
  }

  private destroyQuietly(id: string, why: string): void {
    this.store
      .destroy(id)
      .catch((error: unknown) =>
        this.faults.warn(`destroy of ${why} session ${sessionTag(id)} failed: ${String(error)}`),
      );
  }
}
