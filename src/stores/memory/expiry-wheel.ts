/** Width of one bucket: expiry is swept with this granularity. */
const BUCKET_MS = 1_000;
/** The bucket of something filed in none. */
export const NO_BUCKET = -1;

/**
 * Session ids filed by the second they expire in, so a sweep visits only the buckets that are
 * due instead of every session. Buckets are plain arrays (8 bytes an id, where a Set costs three
 * times that) and deletion is lazy: the caller keeps each id's current bucket, moving an id
 * only files it anew, and when a bucket comes due the ids whose current bucket is another one
 * are skipped. A stale copy lives at most until its bucket's second has passed.
 */
export class ExpiryWheel {
  private readonly buckets = new Map<number, string[]>();
  /** Every bucket below this has been emptied. */
  private cursor = NO_BUCKET;

  /** The bucket `expiresAt` falls in. */
  bucketOf(expiresAt: number): number {
    return Math.floor(expiresAt / BUCKET_MS);
  }

  /** File `id` in `bucket` (from `bucketOf`). */
  file(id: string, bucket: number): void {
    const ids = this.buckets.get(bucket);
    if (ids) ids.push(id);
    else this.buckets.set(bucket, [id]);
    if (this.cursor === NO_BUCKET || bucket < this.cursor) this.cursor = bucket;
  }

  /**
   * Take out up to about `limit` ids (whole buckets) whose bucket ended at or before `now`, and
   * hand each to `visit` with the bucket it was filed in. Answers how many were visited.
   */
  takeDue(now: number, limit: number, visit: (id: string, bucket: number) => void): number {
    const last = this.bucketOf(now) - 1;
    let visited = 0;
    if (this.cursor === NO_BUCKET) return visited;
    while (this.cursor <= last && visited < limit) {
      const bucket = this.cursor;
      const ids = this.buckets.get(bucket);
      if (!ids) {
        this.cursor = this.nextBucketFrom(bucket, last);
        continue;
      }
      // A bucket is taken in pieces of at most `limit`, so one huge bucket cannot block long.
      const piece =
        ids.length <= limit - visited ? ids : ids.splice(ids.length - (limit - visited));
      if (piece === ids) {
        this.buckets.delete(bucket);
        this.cursor++;
      }
      for (const id of piece) visit(id, bucket);
      visited += piece.length;
    }
    return visited;
  }

  private nextBucketFrom(from: number, last: number): number {
    // Walking second by second is fine for short gaps; for long ones find the smallest bucket.
    if (last - from < 4_096) return from + 1;
    let min = Infinity;
    for (const key of this.buckets.keys()) if (key > from && key < min) min = key;
    return min === Infinity ? last + 1 : min;
  }
}
