import { Redis } from 'ioredis';
import pg from 'pg';
import { MemorySessionStore, type SessionStore } from '../../src/index.js';
import { PostgresSessionStore } from '../../src/stores/postgres/index.js';
import { RedisSessionStore } from '../../src/stores/redis/index.js';
import { deleteKeys } from '../redis/support/redis-keys.js';
import { DATABASE_URL, REDIS_URL } from './servers.js';

/** A store under test: how to make one, and how to remove what it left behind. */
export interface StoreFactory {
  name: string;
  create(): Promise<SessionStore>;
  /** After the app (which closes the store) is closed. */
  cleanup(): Promise<void>;
}

export function memoryStore(): StoreFactory {
  return {
    name: 'memory',
    create: async () => new MemorySessionStore(),
    cleanup: async () => undefined,
  };
}

export function postgresStore(): StoreFactory {
  const table = `e2e_${process.pid}_${Date.now().toString(36)}`;
  return {
    name: 'postgres',
    create: async () =>
      new PostgresSessionStore({ connectionString: DATABASE_URL, table, cleanupIntervalMs: 0 }),
    cleanup: async () => {
      const pool = new pg.Pool({ connectionString: DATABASE_URL });
      try {
        await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_locks"`);
      } finally {
        await pool.end();
      }
    },
  };
}

export function redisStore(): StoreFactory {
  const prefix = `e2e:${process.pid}:${Date.now().toString(36)}:`;
  return {
    name: 'redis',
    create: async () => new RedisSessionStore({ url: REDIS_URL, prefix }),
    cleanup: async () => {
      const client = new Redis(REDIS_URL);
      try {
        await deleteKeys(client, prefix);
      } finally {
        client.disconnect();
      }
    },
  };
}
