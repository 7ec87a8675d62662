import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SessionModule, type SessionModuleOptions } from '../../src/index.js';
import { PostgresSessionStore } from '../../src/stores/postgres/index.js';
import { RedisSessionStore } from '../../src/stores/redis/index.js';
import { deleteKeys } from '../redis/support/redis-keys.js';
import { FixtureController } from '../support/fixtures.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform } from '../support/platforms.js';
import { DATABASE_URL, REDIS_URL, serverAvailable } from '../support/servers.js';
import { SECRET } from '../support/session-app.js';
import { storeKeyOf } from '../support/store-keys.js';

/** How to corrupt one stored session by hand, on a real server, as an operator's edit would. */
interface Corruption {
  name: string;
  store(): RedisSessionStore | PostgresSessionStore;
  corrupt(id: string): Promise<void>;
  cleanup(): Promise<void>;
}

function redisCorruption(): Corruption {
  const prefix = `e2e-corrupt:${process.pid}:${Date.now().toString(36)}:`;
  const client = new Redis(REDIS_URL);
  return {
    name: 'Redis: a metadata field that is not a number (_i=abc)',
    store: () => new RedisSessionStore({ url: REDIS_URL, prefix }),
    corrupt: async (id) => {
      const [key] = await scanOne(client, `${prefix}*${id}*`);
      await client.hset(key, '_i', 'abc');
    },
    cleanup: async () => {
      await deleteKeys(client, prefix);
      client.disconnect();
    },
  };
}

function postgresCorruption(): Corruption {
  const table = `e2e_corrupt_${process.pid}_${Date.now().toString(36)}`;
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  return {
    name: 'PostgreSQL: data that is a JSON string',
    store: () =>
      new PostgresSessionStore({ connectionString: DATABASE_URL, table, cleanupIntervalMs: 0 }),
    corrupt: async (id) => {
      await pool.query(`UPDATE "${table}" SET data = '"garbage"'::jsonb WHERE id = $1`, [id]);
    },
    cleanup: async () => {
      await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_locks"`);
      await pool.end();
    },
  };
}

async function scanOne(client: Redis, pattern: string): Promise<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) return keys;
    cursor = next;
  } while (cursor !== '0');
  throw new Error(`no key matches ${pattern}`);
}

const corruptions: Array<() => Corruption> = [];
if (await serverAvailable('redis')) corruptions.push(redisCorruption);
if (await serverAvailable('postgres')) corruptions.push(postgresCorruption);
const cases = corruptions.flatMap((make) => PLATFORMS.map((platform) => [platform, make] as const));

describe.each(cases)('a corrupt stored record on %s', (platform: Platform, make) => {
  const corruption = make();
  afterAll(() => corruption.cleanup());

  async function start(options: Partial<SessionModuleOptions> = {}) {
    return startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET, store: corruption.store(), ...options })],
      controllers: [FixtureController],
    });
  }

  it(`${corruption.name}: a fresh session with a warning, never a stuck or immortal one`, async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const app = await start();
    try {
      const browser = new Browser(app.url);
      await browser.post('/cart', { sku: 'a', quantity: 1 });
      const id = storeKeyOf(app, browser.cookie);
      await corruption.corrupt(id);
      const reply = await browser.get('/cart');
      expect(reply.status).toBe(200);
      expect(reply.body.items).toEqual([]);
      expect(warn.mock.calls.map(([m]) => String(m)).join('\n')).toContain('corrupt');
      // Writing again works: the session is not stuck.
      expect((await browser.post('/cart', { sku: 'b', quantity: 1 })).status).toBe(201);
      expect((await browser.get('/cart')).body.items).toHaveLength(1);
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });

  it(`${corruption.name}: 500 under onInvalidStoredData: 'reject'`, async () => {
    const app = await start({ onInvalidStoredData: 'reject' });
    try {
      const browser = new Browser(app.url);
      await browser.post('/cart', { sku: 'a', quantity: 1 });
      await corruption.corrupt(storeKeyOf(app, browser.cookie));
      const reply = await browser.get('/cart');
      expect(reply.status).toBe(500);
      expect(reply.body.error).toBe('StoredSessionInvalidError');
    } finally {
      await app.close();
    }
  });
});
