import type { JsonValue } from '../store/json-value.js';
import type { SessionMetadata, StoredSession } from '../store/session-record.js';
import { SessionHandle } from './session-handle.js';
import { newSessionId } from '../cookie/session-id.js';
import {
  RESERVED_KEY_PREFIX,
  schemaOf,
  versionKey,
  type SessionSchemaClass,
  type SessionSchemaDefinition,
} from '../schema/session-schema.decorator.js';
import type { PlatformRequest, PlatformResponse } from '../http/http-platform.js';
import type { SessionEngine } from './session-engine.js';

/** One namespace as this request sees it. */
interface Slot {
  /** The JSON text the store holds (as loaded or last committed); `undefined` when absent. */
  stored: string | undefined;
  /** The text that counts as unchanged: `stored`, or the defaults' text for an absent schema. */
  clean: string | undefined;
  /** The live value handed to the handler; `undefined` once removed. */
  value: unknown;
  schema?: SessionSchemaDefinition;
  /** Written at commit even if its text equals `clean` (a reset or a migration). */
  forceWrite: boolean;
  /**
   * Whether `value` holds the stored text's value yet. Parsing waits until something needs the
   * value, so a typed read can take a cached instance instead; an unparsed slot is unchanged.
   */
  parsed: boolean;
}

/** What a commit would write, as found by comparing every slot with what was loaded. */
export interface PendingChange {
  set: Record<string, string>;
  remove: string[];
  /** Keys whose text is new (for validation); a regenerate also copies unchanged ones. */
  changed: string[];
}

/**
 * The session state of one request: what was loaded, what the handler changed, and the
 * life-cycle flags the commit acts on. All I/O goes through the `SessionEngine`.
 */
export class RequestSession extends SessionHandle {
  response: PlatformResponse | undefined;
  readonly = false;
  touchRequested = false;
  /** The id a `regenerate()` replaced; destroyed in the store at commit. */
  regeneratedFrom: string | null = null;
  /** `destroy()` ran: the cookie is cleared unless a new session is written after it. */
  destroyed = false;
  /** The lock token while `@SessionLock()` holds the session's lock. */
  lockToken: string | null = null;
  /** The session id the lock was taken for (the id may change with a regenerate). */
  lockedId: string | null = null;

  private currentId: string | undefined;
  /** The store's record as loaded or last committed; `null` while the session is not stored. */
  private record: StoredSession | null = null;
  private verifiedCookieId: string | null | undefined;
  private readonly slots = new Map<string, Slot>();
  private loading: Promise<void> | undefined;
  private loaded = false;

  constructor(
    private readonly engine: SessionEngine,
    readonly request: PlatformRequest,
    response: PlatformResponse | undefined,
  ) {
    super();
    this.response = response;
  }

  get id(): string {
    this.currentId ??= newSessionId();
    return this.currentId;
  }

  get isNew(): boolean {
    return this.record === null;
  }

  /** The id in the request's cookie if its signature is valid, else `null`; checked once. */
  get cookieId(): string | null {
    if (this.verifiedCookieId === undefined) {
      this.verifiedCookieId = this.engine.cookieId(this.request);
    }
    return this.verifiedCookieId;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Stored metadata as loaded, or `null` for a session not stored yet. */
  get metadata(): SessionMetadata | null {
    return this.record?.metadata ?? null;
  }

  /** A copy of the JSON text per key as the store holds it (as loaded or last committed). */
  storedTexts(): Record<string, string> {
    return { ...(this.record?.data ?? {}) };
  }

  /** The store's revision of a namespace when this request loaded it (0 = absent). */
  loadedRevision(key: string): number {
    return this.record?.revisions[key] ?? 0;
  }

  /** Read the session from the store once; later calls share the first read. */
  ready(): Promise<this> {
    return this.loadOnce().then(() => this);
  }

  /** The store read, shared by every caller; a failed read may be tried again. */
  loadOnce(): Promise<void> {
    this.loading ??= this.engine.load(this).then(
      () => {
        this.loaded = true;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  /**
   * Take a namespace's typed view at once when that needs no validation (its text was seen
   * before, or it is absent and gets the defaults): the common read, without promise hops.
   * `false` when it needs `load()`. Only after the session is loaded.
   */
  loadKnown(schema: SessionSchemaDefinition): boolean {
    const slot = this.unparsedSlot(schema.key);
    if (slot.parsed && slot.value instanceof schema.type) return true;
    return this.engine.materializeKnown(this, slot, schema);
  }

  /** Called by the engine with what the store holds for the cookie's id (or nothing). */
  adopt(id: string | undefined, record: StoredSession | null): void {
    this.slots.clear();
    this.record = record;
    this.currentId = record ? id : undefined;
  }

  get<T = JsonValue>(key: string): T | undefined {
    return this.slot(key).value as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.assertWritable('set');
    assertUserKey(key);
    if (value === undefined) return this.remove(key);
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new TypeError(
        `session.set('${key}'): value is not JSON-serialisable (${String(error)})`,
        { cause: error },
      );
    }
    if (text === undefined) {
      throw new TypeError(`session.set('${key}'): value is not JSON-serialisable`);
    }
    const slot = this.slot(key);
    slot.value = value;
    slot.schema = undefined;
  }

  remove(key: string): void {
    this.assertWritable('remove');
    assertUserKey(key);
    this.slot(key).value = undefined;
  }

  clear(): void {
    this.assertWritable('clear');
    for (const key of this.keys()) this.slot(key).value = undefined;
  }

  keys(): string[] {
    this.assertLoaded();
    const keys = new Set<string>();
    for (const key of Object.keys(this.record?.data ?? {})) {
      if (!key.startsWith(RESERVED_KEY_PREFIX)) keys.add(key);
    }
    for (const key of this.slots.keys()) keys.add(key);
    return [...keys].filter((key) => {
      const slot = this.slots.get(key);
      return slot === undefined || !slot.parsed || slot.value !== undefined;
    });
  }

  async load<T extends object>(type: SessionSchemaClass<T>): Promise<T> {
    const schema = schemaOf(type);
    if (!schema) throw new TypeError(`${type?.name ?? String(type)} is not a @SessionSchema class`);
    await this.loadOnce();
    if (!this.loadKnown(schema)) await this.engine.materialize(this, this.slot(schema.key), schema);
    return this.slot(schema.key).value as T;
  }

  /** The schema version stored with a namespace (1 when none was stored). */
  storedVersion(key: string): number {
    const text = this.record?.data[versionKey(key)];
    const version = text === undefined ? 1 : Number(text);
    return Number.isInteger(version) && version > 0 ? version : 1;
  }

  async regenerate(): Promise<void> {
    this.assertWritable('regenerate');
    await this.ready();
    if (!this.isNew && this.regeneratedFrom === null) this.regeneratedFrom = this.id;
    this.currentId = newSessionId();
  }

  async destroy(): Promise<void> {
    this.assertWritable('destroy');
    await this.ready();
    const ids = [this.isNew ? null : this.id, this.regeneratedFrom].filter(
      (id): id is string => id !== null,
    );
    await this.engine.destroyIds(this, ids);
    this.adopt(undefined, null);
    this.regeneratedFrom = null;
    this.destroyed = true;
  }

  touch(): void {
    this.touchRequested = true;
  }

  commit(): Promise<void> {
    return this.engine.commit(this) ?? Promise.resolve();
  }

  /** Compare every slot with what was loaded; `all` copies unchanged namespaces too (regenerate). */
  pendingChange(all: boolean): PendingChange {
    const change: PendingChange = { set: {}, remove: [], changed: [] };
    if (all) {
      for (const [key, text] of Object.entries(this.record?.data ?? {})) {
        if (!this.slots.has(key)) change.set[key] = text;
      }
    }
    for (const [key, slot] of this.slots) {
      if (!slot.parsed) {
        if (all && slot.stored !== undefined) change.set[key] = slot.stored;
        continue;
      }
      if (slot.value === undefined) {
        if (slot.stored !== undefined) {
          change.remove.push(key);
          if (this.record?.data[versionKey(key)] !== undefined) change.remove.push(versionKey(key));
        }
        continue;
      }
      const text = JSON.stringify(slot.value);
      const dirty = slot.forceWrite || text !== slot.clean;
      if (dirty) change.changed.push(key);
      if (dirty || (all && slot.stored !== undefined)) {
        change.set[key] = text;
        if (slot.schema && slot.schema.version !== 1) {
          change.set[versionKey(key)] = String(slot.schema.version);
        }
      }
    }
    return change;
  }

  /** The store now holds `change` under `id` with `metadata`. */
  committed(id: string, change: PendingChange, metadata: SessionMetadata): void {
    const data = { ...(this.record?.data ?? {}) };
    if (this.regeneratedFrom !== null || this.isNew) {
      for (const key of Object.keys(data)) if (!(key in change.set)) delete data[key];
    }
    for (const key of change.remove) delete data[key];
    Object.assign(data, change.set);
    const revisions = { ...(this.record?.revisions ?? {}) };
    for (const key of [...Object.keys(change.set), ...change.remove]) {
      revisions[key] = (revisions[key] ?? 0) + 1;
    }
    this.record = { metadata, data, revisions };
    for (const [key, slot] of this.slots) {
      slot.stored = data[key];
      // What was written is the new baseline; a slot the commit did not write is unchanged.
      if (!slot.parsed) slot.clean = slot.stored;
      else if (slot.value === undefined) slot.clean = undefined;
      else if (key in change.set) slot.clean = change.set[key];
      slot.forceWrite = false;
    }
    this.currentId = id;
    this.regeneratedFrom = null;
    this.destroyed = false;
    this.touchRequested = false;
  }

  /** The expiry was refreshed in the store at `metadata`. */
  touched(metadata: SessionMetadata): void {
    if (this.record) this.record = { ...this.record, metadata };
    this.touchRequested = false;
  }

  /** A slot for `key`, its stored text parsed. */
  slot(key: string): Slot {
    const slot = this.unparsedSlot(key);
    if (!slot.parsed) this.parse(key, slot);
    return slot;
  }

  /** A slot for `key`, its stored text not parsed yet (see `Slot.parsed`). */
  unparsedSlot(key: string): Slot {
    this.assertLoaded();
    let slot = this.slots.get(key);
    if (slot) return slot;
    const stored = this.record?.data[key];
    slot = {
      stored,
      clean: stored,
      value: undefined,
      forceWrite: false,
      parsed: stored === undefined,
    };
    this.slots.set(key, slot);
    return slot;
  }

  /** Parse a slot's stored text; text that is not JSON is dropped with a warning. */
  parse(key: string, slot: Slot): void {
    slot.parsed = true;
    if (slot.stored === undefined) return;
    try {
      slot.value = JSON.parse(slot.stored) as unknown;
    } catch {
      this.engine.warn(`session ${this.id}: stored value of "${key}" is not JSON; dropped`);
    }
  }

  private assertLoaded(): void {
    if (!this.loaded) {
      throw new Error(
        'The session is not loaded yet: use @Session() or `await sessionService.get(...)`',
      );
    }
  }

  private assertWritable(operation: string): void {
    if (this.readonly) {
      throw new Error(`session.${operation}(): this route's session is read-only`);
    }
  }
}

function assertUserKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.startsWith(RESERVED_KEY_PREFIX)) {
    throw new TypeError(`session key must be a non-empty string not starting with "$"`);
  }
}
