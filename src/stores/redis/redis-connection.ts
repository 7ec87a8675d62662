import type { Logger } from '@nestjs/common';
import type { RedisConnectionOptions } from './redis-options.js';
// Types only: erased at build time, so the package loads without ioredis installed.
import type {
  Cluster,
  ClusterNode,
  ClusterOptions,
  RedisOptions,
  Redis,
  SentinelAddress,
} from 'ioredis';

/** How the store sees a client: the default reply mapping, which it also uses for its own. */
export type StoreClient = Redis | Cluster;

/** How long an owned client may take to (re)connect before a call rejects. */
export const READY_TIMEOUT_MS = 1_000;

/** How long an owned client waits for any one reply before the call rejects. */
export const COMMAND_TIMEOUT_MS = 1_500;

/**
 * Defaults for clients the store opens, so that a dead server makes calls reject in about a
 * second instead of queueing them forever, while the client keeps reconnecting on its own.
 */
const FAIL_FAST: RedisOptions = {
  connectTimeout: 1_000,
  // A server that accepts the connection but never answers.
  commandTimeout: COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 1,
  // Reconnect forever, at most a second apart, so a restarted server is found quickly.
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
};

/**
 * Open a client the store will own. ioredis is loaded here, on first use, because it is an
 * optional peer dependency: only users of this store need it installed.
 */
export async function openRedisClient(
  options: RedisConnectionOptions,
  logger: Logger,
): Promise<StoreClient> {
  const ioredis = await loadIoredis();
  let client: StoreClient;
  // The public options are typed without ioredis (see redis-options.ts); they are its own.
  const clusterOptions = options.clusterOptions as ClusterOptions | undefined;
  if (options.clusterNodes) {
    client = new ioredis.Cluster(options.clusterNodes as ClusterNode[], {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
      ...clusterOptions,
      // Node connections keep their offline queue: the cluster opens them lazily.
      redisOptions: { ...FAIL_FAST, ...clusterOptions?.redisOptions },
    });
  } else {
    // Auto-pipelining sends the commands of concurrent requests issued in one tick as one write:
    // measured at 50 concurrent reads, 13 µs of CPU per read instead of 20-23. Each command still
    // answers on its own, so one request's read is still one round trip.
    const base: RedisOptions = {
      ...FAIL_FAST,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    };
    if (options.sentinels) {
      base.sentinels = options.sentinels as Array<Partial<SentinelAddress>>;
      base.name = options.sentinelName;
    }
    const settings = { ...base, ...(options.redisOptions as RedisOptions | undefined) };
    client = options.url ? new ioredis.Redis(options.url, settings) : new ioredis.Redis(settings);
  }
  reportErrors(client, logger);
  return client;
}

/**
 * The calls waiting for each owned client to be ready. One 'ready' listener per client wakes them
 * all: a listener per waiting call would put one per concurrent request on the client during an
 * outage (50 in the chaos run), and past 10 Node warns of a possible leak on every outage.
 */
const readyWaiters = new WeakMap<StoreClient, Set<() => void>>();

function waitersOf(client: StoreClient): Set<() => void> {
  let waiters = readyWaiters.get(client);
  if (!waiters) {
    const set = new Set<() => void>();
    client.on('ready', () => {
      for (const wake of set) wake();
      set.clear();
    });
    readyWaiters.set(client, set);
    waiters = set;
  }
  return waiters;
}

/**
 * Wait until an owned client is ready, up to `timeoutMs`. Its offline queue is off, so a call
 * made while it (re)connects would fail at once; this gives a brief outage a chance to heal and
 * still bounds how long a call can wait.
 */
export async function whenReady(client: StoreClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'end') throw new Error('Redis session store: the connection is closed');
  // `lazyConnect` in the caller's options: connect now (failures surface as the timeout below).
  if (client.status === 'wait') client.connect().catch(() => undefined);
  const waiters = waitersOf(client);
  await new Promise<void>((resolve, reject) => {
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(wake);
      reject(
        new Error(`Redis session store: not connected (${client.status}) after ${timeoutMs} ms`),
      );
    }, timeoutMs);
    timer.unref();
    waiters.add(wake);
  });
}

/** Close an owned client: politely when it is connected, at once otherwise. */
export async function closeRedisClient(client: StoreClient): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through: the connection went away meanwhile.
    }
  }
  client.disconnect();
}

/**
 * An owned client must never emit an unhandled 'error' (that would crash the process). Failures
 * already reject the calls that hit them; here they are only logged, once per outage.
 */
export function reportErrors(client: StoreClient, logger: Logger): void {
  let reported = false;
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    logger.warn(`Redis connection error: ${error.message}; reconnecting`);
  });
  client.on('ready', () => {
    if (reported) logger.log('Redis connection is back');
    reported = false;
  });
}

async function loadIoredis() {
  try {
    const { Redis, Cluster } = await import('ioredis');
    return { Redis, Cluster };
  } catch (error) {
    throw new Error(
      `RedisSessionStore needs the 'ioredis' package (npm install ioredis): ${String(error)}`,
      { cause: error },
    );
  }
}
