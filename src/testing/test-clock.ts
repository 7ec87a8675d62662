/**
 * A clock that stands still until a test moves it: handed to a store as its `now`, it decides
 * when the expiry kept in a record has passed, independently of any TTL the store keeps itself.
 */
export class TestClock {
  private current: number;

  constructor(start = Date.now()) {
    this.current = start;
  }

  /** Bound, so it can be passed as `now` directly. */
  readonly now = (): number => this.current;

  set(ms: number): void {
    this.current = ms;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
