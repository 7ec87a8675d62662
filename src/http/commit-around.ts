import { HttpException } from '@nestjs/common';
import { Observable, type Subscription } from 'rxjs';
import type { SessionCommitter } from '../session/session-committer.js';
import type { SessionState } from '../session/session-state.js';

/** The status an error answers with: an `HttpException`'s own, anything else 500. */
export function statusOf(error: unknown): number {
  return error instanceof HttpException ? error.getStatus() : 500;
}

/**
 * Runs `prepare`, then subscribes to `source`, and commits after each value it produces and
 * before that value is passed on to be sent. An error below 500 (a refused login that counts
 * attempts) still commits; a 5xx commits nothing. `finalize` runs when the stream ends, whichever
 * way (it releases the session lock). One small Observable instead of an operator chain.
 */
export function commitAround(
  committer: SessionCommitter,
  source: () => Observable<unknown>,
  prepare: (() => Promise<void>) | null,
  stateOf: () => SessionState | undefined,
  finalize: () => void,
): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let inner: Subscription | undefined;
    // Commits (and what waits for them) run in order; null until the first one.
    let queue: Promise<void> | null = null;
    const fail = (error: unknown) => subscriber.error(error);
    const after = (step: () => void | Promise<void>) => {
      queue = (queue ?? Promise.resolve()).then(step);
      queue.catch(fail);
    };
    const run = () => {
      inner = source().subscribe({
        next: (value) => {
          const state = stateOf();
          if (!queue) {
            // The common case: nothing to write, so the value goes on without a promise.
            let writing: Promise<void> | undefined;
            try {
              writing = state && committer.commit(state);
            } catch (error) {
              return fail(error);
            }
            if (!writing) return subscriber.next(value);
            queue = writing.then(() => subscriber.next(value));
            queue.catch(fail);
            return;
          }
          after(async () => {
            if (state) await committer.commit(state);
            subscriber.next(value);
          });
        },
        error: (error: unknown) => {
          const state = stateOf();
          const commits = state !== undefined && statusOf(error) < 500;
          if (!commits && !queue) return subscriber.error(error);
          after(async () => {
            if (commits) await committer.commit(state);
            subscriber.error(error);
          });
        },
        complete: () => {
          if (!queue) return subscriber.complete();
          after(() => subscriber.complete());
        },
      });
    };
    if (prepare) {
      prepare().then(() => {
        if (!subscriber.closed) run();
      }, fail);
    } else {
      run();
    }
    return () => {
      inner?.unsubscribe();
      finalize();
    };
  });
}
