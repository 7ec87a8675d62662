import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type pg from 'pg';
import { PostgresSessionStore } from '../../src/stores/postgres/postgres-session-store.js';
import type { SessionMetadata } from '../../src/store/session-record.js';
import { describeWithServer } from '../support/servers.js';
import { countQueries, dropTables, testPool, uniqueName } from './postgres-test-db.js';

const describePostgres = await describeWithServer('postgres');

const HOUR = 3_600_000;
const metadata = (now: number): SessionMetadata => ({
  createdAt: now,
  lastSeenAt: now,
  idleExpiresAt: now + HOUR,
  absoluteExpiresAt: now + 24 * HOUR,
});

describePostgres('PostgresSessionStore user index', () => {
  let pool: pg.Pool;
  const tables: string[] = [];
  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    for (const table of tables) await dropTables(pool, table);
    await pool.end();
  });

  it('lists 10,000 sessions of 1,000 users in one query per user, and logs one out in one', async () => {
    const table = uniqueName('users');
    tables.push(table);
    const store = new PostgresSessionStore({ pool, table, cleanupIntervalMs: 0 });
    const now = Date.now();
    const users = Array.from({ length: 1_000 }, (_, n) => `user-${n}`);
    const ids = Array.from({ length: 10_000 }, () => randomUUID());
    for (let start = 0; start < ids.length; start += 250) {
      await Promise.all(
        ids.slice(start, start + 250).map((id, n) =>
          store.set(id, {
            mode: 'create',
            metadata: metadata(now),
            set: { a: '1' },
            remove: [],
            owner: { userId: users[(start + n) % users.length], info: { n } },
          }),
        ),
      );
    }
    const queries = countQueries(pool);
    const counts: number[] = [];
    for (let start = 0; start < users.length; start += 50) {
      const lists = await Promise.all(
        users.slice(start, start + 50).map((user) => store.listForUser(user)),
      );
      counts.push(...lists.map((list) => list.length));
    }
    expect(queries.count()).toBe(users.length);
    expect(counts.every((count) => count === 10)).toBe(true);
    queries.reset();
    expect(await store.destroyForUser(users[0])).toHaveLength(10);
    expect(queries.count()).toBe(1);
    // The list is served by the index on user_id, not a scan of the table.
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM "${table}" WHERE user_id = 'user-1' AND expires_at > 0`,
    );
    expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain(`${table}_user_id_idx`);
    await store.close();
  }, 180_000);

  it('adds the user columns and their index to a table of an earlier version, keeping its rows', async () => {
    const table = uniqueName('older');
    tables.push(table);
    // The layout before sessions had users.
    await pool.query(`
      CREATE TABLE "${table}" (
        id text PRIMARY KEY, data jsonb NOT NULL, revisions jsonb NOT NULL,
        created_at bigint NOT NULL, last_seen_at bigint NOT NULL, idle_expires_at bigint NOT NULL,
        absolute_expires_at bigint, expires_at bigint NOT NULL);
      CREATE INDEX "${table}_expires_at_idx" ON "${table}" (expires_at);
      CREATE TABLE "${table}_locks" (id text PRIMARY KEY, token text NOT NULL,
        expires_at timestamptz NOT NULL);`);
    const now = Date.now();
    await pool.query(
      `INSERT INTO "${table}" VALUES ('old', '{"cart":"[1]"}', '{"cart":1}', $1, $1, $2, NULL, $2)`,
      [now, now + HOUR],
    );
    const store = new PostgresSessionStore({ pool, table, cleanupIntervalMs: 0 });
    const old = await store.get('old');
    expect(old?.data).toEqual({ cart: '[1]' });
    expect(old?.owner).toBeUndefined();
    const write = { mode: 'update' as const, metadata: metadata(now), set: {}, remove: [] };
    await store.set('old', { ...write, owner: { userId: 'ada', info: { agent: 'x' } } });
    expect((await store.listForUser('ada')).map((entry) => entry.id)).toEqual(['old']);
    const { rows } = await pool.query(`SELECT 1 FROM pg_indexes WHERE indexname = $1`, [
      `${table}_user_id_idx`,
    ]);
    expect(rows).toHaveLength(1);
    await store.close();
  });
});
