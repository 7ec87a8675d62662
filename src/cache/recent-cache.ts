/**
 * A bounded map from JSON texts to values, in two generations: new entries go to the young one;
 * when it is full it becomes the old one (the previous old one is dropped), and a hit in the old
 * one moves back to the young one. Every operation is O(1): evicting the oldest entry of one big
 * `Map` one at a time is not (its iterator walks past every deleted slot until it rehashes).
 */
export class TextCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  /** At most `limit` entries in all: half per generation. */
  constructor(private readonly limit: number) {}

  get(text: string): V | undefined {
    const value = this.young.get(text);
    if (value !== undefined) return value;
    const aged = this.old.get(text);
    if (aged !== undefined) this.set(text, aged);
    return aged;
  }

  has(text: string): boolean {
    return this.young.has(text) || this.old.has(text);
  }

  set(text: string, value: V): void {
    if (this.young.size >= this.limit / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(text, value);
  }
}
