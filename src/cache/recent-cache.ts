/**
 * A bounded map that keeps what was used recently, in two generations: new entries go to the
 * young one; when it is full it becomes the old one (the previous old one is dropped), and a hit
 * in the old one moves back to the young one. Every operation is O(1). Evicting the oldest entry
 * of one big `Map` one at a time is not: a `Map` keeps deleted slots until it rehashes, and
 * `keys().next()` walks past every one of them, so a cache that evicts on every insert (one new
 * session id per login) pays for about half its size on each.
 */
export class RecentCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  /** At most `limit` entries in all: half per generation. */
  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  set(key: K, value: V): void {
    if (this.young.size >= this.limit / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  /** Entries held, at most `limit`. */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
