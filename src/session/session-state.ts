import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import { RESERVED_KEY_PREFIX, versionKey } from '../schema/session-schema.decorator.js';
import type { SessionSchemaDefinition } from '../schema/session-schema.decorator.js';
import type { SessionMetadata, StoredSession } from '../store/session-record.js';
import type { SessionOwner } from '../store/session-owner.js';

/** One namespace as this request sees it. */
export interface Slot {
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
  /**
   * The stored text is not JSON: the key reads as absent, but stays in the store as it is until
   * the handler sets or removes it (a read never becomes a write).
   */
  unreadable?: boolean;
}

/** What a commit would write, as found by comparing every slot with what was loaded. */
export interface PendingChange {
  set: Record<string, string>;
  remove: string[];
  /** Keys whose text is new (for validation); a regenerate also copies unchanged ones. */
  changed: string[];
}

/** A `Record` without a prototype, so that any key (even `toString`) is only ever its own. */
function emptyRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** `record[key]` if it is the record's own entry: never a member of `Object.prototype`. */
function ownEntry<V>(record: Record<string, V> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The session state of one request: what was loaded, what the handler changed, and the life-cycle
 * flags the commit acts on. Internal: handlers see it only through the `SessionHandle` facade, and
 * it does no I/O itself (the engine does).
 */
export class SessionState {
  readonly = false;
  touchRequested = false;
  /** The route will be committed (it uses the session); writes on any other route fail at once. */
  commits = false;
  /** `METHOD /path (Controller.method())`, for errors about this request's route. */
  route = '';
  /** The id a `regenerate()` replaced; moved to the new id in the store at commit. */
  regeneratedFrom: string | null = null;
  /** The revisions the regenerated session had when this request copied it. */
  regeneratedRevisions: Record<string, number> | null = null;
  /** `destroy()` ran: the cookie is cleared unless a new session is written after it. */
  destroyed = false;
  /** The lock token while `@SessionLock()` holds the session's lock, and the id it is for. */
  lock: { id: string; token: string } | null = null;
  /** The id in the request's cookie if its signature is valid (`null`: none); once checked. */
  verifiedCookieId: string | null | undefined;
  /** The store read in progress or done, shared by every caller. */
  loading: Promise<void> | undefined;
  /**
   * The preparation of the session for the route's parameters (lock, load, namespaces): `null`
   * when it took no waiting, `undefined` until started. Set by the HTTP layer.
   */
  preparing: Promise<void> | null | undefined;
  loaded = false;
  /** The current id; `undefined` until a new session needs one. */
  currentId: string | undefined;
  /** The store's record as loaded or last committed; `null` while the session is not stored. */
  record: StoredSession | null = null;
  readonly slots = new Map<string, Slot>();
  /** The user the session is bound to (as loaded, or as `setUser` changed it). */
  owner: SessionOwner | null = null;
  /** `setUser` changed the binding since the load or the last commit: the commit writes it. */
  ownerChanged = false;

  constructor(
    readonly request: PlatformRequest,
    public response: PlatformResponse | undefined,
  ) {}

  get isNew(): boolean {
    return this.record === null;
  }

  /** Stored metadata as loaded, or `null` for a session not stored yet. */
  get metadata(): SessionMetadata | null {
    return this.record?.metadata ?? null;
  }

  /** Take what the store holds for `id` (or nothing: a fresh session). */
  adopt(id: string | undefined, record: StoredSession | null): void {
    this.slots.clear();
    this.record = record;
    this.currentId = record ? id : undefined;
    this.owner = record?.owner ?? null;
    this.ownerChanged = false;
  }

  /** A copy of the JSON text per key as the store holds it (as loaded or last committed). */
  private storedTexts(): Record<string, string> {
    return Object.assign(emptyRecord<string>(), this.record?.data);
  }

  /** The store's revision of a namespace when this request loaded it (0 = absent). */
  loadedRevision(key: string): number {
    return ownEntry(this.record?.revisions, key) ?? 0;
  }

  /** The schema version stored with a namespace (1 when none was stored). */
  storedVersion(key: string): number {
    const text = ownEntry(this.record?.data, versionKey(key));
    const version = text === undefined ? 1 : Number(text);
    return Number.isInteger(version) && version > 0 ? version : 1;
  }

  /** A slot for `key`, its stored text not parsed yet (see `Slot.parsed`). */
  unparsedSlot(key: string): Slot {
    let slot = this.slots.get(key);
    if (slot) return slot;
    const stored = ownEntry(this.record?.data, key);
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

  /** Every user key that holds a value. */
  keys(): string[] {
    const keys = new Set<string>();
    for (const key of Object.keys(this.record?.data ?? {})) {
      if (!key.startsWith(RESERVED_KEY_PREFIX)) keys.add(key);
    }
    for (const key of this.slots.keys()) {
      if (!key.startsWith(RESERVED_KEY_PREFIX)) keys.add(key);
    }
    return [...keys].filter((key) => {
      const slot = this.slots.get(key);
      return slot === undefined || !slot.parsed || slot.value !== undefined;
    });
  }

  /** Compare every slot with what was loaded; `all` copies unchanged namespaces too (regenerate). */
  pendingChange(all: boolean): PendingChange {
    const change: PendingChange = { set: emptyRecord(), remove: [], changed: [] };
    const data = this.record?.data;
    if (all && data) {
      for (const key of Object.keys(data)) {
        if (!this.slots.has(key)) change.set[key] = data[key];
      }
    }
    for (const [key, slot] of this.slots) {
      if (!slot.parsed) {
        if (all && slot.stored !== undefined) change.set[key] = slot.stored;
        continue;
      }
      if (slot.value === undefined) {
        if (slot.stored !== undefined && !slot.unreadable) {
          change.remove.push(key);
          if (ownEntry(data, versionKey(key)) !== undefined) change.remove.push(versionKey(key));
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
  committed(id: string, change: PendingChange, metadata: SessionMetadata, fresh: boolean): void {
    const data = fresh ? emptyRecord<string>() : this.storedTexts();
    for (const key of change.remove) delete data[key];
    Object.assign(data, change.set);
    const revisions = Object.assign(emptyRecord<number>(), fresh ? {} : this.record?.revisions);
    for (const key of Object.keys(change.set)) revisions[key] = (revisions[key] ?? 0) + 1;
    for (const key of change.remove) revisions[key] = (revisions[key] ?? 0) + 1;
    this.record = { metadata, data, revisions };
    if (this.owner) this.record.owner = this.owner;
    this.ownerChanged = false;
    for (const [key, slot] of this.slots) {
      slot.stored = ownEntry(data, key);
      // What was written is the new baseline; a slot the commit did not write is unchanged.
      if (!slot.parsed) slot.clean = slot.stored;
      else if (slot.value === undefined) slot.clean = undefined;
      else if (Object.hasOwn(change.set, key)) slot.clean = change.set[key];
      slot.forceWrite = false;
    }
    this.currentId = id;
    this.regeneratedFrom = null;
    this.regeneratedRevisions = null;
    this.destroyed = false;
    this.touchRequested = false;
  }

  /** The expiry was refreshed in the store at `metadata`. */
  touched(metadata: SessionMetadata): void {
    if (this.record) this.record = { ...this.record, metadata };
    this.touchRequested = false;
  }
}
