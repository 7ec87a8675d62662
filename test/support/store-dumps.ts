import { inspect } from 'node:util';
import { RedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import pg from 'pg';
import { MemorySessionStore, type SessionStore } from '../../src/index.js';
import { PostgresSessionStore } from '../../src/stores/postgres/index.js';
import { RedisSessionStore } from '../../src/stores/redis/index.js';
import { ExpressSessionStoreAdapter } from '../../src/stores/express-session/index.js';
import { deleteKeys } from '../redis/support/redis-keys.js';
import { DATABASE_URL, REDIS_URL, serverAvailable } from './servers.js';

/**
 * A store that can be dumped whole: everything an attacker with a copy of it would see (every
 * Redis key under the test's prefix with its value, every row of the test's tables, every string
 * a memory store holds). For tests that prove what never reaches a store.
 */
export interface DumpableStore {
  name: string;
  /** A store on this place's data; each call a new client (memory: the one shared instance). */
  create(): SessionStore | Promise<SessionStore>;
  /** Everything stored, as one text. */
  dump(): Promise<string>;
  /** After the apps (which close their stores) are closed. */
  cleanup(): Promise<void>;
}

function memoryPlace(): DumpableStore {
  const store = new MemorySessionStore();
  return {
    name: 'memory',
    create: () => store,
    dump: async () =>
      inspect(store, {
        depth: Infinity,
        maxArrayLength: Infinity,
        maxStringLength: Infinity,
        breakLength: Infinity,
        showHidden: true,
      }),
    cleanup: async () => undefined,
  };
}

async function withRedis<T>(use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(REDIS_URL);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** Every key under `prefix` (SCAN) with its value, as text. */
function redisDump(prefix: string): Promise<string> {
  return withRedis(async (client) => {
    const parts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) parts.push(key, JSON.stringify(await redisValue(client, key)));
    } while (cursor !== '0');
    return parts.join('\n');
  });
}

function redisPlace(): DumpableStore {
  const prefix = `keys:${process.pid}:${Date.now().toString(36)}:`;
  return {
    name: 'redis',
    create: () => new RedisSessionStore({ url: REDIS_URL, prefix }),
    dump: () => redisDump(prefix),
    cleanup: async () => {
      await withRedis((client) => deleteKeys(client, prefix));
    },
  };
}

/** The express-session adapter over connect-redis: hashed keys reach connect-* stores too. */
function connectRedisPlace(): DumpableStore {
  const prefix = `keys-connect:${process.pid}:${Date.now().toString(36)}:`;
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  const connected = client.connect();
  return {
    name: 'express-session adapter (connect-redis)',
    create: async () => {
      await connected;
      return new ExpressSessionStoreAdapter(new RedisStore({ client, prefix }));
    },
    dump: () => redisDump(prefix),
    cleanup: async () => {
      await withRedis((redis) => deleteKeys(redis, prefix));
      await client.close();
    },
  };
}

async function redisValue(client: Redis, key: string): Promise<unknown> {
  const type = await client.type(key);
  if (type === 'hash') return client.hgetall(key);
  if (type === 'string') return client.get(key);
  if (type === 'zset') return client.zrange(key, '0', '-1', 'WITHSCORES');
  if (type === 'set') return client.smembers(key);
  if (type === 'list') return client.lrange(key, 0, -1);
  return `(a ${type})`;
}

function postgresPlace(): DumpableStore {
  const table = `keys_${process.pid}_${Date.now().toString(36)}`;
  const withPool = async <T>(use: (pool: pg.Pool) => Promise<T>): Promise<T> => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL });
    try {
      return await use(pool);
    } finally {
      await pool.end();
    }
  };
  return {
    name: 'postgres',
    create: () =>
      new PostgresSessionStore({ connectionString: DATABASE_URL, table, cleanupIntervalMs: 0 }),
    dump: () =>
      withPool(async (pool) => {
        // Every table the store made (the sessions and their locks), every column as text.
        const { rows: tables } = await pool.query<{ name: string }>(
          `SELECT tablename AS name FROM pg_tables WHERE tablename LIKE $1`,
          [`${table}%`],
        );
        const parts: string[] = [];
        for (const { name } of tables) {
          const { rows } = await pool.query<{ row: string }>(
            `SELECT t::text AS row FROM "${name}" t`,
          );
          parts.push(name, ...rows.map(({ row }) => row));
        }
        return parts.join('\n');
      }),
    cleanup: () =>
      withPool(async (pool) => {
        await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_locks"`);
      }),
  };
}

/**
 * Every place whose server answers: memory always; Redis (the store, and connect-redis behind
 * the express-session adapter) and PostgreSQL when they run.
 */
export async function dumpableStores(): Promise<Array<() => DumpableStore>> {
  const places: Array<() => DumpableStore> = [memoryPlace];
  if (await serverAvailable('redis')) places.push(redisPlace, connectRedisPlace);
  if (await serverAvailable('postgres')) places.push(postgresPlace);
  return places;
}
