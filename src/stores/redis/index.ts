// `nestjs-typed-session/redis`: the Redis store (ioredis, an optional peer, loaded on first use).
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';
export type {
  RedisClient,
  RedisConnectionOptions,
  RedisEndpoint,
  RedisWaitForReplicas,
} from './redis-options.js';
export { jsonTextSerializer, type RedisSessionSerializer } from './redis-session-serializer.js';
export type { RedisExpiryEventsState } from './redis-expiry-watch.js';
export type { RedisExpiryEvents, RedisKeyspaceState } from './redis-keyspace-config.js';
