import { MemorySessionStore, type SessionStore } from 'nestjs-typed-session';

/**
 * The store the sample runs on, chosen by SESSION_STORE: `memory` (default), `redis`
 * (REDIS_URL, default redis://127.0.0.1:6379) or `postgres` (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test).
 */
export async function createSessionStore(): Promise<SessionStore> {
  const kind = process.env.SESSION_STORE ?? 'memory';
  const library = await import('nestjs-typed-session');
  switch (kind) {
    case 'memory':
      return new MemorySessionStore();
    case 'redis': {
      const { RedisSessionStore } = library as unknown as {
        RedisSessionStore: new (options: { url: string }) => SessionStore;
      };
      return new RedisSessionStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    }
    case 'postgres': {
      const { PostgresSessionStore } = library as unknown as {
        PostgresSessionStore: new (options: { connectionString: string }) => SessionStore;
      };
      return new PostgresSessionStore({
        connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      });
    }
    default:
      throw new Error(`SESSION_STORE must be memory, redis or postgres (got "${kind}")`);
  }
}
