import { Logger } from '@nestjs/common';
import { SessionStore } from '../../store/session-store.js';
import {
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
  movedNamespaces,
  sameRevisions,
} from '../../store/session-record.js';
import type { SessionOwner } from '../../store/session-owner.js';
import type { DestroyForUserOptions, UserSessionEntry } from '../../store/user-session-entry.js';
import {
  expiryCause,
  StoreExpiryListeners,
  type StoreExpiryListener,
} from '../../store/session-expiry.js';
import { ExpiryWheel, NO_BUCKET } from './expiry-wheel.js';
import { MemorySessionTable } from './memory-session-table.js';
import { MemoryUserIndex } from './memory-user-index.js';

export interface MemorySessionStoreOptions {
  /** Most sessions kept; past it the least recently used go first. Default 100,000. */
  maxSessions?: number;
  /** How often expired sessions are swept out, in ms. Default 60,000. */
  sweepIntervalMs?: number;
  /** The clock, in epoch ms. Tests pass a controllable one; default `Date.now`. */
  now?: () => number;
}

/** Most expired sessions removed in one slice of a sweep, so a sweep never blocks for long. */
const SWEEP_SLICE = 2_000;

/**
 * The embedded default: sessions in this process's memory. Bounded (least recently used
 * evicted first), expiry swept by time bucket rather than by scanning every session, its sweep
 * timer `unref`'d so it never holds the process open, and laid out compactly
 * (`MemorySessionTable`) so that a million small sessions fit in a few hundred megabytes.
 */
export class MemorySessionStore extends SessionStore {
  private readonly logger = new Logger('MemorySessionStore');
  /** Session id → slot in the table. Insertion order is recency: every access moves to the end. */
  private readonly slots = new Map<string, number>();
  /** Walks `slots` from its oldest entry, kept across evictions (see `leastRecentlyUsed`). */
  private oldest: Iterator<string> | undefined;
  private readonly table = new MemorySessionTable();
  private readonly wheel = new ExpiryWheel();
  /** Slot → owner, and user → ids: both changed only with the session, in the same call. */
  private readonly owners = new MemoryUserIndex();
  private readonly expiries = new StoreExpiryListeners('MemorySessionStore');
  private readonly maxSessions: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(options: MemorySessionStoreOptions = {}) {
    super();
    this.maxSessions = options.maxSessions ?? 100_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) {
      throw new Error(`MemorySessionStore: maxSessions must be a positive integer`);
    }
    const interval = options.sweepIntervalMs ?? 60_000;
    this.timer = setInterval(() => void this.sweep(), interval);
    this.timer.unref();
  }

  /** Number of sessions held, expired ones not yet swept included. */
  get size(): number {
    return this.slots.size;
  }

  get(id: string): Promise<StoredSession | null> {
    const slot = this.live(id);
    if (slot === undefined) return Promise.resolve(null);
    this.bump(id, slot);
    const session: StoredSession = {
      metadata: this.table.metadata(slot),
      data: this.table.data(slot),
      revisions: this.table.revisions(slot),
    };
    const owner = this.owners.ownerOf(slot);
    if (owner) session.owner = copyOwner(owner);
    return Promise.resolve(session);
  }

  set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    const existing = this.live(id);
    if (existing === undefined && write.mode === 'update') {
      return Promise.resolve({ status: 'missing' });
    }
    const replace = write.mode === 'create' || existing === undefined;
    if (write.expectRevisions) {
      const current = replace ? {} : this.table.revisions(existing);
      const moved = movedNamespaces(current, write.expectRevisions);
      if (moved.length > 0) return Promise.resolve({ status: 'conflict', namespaces: moved });
    }
    let slot: number;
    if (replace) {
      // A create writes a whole new record, replacing anything left under the id.
      if (existing !== undefined) this.remove(id);
      slot = this.table.allocate(write.metadata);
    } else {
      slot = existing;
      this.table.setMetadata(slot, write.metadata);
    }
    for (const [key, text] of Object.entries(write.set)) this.table.set(slot, key, text);
    for (const key of write.remove) this.table.remove(slot, key);
    if (write.owner !== undefined) {
      this.owners.bind(id, slot, write.owner === null ? null : copyOwner(write.owner));
    }
    this.place(id, slot);
    return Promise.resolve({ status: 'ok' });
  }

  destroy(id: string): Promise<void> {
    this.remove(id);
    return Promise.resolve();
  }

  destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'> {
    const slot = this.live(id);
    if (slot === undefined) return Promise.resolve('missing');
    if (!sameRevisions(this.table.revisions(slot), revisions)) return Promise.resolve('changed');
    this.remove(id);
    return Promise.resolve('destroyed');
  }

  touch(id: string, touch: SessionTouch): Promise<void> {
    const slot = this.live(id);
    if (slot !== undefined) {
      this.table.touch(slot, touch.lastSeenAt, touch.idleExpiresAt);
      this.place(id, slot);
    }
    return Promise.resolve();
  }

  override listForUser(userId: string): Promise<UserSessionEntry[]> {
    const entries: UserSessionEntry[] = [];
    for (const id of this.owners.idsOf(userId)) {
      const slot = this.live(id);
      if (slot === undefined) continue;
      const owner = this.owners.ownerOf(slot)!;
      entries.push({ id, metadata: this.table.metadata(slot), info: copyOwner(owner).info });
    }
    return Promise.resolve(entries);
  }

  override destroyForUser(userId: string, options: DestroyForUserOptions = {}): Promise<string[]> {
    const destroyed: string[] = [];
    for (const id of this.owners.idsOf(userId)) {
      if (id === options.except) continue;
      if (this.live(id) !== undefined) destroyed.push(id);
      this.remove(id);
    }
    return Promise.resolve(destroyed);
  }

  /**
   * Reports each session that expires: at the sweep, or earlier when a call finds it expired
   * first. A session evicted by `maxSessions` or destroyed is not reported.
   */
  override onExpired(listener: StoreExpiryListener): () => void {
    return this.expiries.add(listener);
  }

  override close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return super.close();
  }

  /**
   * Remove every session whose expiry has passed, a slice at a time with a yield between slices
   * so that a large sweep never blocks the event loop for long.
   */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let removed = 0;
    try {
      for (;;) {
        const now = this.now();
        const visited = this.wheel.takeDue(now, SWEEP_SLICE, (id, bucket) => {
          const slot = this.slots.get(id);
          // Every session leaves the wheel when it goes or moves, so this holds; checked anyway.
          if (slot === undefined || this.table.bucket(slot) !== bucket) return;
          this.table.setBucket(slot, NO_BUCKET);
          if (this.table.expiresAt(slot) <= now) {
            this.expire(id, slot, now);
            removed++;
          } else {
            this.file(id, slot); // the clock went back: keep it filed
          }
        });
        if (visited < SWEEP_SLICE) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.logger.warn(`sweep failed: ${String(error)}`);
    } finally {
      this.sweeping = false;
    }
    return removed;
  }

  /** The slot if the session exists and is unexpired by its record; an expired one is dropped. */
  private live(id: string): number | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    const now = this.now();
    if (this.table.expiresAt(slot) <= now) {
      this.expire(id, slot, now);
      return undefined;
    }
    return slot;
  }

  /** Remove an expired session, telling the listeners which timeout ended it. */
  private expire(id: string, slot: number, now: number): void {
    const cause = this.expiries.listening ? expiryCause(this.table.metadata(slot)) : 'unknown';
    this.remove(id);
    if (this.expiries.listening) this.expiries.report({ key: id, cause, at: now });
  }

  /** Keep a session as the most recently used, file its expiry, and evict past the bound. */
  private place(id: string, slot: number): void {
    this.bump(id, slot);
    this.file(id, slot);
    while (this.slots.size > this.maxSessions) this.remove(this.leastRecentlyUsed());
  }

  /**
   * The id used least recently: the first entry of `slots`, found by one iterator kept from
   * eviction to eviction. A new `keys()` iterator would start at the front of the map's table
   * and step over every entry deleted there since it was last rebuilt (each eviction and each
   * use leaves one), so a full store of 100,000 sessions spent 9–20 µs per new session on that
   * walk instead of about 1.4 µs. The kept iterator steps over each deleted entry once:
   * everything before it was evicted, and a used entry moves to the end, ahead of it. Once it
   * has run out (the map emptied) it stays done, so a new one is made.
   */
  private leastRecentlyUsed(): string {
    let next = this.oldest?.next();
    if (next === undefined || next.done === true) {
      this.oldest = this.slots.keys();
      next = this.oldest.next();
    }
    return next.value as string;
  }

  /** File the session by its expiry, moving it out of the bucket it was in, if another. */
  private file(id: string, slot: number): void {
    const bucket = this.wheel.bucketOf(this.table.expiresAt(slot));
    if (bucket === this.table.bucket(slot)) return;
    this.unfile(slot);
    this.table.setPosition(slot, this.wheel.file(id, bucket));
    this.table.setBucket(slot, bucket);
  }

  /** Take the session out of the wheel (gone, or moving), so the wheel holds each id once. */
  private unfile(slot: number): void {
    const bucket = this.table.bucket(slot);
    if (bucket === NO_BUCKET) return;
    const position = this.table.position(slot);
    const moved = this.wheel.unfile(bucket, position);
    if (moved !== undefined) this.table.setPosition(this.slots.get(moved)!, position);
    this.table.setBucket(slot, NO_BUCKET);
  }

  private bump(id: string, slot: number): void {
    this.slots.delete(id);
    this.slots.set(id, slot);
  }

  private remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    // Out of the wheel now, not when its bucket comes due: evictions under a flood of new
    // sessions would otherwise pile up there until their expiry second.
    this.unfile(slot);
    this.slots.delete(id);
    this.owners.bind(id, slot, null);
    this.table.release(slot);
  }
}

/** Stored owners are the store's own: nothing a caller does to its copy reaches them. */
function copyOwner(owner: SessionOwner): SessionOwner {
  return { userId: owner.userId, info: structuredClone(owner.info) };
}
