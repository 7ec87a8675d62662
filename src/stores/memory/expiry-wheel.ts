/** Width of one bucket: expiry is swept with this granularity. */
const BUCKET_MS = 1_000;
/** The bucket of something filed in none. */
export const NO_BUCKET = -1;

/**
 * Session ids filed by the second they expire in, so a sweep visits only the buckets that are
 * due instead of every session. Buckets are plain arrays (8 bytes an id, where a Set costs three
 * times that). Each id is filed at most once: the caller keeps its bucket and its position in
 * it, and takes it out (`unfile`, a swap with the bucket's last id) when the session goes or
 * moves to another bucket. So the wheel never holds more ids than the store holds sessions,
 * however fast sessions are created and evicted.
 */
export class ExpiryWheel {
  private readonly buckets = new Map<number, string[]>();
  /** Every bucket below this has been emptied. */
  private cursor = NO_BUCKET;
  private count = 0;

  /** Ids filed (tests: it is bounded by the sessions held). */
  get size(): number {
    return this.count;
  }

  /** The bucket `expiresAt` falls in. */
  bucketOf(expiresAt: number): number {
    return Math.floor(expiresAt / BUCKET_MS);
  }

  /** File `id` in `bucket` (from `bucketOf`); answers its position there. */
  file(id: string, bucket: number): number {
    const ids = this.buckets.get(bucket);
    this.count++;
    if (this.cursor === NO_BUCKET || bucket < this.cursor) this.cursor = bucket;
    if (ids) return ids.push(id) - 1;
    this.buckets.set(bucket, [id]);
    return 0;
  }

  /**
   * Take out the id at `position` in `bucket`. The bucket's last id takes its place: answers
   * that id, whose position is now `position`, or `undefined` when the one taken out was last.
   */
  unfile(bucket: number, position: number): string | undefined {
    const ids = this.buckets.get(bucket);
    if (!ids || position >= ids.length) return undefined;
    this.count--;
    const last = ids.pop()!;
    if (ids.length === 0) this.buckets.delete(bucket);
    if (position === ids.length) return undefined;
    ids[position] = last;
    return last;
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
      // A bucket is taken in pieces of at most `limit`, from its end so that the positions of
      // the ids left in it stay right; one huge bucket cannot block long.
      const piece =
        ids.length <= limit - visited ? ids : ids.splice(ids.length - (limit - visited));
      if (piece === ids) {
        this.buckets.delete(bucket);
        this.cursor++;
      }
      this.count -= piece.length;
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
