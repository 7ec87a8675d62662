import { Logger } from '@nestjs/common';
import { SessionStore } from './session-store.js';
import {
  expiresAt,
  type SessionMetadata,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
  movedNamespaces,
} from './session-record.js';
import { ExpiryWheel } from './expiry-wheel.js';

export interface MemorySessionStoreOptions {
  /** Most sessions kept; past it the least recently used go first. Default 100,000. */
  maxSessions?: number;
  /** How often expired sessions are swept out, in ms. Default 60,000. */
  sweepIntervalMs?: number;
  /** The clock, in epoch ms. Tests pass a controllable one; default `Date.now`. */
  now?: () => number;
}

interface Entry {
  metadata: SessionMetadata;
  /** JSON text per namespace: strings are immutable, so nothing a handler does reaches them. */
  data: Record<string, string>;
  revisions: Record<string, number>;
}

/** Most expired sessions removed in one slice of a sweep, so a sweep never blocks for long. */
const SWEEP_SLICE = 5_000;

/**
 * The embedded default: sessions in this process's memory. Bounded (least recently used
 * evicted first), expiry swept by time bucket rather than by scanning every session, and its
 * sweep timer `unref`'d so it never holds the process open.
 */
export class MemorySessionStore extends SessionStore {
  private readonly logger = new Logger('MemorySessionStore');
  /** Insertion order is recency: every access moves an entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private readonly wheel = new ExpiryWheel();
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
    return this.entries.size;
  }

  get(id: string): Promise<StoredSession | null> {
    const entry = this.live(id);
    if (!entry) return Promise.resolve(null);
    this.bump(id, entry);
    return Promise.resolve({
      metadata: { ...entry.metadata },
      data: { ...entry.data },
      revisions: { ...entry.revisions },
    });
  }

  set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    let entry = this.live(id);
    if (!entry && write.mode === 'update') return Promise.resolve({ status: 'missing' });
    if (!entry || write.mode === 'create') {
      // A create writes a whole new record, replacing anything left under the id.
      entry = { metadata: write.metadata, data: {}, revisions: {} };
    }
    const moved = movedNamespaces(entry.revisions, write.expectRevisions);
    if (moved.length > 0) return Promise.resolve({ status: 'conflict', namespaces: moved });
    for (const [key, text] of Object.entries(write.set)) {
      entry.data[key] = text;
      entry.revisions[key] = (entry.revisions[key] ?? 0) + 1;
    }
    for (const key of write.remove) {
      if (!(key in entry.data)) continue;
      delete entry.data[key];
      entry.revisions[key] = (entry.revisions[key] ?? 0) + 1;
    }
    entry.metadata = { ...write.metadata };
    this.place(id, entry);
    return Promise.resolve({ status: 'ok' });
  }

  destroy(id: string): Promise<void> {
    this.remove(id);
    return Promise.resolve();
  }

  touch(id: string, touch: SessionTouch): Promise<void> {
    const entry = this.live(id);
    if (entry) {
      entry.metadata = {
        ...entry.metadata,
        lastSeenAt: Math.max(entry.metadata.lastSeenAt, touch.lastSeenAt),
        idleExpiresAt: Math.max(entry.metadata.idleExpiresAt, touch.idleExpiresAt),
      };
      this.place(id, entry);
    }
    return Promise.resolve();
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
        const due = this.wheel.takeDue(this.now(), SWEEP_SLICE);
        for (const id of due) {
          const entry = this.entries.get(id);
          // An entry may have been touched since it was filed; it is refiled then, so check.
          if (!entry) continue;
          if (expiresAt(entry.metadata) <= this.now()) {
            this.remove(id);
            removed++;
          } else {
            this.wheel.file(id, expiresAt(entry.metadata)); // the clock went back: keep it filed
          }
        }
        if (due.length < SWEEP_SLICE) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.logger.warn(`sweep failed: ${String(error)}`);
    } finally {
      this.sweeping = false;
    }
    return removed;
  }

  /** The entry if it exists and is unexpired by its record; an expired one is dropped on sight. */
  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (expiresAt(entry.metadata) <= this.now()) {
      this.remove(id);
      return undefined;
    }
    return entry;
  }

  /** Store an entry as the most recently used, file its expiry, and evict past the bound. */
  private place(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    this.wheel.file(id, expiresAt(entry.metadata));
    while (this.entries.size > this.maxSessions) {
      const oldest = this.entries.keys().next().value as string;
      this.remove(oldest);
    }
  }

  private bump(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  private remove(id: string): void {
    this.entries.delete(id);
    this.wheel.forget(id);
  }
}
