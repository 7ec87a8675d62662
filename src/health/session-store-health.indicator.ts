import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { SessionStore } from '../store/session-store.js';

/** How a probe of the session store is run. */
export interface SessionStoreHealthOptions {
  /** How long the probe may take before the store counts as down, in ms [1000]. */
  timeoutMs?: number;
}

/** What a probe of the session store adds to the indicator's result, up or down. */
export interface SessionStoreHealthDetails {
  /** The store's class name, e.g. `RedisSessionStore`. */
  store: string;
  /** How long the probe took (up), or how long it ran before it failed or timed out (down). */
  responseTimeMs: number;
  /** Why the store is down; absent when it is up. */
  message?: string;
}

const DEFAULT_TIMEOUT_MS = 1_000;

/**
 * A `@nestjs/terminus` health indicator for the session store the `SessionModule` uses.
 *
 * The probe reads a session id that cannot exist (fresh random bytes): one key look-up on a
 * network store (a Redis HGETALL, a PostgreSQL primary-key SELECT), no write, nothing left
 * behind. It answers `up` when the store answers, `down` when it rejects or takes longer than
 * `timeoutMs`; a probe that times out is abandoned, never awaited by the health route.
 */
@Injectable()
export class SessionStoreHealthIndicator {
  constructor(
    @Inject(SessionStore) private readonly store: SessionStore,
    @Inject(HealthIndicatorService) private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string = 'session_store'>(
    key: Key = 'session_store' as Key,
    options: SessionStoreHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`SessionStoreHealthIndicator: timeoutMs must be > 0 (got ${timeoutMs})`);
    }
    const indicator = this.health.check(key);
    const store = this.store.constructor.name;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const failure = await probeWithin(() => this.store.get(probeId()), timeoutMs);
    if (failure === undefined) {
      return indicator.up({ store, responseTimeMs: elapsed() } satisfies SessionStoreHealthDetails);
    }
    return indicator.down({
      store,
      responseTimeMs: elapsed(),
      message: failure,
    } satisfies SessionStoreHealthDetails);
  }
}

/** A session id no one holds (144 random bits), marked so it is recognisable in a trace. */
function probeId(): string {
  return `health-${randomBytes(18).toString('base64url')}`;
}

/** `undefined` when `probe` settled in time without error, else why it failed. */
async function probeWithin(
  probe: () => Promise<unknown>,
  timeoutMs: number,
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`the session store did not answer within ${timeoutMs} ms`),
      timeoutMs,
    );
  });
  const answered = Promise.resolve()
    .then(probe)
    .then(
      () => undefined,
      (error: unknown) =>
        (error instanceof Error ? error.message : String(error)) || 'the session store failed',
    );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
