import { randomUUID } from 'node:crypto';
import type { SessionLockRequest } from './session-record.js';

interface Holder {
  token: string;
  timer: NodeJS.Timeout;
  waiters: Array<() => void>;
}

/**
 * Per-session mutexes inside one process, with a lifetime so that a holder that never releases
 * (a crashed request) frees the lock after `ttlMs`. Right for the memory store and for any store
 * served by a single process; stores shared between processes override the lock methods.
 */
export class InProcessLocks {
  private readonly holders = new Map<string, Holder>();

  async acquire(id: string, { ttlMs, waitMs }: SessionLockRequest): Promise<string | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const holder = this.holders.get(id);
      if (!holder) return this.take(id, ttlMs);
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        timer.unref();
        holder.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  release(id: string, token: string): void {
    const holder = this.holders.get(id);
    if (!holder || holder.token !== token) return;
    this.free(id, holder);
  }

  clear(): void {
    for (const [id, holder] of this.holders) this.free(id, holder);
  }

  private take(id: string, ttlMs: number): string {
    const token = randomUUID();
    const holder: Holder = {
      token,
      waiters: [],
      timer: setTimeout(() => {
        if (this.holders.get(id) === holder) this.free(id, holder);
      }, ttlMs),
    };
    holder.timer.unref();
    this.holders.set(id, holder);
    return token;
  }

  private free(id: string, holder: Holder): void {
    clearTimeout(holder.timer);
    this.holders.delete(id);
    // Wake every waiter; they race for the lock again, and those that lose wait on the new holder.
    for (const wake of holder.waiters) wake();
  }
}
