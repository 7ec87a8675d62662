/** A Node-style callback: an error (or nothing) first, then the value. */
export type NodeCallback<T> = (error?: unknown, value?: T) => void;

/**
 * Calls a callback-style function and settles with its first answer. Defensive, because the
 * function is someone else's store: a second call of the callback is ignored, a synchronous
 * throw rejects, and a returned promise that rejects (stores that are also promise-based reject
 * it when they fail without calling back) rejects instead of going unhandled. Non-`Error`
 * failures are wrapped so callers always get an `Error`. With `timeoutMs`, a store that never
 * answers rejects after that long.
 */
export function callbackPromise<T>(
  start: (callback: NodeCallback<T>) => unknown,
  timeoutMs = 0,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // A store that never calls back would hold the request forever: give up after timeoutMs.
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () => settle(new Error(`the store did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          )
        : undefined;
    timer?.unref();
    const settle = (error: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (error) reject(toError(error));
      else resolve(value);
    };
    try {
      const returned = start((error, value) => settle(error, value));
      if (isThenable(returned)) {
        returned.then(undefined, (error: unknown) =>
          settle(error ?? new Error('the store failed')),
        );
      }
    } catch (error) {
      settle(error ?? new Error('the store threw'));
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(`the store failed: ${String(error)}`);
}
