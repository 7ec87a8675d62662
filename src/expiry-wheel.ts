/** Width of one bucket: expiry is swept with this granularity. */
const BUCKET_MS = 1_000;

/**
 * Session ids filed by the second they expire in, so a sweep visits only the buckets that are
 * due instead of every session. Re-filing an id (a touch) moves it to its new bucket.
 */
export class ExpiryWheel {
  private readonly buckets = new Map<number, Set<string>>();
  private readonly bucketOf = new Map<string, number>();
  /** Every bucket below this has been emptied. */
  private cursor = -1;

  file(id: string, expiresAt: number): void {
    const bucket = Math.floor(expiresAt / BUCKET_MS);
    const previous = this.bucketOf.get(id);
    if (previous === bucket) return;
    if (previous !== undefined) this.buckets.get(previous)?.delete(id);
    let ids = this.buckets.get(bucket);
    if (!ids) {
      ids = new Set();
      this.buckets.set(bucket, ids);
    }
    ids.add(id);
    this.bucketOf.set(id, bucket);
    if (this.cursor < 0 || bucket < this.cursor) this.cursor = bucket;
  }

  forget(id: string): void {
    const bucket = this.bucketOf.get(id);
    if (bucket === undefined) return;
    this.bucketOf.delete(id);
    const ids = this.buckets.get(bucket);
    ids?.delete(id);
    if (ids?.size === 0) this.buckets.delete(bucket);
  }

  /**
   * Up to `limit` ids from buckets that end at or before `now`, removed from the wheel. The
   * caller checks each against its current expiry, since a bucket is only a second wide.
   */
  takeDue(now: number, limit: number): string[] {
    const last = Math.floor(now / BUCKET_MS) - 1;
    const due: string[] = [];
    if (this.cursor < 0) return due;
    // Skip long empty stretches by jumping to the smallest bucket actually present.
    while (this.cursor <= last && due.length < limit) {
      const ids = this.buckets.get(this.cursor);
      if (!ids) {
        this.cursor = this.nextBucketFrom(this.cursor, last);
        continue;
      }
      for (const id of ids) {
        if (due.length >= limit) break;
        ids.delete(id);
        this.bucketOf.delete(id);
        due.push(id);
      }
      if (ids.size === 0) {
        this.buckets.delete(this.cursor);
        this.cursor++;
      }
    }
    return due;
  }

  private nextBucketFrom(from: number, last: number): number {
    // Walking second by second is fine for short gaps; for long ones find the minimum key.
    if (last - from < 4_096) return from + 1;
    let min = Infinity;
    for (const key of this.buckets.keys()) if (key > from && key < min) min = key;
    return min === Infinity ? last + 1 : min;
  }
}
