/**
 * The Redis store's public option types. Declared here without importing ioredis, so that the
 * package's type declarations work for apps that do not install ioredis (an optional peer):
 * any ioredis `Redis` (standalone or Sentinel) or `Cluster` instance fits `RedisClient`.
 */

/** An ioredis client: `new Redis(...)` (standalone or Sentinel) or `new Cluster(...)`. */
export interface RedisClient {
  readonly status: string;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** A Redis endpoint, as ioredis takes it for sentinels and cluster nodes. */
export interface RedisEndpoint {
  host?: string;
  port?: number;
}

/** Where a store that opens its own connection connects to. At most one way may be given. */
export interface RedisConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...` for a standalone server. */
  url?: string;
  /**
   * ioredis `RedisOptions`, laid over the store's fail-fast defaults (standalone and Sentinel).
   * Typed loosely so the declarations do not need ioredis; they are passed to it as they are.
   */
  redisOptions?: object;
  /** Sentinels to ask for the master; give `sentinelName` too. */
  sentinels?: RedisEndpoint[];
  /** The master group name the sentinels monitor (ioredis's `name`). */
  sentinelName?: string;
  /** Start-up nodes of a Redis Cluster (`'host:port'`, a port, or `{ host, port }`). */
  clusterNodes?: Array<string | number | RedisEndpoint>;
  /** ioredis `ClusterOptions`, laid over the store's fail-fast defaults. */
  clusterOptions?: object;
}

/**
 * `waitForReplicas`: Redis replicates asynchronously, so a write a master acknowledged can vanish
 * when that master dies before a replica has it. With this option every commit and destroy is
 * followed, in the same pipeline (so still one round trip), by `WAIT replicas timeoutMs`, on a
 * connection kept for these writes; the call succeeds only when that many replicas confirm it.
 */
export interface RedisWaitForReplicas {
  /** How many replicas must confirm each write (at least 1). */
  replicas: number;
  /**
   * How long the server waits for them, in ms (at least 1: `WAIT` with 0 would wait forever).
   * Must be shorter than the client's `commandTimeout`. A write not confirmed in time may or may
   * not survive a failover: the store throws `SessionStoreError` with outcome `'unknown'`, so the
   * response says the change "may not have been saved".
   */
  timeoutMs: number;
}
