/**
 * When this process last refreshed each session's expiry, so that a request that never reads
 * its session can still count as activity without a store read: the session is touched blindly
 * once `touchAfter` has passed. Bounded; a forgotten id is simply touched again.
 */
export class TouchTracker {
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly touchAfter: number,
    private readonly limit = 100_000,
  ) {}

  /** Whether the session's expiry should be refreshed at `now`. */
  isDue(id: string, now: number): boolean {
    const last = this.lastTouched.get(id);
    return last === undefined || now - last >= this.touchAfter;
  }

  /** The store's expiry for this session was refreshed (or written) at `now`. */
  record(id: string, now: number): void {
    this.lastTouched.delete(id);
    this.lastTouched.set(id, now);
    if (this.lastTouched.size > this.limit) {
      this.lastTouched.delete(this.lastTouched.keys().next().value as string);
    }
  }

  forget(id: string): void {
    this.lastTouched.delete(id);
  }
}
