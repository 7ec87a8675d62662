import { RecentCache } from '../cache/recent-cache.js';

/**
 * When this process last refreshed each session's expiry, so that a request that never reads
 * its session can still count as activity without a store read: the session is touched blindly
 * once `touchAfter` has passed. Bounded (`RecentCache`); a forgotten id is simply touched again.
 */
export class TouchTracker {
  private readonly lastTouched: RecentCache<string, number>;

  constructor(
    private readonly touchAfter: number,
    limit = 100_000,
  ) {
    this.lastTouched = new RecentCache(limit);
  }

  /** Whether the session's expiry should be refreshed at `now`. */
  isDue(id: string, now: number): boolean {
    const last = this.lastTouched.get(id);
    return last === undefined || now - last >= this.touchAfter;
  }

  /** The store's expiry for this session was refreshed (or written) at `now`. */
  record(id: string, now: number): void {
    this.lastTouched.set(id, now);
  }

  forget(id: string): void {
    this.lastTouched.delete(id);
  }
}
