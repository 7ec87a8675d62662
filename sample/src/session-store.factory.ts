import { MemorySessionStore, type SessionStore } from 'nestjs-typed-session';
import { PostgresSessionStore } from 'nestjs-typed-session/postgres';
import { RedisSessionStore } from 'nestjs-typed-session/redis';

/**
 * The store the sample runs on, chosen by SESSION_STORE: `memory` (default), `redis`
 * (REDIS_URL, default redis://127.0.0.1:6379) or `postgres` (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test). The Redis and PostgreSQL stores load their driver
 * (ioredis, pg) only when they are created.
 */
export function createSessionStore(): SessionStore {
  const kind = process.env.SESSION_STORE ?? 'memory';
  switch (kind) {
    case 'memory':
      return new MemorySessionStore();
    case 'redis':
      return new RedisSessionStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    case 'postgres':
      return new PostgresSessionStore({
        connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        table: 'sample_sessions',
      });
    default:
      throw new Error(`SESSION_STORE must be memory, redis or postgres (got "${kind}")`);
  }
}
