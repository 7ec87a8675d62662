import type { SessionMetadata } from '../../store/session-record.js';

/** The times kept per slot, in `times`. */
const CREATED_AT = 0;
const LAST_SEEN_AT = 1;
const IDLE_EXPIRES_AT = 2;
const ABSOLUTE_EXPIRES_AT = 3;
const TIMES = 4;
/**
 * The counters kept per slot, in `counters`: expiry bucket + 1 (0 = none), the slot's position
 * in that bucket of the expiry wheel, first revision.
 */
const BUCKET = 0;
const POSITION = 1;
const REVISION = 2;
const COUNTERS = 3;
/** `absoluteExpiresAt` of a session without one. */
const NO_ABSOLUTE_EXPIRY = -1;
/** Width of one extra namespace: namespace, JSON text (null once removed), revision. */
const STRIDE = 3;

/**
 * The memory store's sessions as a table of slots rather than an object per session, because a
 * store may hold a million of them: the numbers of a slot (times; expiry bucket and the first
 * namespace's revision) in growable typed arrays, unboxed; the first namespace's name and
 * text in two plain arrays; the rare further namespaces in a sparse map. A million sessions of
 * one namespace cost about 68 MB here beyond their ids and texts. Texts are immutable strings,
 * so nothing a handler does reaches them. A removed namespace keeps its revision.
 */
export class MemorySessionTable {
  private times = new Float64Array(TIMES * 1_024);
  /** Bucket (a second since the epoch, fits 32 bits until 2106), position and revision. */
  private counters = new Uint32Array(COUNTERS * 1_024);
  private readonly keys: Array<string | null> = [];
  private readonly texts: Array<string | null> = [];
  private readonly more = new Map<number, Array<string | number | null>>();
  private readonly free: number[] = [];
  private used = 0;

  allocate(metadata: SessionMetadata): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.used++;
      if (this.used * TIMES > this.times.length) {
        const times = new Float64Array(this.times.length * 2);
        times.set(this.times);
        this.times = times;
        const counters = new Uint32Array(this.counters.length * 2);
        counters.set(this.counters);
        this.counters = counters;
      }
      this.keys.push(null);
      this.texts.push(null);
    }
    this.setMetadata(slot, metadata);
    this.counters[slot * COUNTERS + BUCKET] = 0;
    this.counters[slot * COUNTERS + REVISION] = 0;
    return slot;
  }

  release(slot: number): void {
    this.keys[slot] = null;
    this.texts[slot] = null;
    this.more.delete(slot);
    this.free.push(slot);
  }

  /** The expiry-wheel bucket the slot is filed in, or `NO_BUCKET`. */
  bucket(slot: number): number {
    return this.counters[slot * COUNTERS + BUCKET] - 1;
  }

  setBucket(slot: number, bucket: number): void {
    this.counters[slot * COUNTERS + BUCKET] = bucket + 1;
  }

  /** Where in its expiry-wheel bucket the slot's id is filed. */
  position(slot: number): number {
    return this.counters[slot * COUNTERS + POSITION];
  }

  setPosition(slot: number, position: number): void {
    this.counters[slot * COUNTERS + POSITION] = position;
  }

  setMetadata(slot: number, metadata: SessionMetadata): void {
    this.put(slot, CREATED_AT, metadata.createdAt);
    this.put(slot, LAST_SEEN_AT, metadata.lastSeenAt);
    this.put(slot, IDLE_EXPIRES_AT, metadata.idleExpiresAt);
    this.put(slot, ABSOLUTE_EXPIRES_AT, metadata.absoluteExpiresAt ?? NO_ABSOLUTE_EXPIRY);
  }

  metadata(slot: number): SessionMetadata {
    const absolute = this.get(slot, ABSOLUTE_EXPIRES_AT);
    return {
      createdAt: this.get(slot, CREATED_AT),
      lastSeenAt: this.get(slot, LAST_SEEN_AT),
      idleExpiresAt: this.get(slot, IDLE_EXPIRES_AT),
      absoluteExpiresAt: absolute === NO_ABSOLUTE_EXPIRY ? null : absolute,
    };
  }

  /** Move the activity time and idle expiry forward (never back). */
  touch(slot: number, lastSeenAt: number, idleExpiresAt: number): void {
    this.put(slot, LAST_SEEN_AT, Math.max(this.get(slot, LAST_SEEN_AT), lastSeenAt));
    this.put(slot, IDLE_EXPIRES_AT, Math.max(this.get(slot, IDLE_EXPIRES_AT), idleExpiresAt));
  }

  /** The instant the session dies: the earlier of its idle and absolute expiry. */
  expiresAt(slot: number): number {
    const absolute = this.get(slot, ABSOLUTE_EXPIRES_AT);
    const idle = this.get(slot, IDLE_EXPIRES_AT);
    return absolute === NO_ABSOLUTE_EXPIRY ? idle : Math.min(idle, absolute);
  }

  data(slot: number): Record<string, string> {
    const data: Record<string, string> = {};
    const key = this.keys[slot];
    const text = this.texts[slot];
    if (key !== null && text !== null) data[key] = text;
    const more = this.more.get(slot) ?? [];
    for (let i = 0; i < more.length; i += STRIDE) {
      if (more[i + 1] !== null) data[more[i] as string] = more[i + 1] as string;
    }
    return data;
  }

  revisions(slot: number): Record<string, number> {
    const revisions: Record<string, number> = {};
    const key = this.keys[slot];
    if (key !== null) revisions[key] = this.counters[slot * COUNTERS + REVISION];
    const more = this.more.get(slot) ?? [];
    for (let i = 0; i < more.length; i += STRIDE)
      revisions[more[i] as string] = more[i + 2] as number;
    return revisions;
  }

  /** Replace a namespace's text and raise its revision. */
  set(slot: number, key: string, text: string): void {
    const first = this.keys[slot];
    if (first === null || first === key) {
      this.keys[slot] = key;
      this.texts[slot] = text;
      this.counters[slot * COUNTERS + REVISION]++;
      return;
    }
    const more = this.more.get(slot);
    const at = indexOf(more, key);
    if (!more || at === -1) {
      // concat, not push: push would reserve room for 17 elements on a 3-element array.
      this.more.set(slot, (more ?? []).concat([key, text, 1]));
    } else {
      more[at + 1] = text;
      more[at + 2] = (more[at + 2] as number) + 1;
    }
  }

  /** Delete a namespace, raising its revision if it held a value. */
  remove(slot: number, key: string): void {
    if (this.keys[slot] === key) {
      if (this.texts[slot] === null) return;
      this.texts[slot] = null;
      this.counters[slot * COUNTERS + REVISION]++;
      return;
    }
    const more = this.more.get(slot);
    const at = indexOf(more, key);
    if (!more || at === -1 || more[at + 1] === null) return;
    more[at + 1] = null;
    more[at + 2] = (more[at + 2] as number) + 1;
  }

  private get(slot: number, field: number): number {
    return this.times[slot * TIMES + field];
  }

  private put(slot: number, field: number, value: number): void {
    this.times[slot * TIMES + field] = value;
  }
}

function indexOf(more: Array<string | number | null> | undefined, key: string): number {
  if (!more) return -1;
  for (let i = 0; i < more.length; i += STRIDE) if (more[i] === key) return i;
  return -1;
}
