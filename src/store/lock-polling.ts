/** First and longest pause between attempts to take a lock another request holds, in ms. */
const FIRST_PAUSE_MS = 5;
const LONGEST_PAUSE_MS = 100;

/**
 * Calls `take` until it succeeds or `waitMs` has passed (or `stopped()` says to give up), with
 * growing pauses that are jittered, so that waiters woken together do not all retry at once.
 * For stores whose lock is a compare-and-set on a server (Redis `SET NX`, a PostgreSQL row).
 */
export async function pollForLock(
  take: () => Promise<boolean>,
  waitMs: number,
  stopped: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  let pause = FIRST_PAUSE_MS;
  for (;;) {
    if (await take()) return true;
    const remaining = deadline - Date.now();
    if (remaining <= 0 || stopped()) return false;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(remaining, pause * (0.5 + Math.random()))).unref(),
    );
    pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
  }
}
