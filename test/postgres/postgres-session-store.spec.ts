import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type pg from 'pg';
import { PostgresSessionStore } from '../../src/stores/postgres/postgres-session-store.js';
import type { SessionMetadata, SessionWrite } from '../../src/store/session-record.js';
import type { StoreExpiry } from '../../src/store/session-expiry.js';
import { DATABASE_URL, describeWithServer } from '../support/servers.js';
import { countQueries, dropTables, testPool, uniqueName } from './postgres-test-db.js';

const describePostgres = await describeWithServer('postgres');

const HOUR = 3_600_000;

function metadata(now: number, idleMs = HOUR): SessionMetadata {
  return { createdAt: now, lastSeenAt: now, idleExpiresAt: now + idleMs, absoluteExpiresAt: null };
}

function create(now: number, set: Record<string, string>, idleMs = HOUR): SessionWrite {
  return { mode: 'create', metadata: metadata(now, idleMs), set, remove: [] };
}

async function tableExists(pool: pg.Pool, qualified: string): Promise<boolean> {
  const { rows } = await pool.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [
    qualified,
  ]);
  return rows[0]!.ok;
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describePostgres('PostgresSessionStore', () => {
  let admin: pg.Pool;
  const tables: Array<{ table: string; schema?: string }> = [];
  const stores: PostgresSessionStore[] = [];

  /** A store on a table of its own, closed and dropped after the suite. */
  function newStore(options: ConstructorParameters<typeof PostgresSessionStore>[0] = {}) {
    const table = options.table ?? uniqueName('sessions');
    tables.push({ table, schema: options.schema });
    const store = new PostgresSessionStore({
      connectionString: DATABASE_URL,
      cleanupIntervalMs: 0,
      ...options,
      table,
    });
    stores.push(store);
    return { store, table };
  }

  beforeAll(() => {
    admin = testPool();
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    for (const { table, schema } of tables) await dropTables(admin, table, schema);
    await admin.end();
  });

  it('creates its tables on first use, once, even when the first calls come together', async () => {
    const { store, table } = newStore();
    expect(await tableExists(admin, table)).toBe(false);
    const answers = await Promise.all(Array.from({ length: 10 }, () => store.get('nobody')));
    expect(answers).toEqual(Array(10).fill(null));
    expect(await tableExists(admin, table)).toBe(true);
    expect(await tableExists(admin, `${table}_locks`)).toBe(true);
  });

  it('two stores creating the same table at once both succeed', async () => {
    const table = uniqueName('sessions');
    const a = newStore({ table }).store;
    const b = newStore({ table }).store;
    await Promise.all([a.get('x'), b.get('x'), a.get('y'), b.get('y')]);
    expect(await tableExists(admin, table)).toBe(true);
  });

  it('uses a custom schema and table name', async () => {
    const schema = uniqueName('nts_schema');
    await admin.query(`CREATE SCHEMA "${schema}"`);
    try {
      const { store, table } = newStore({ schema, table: 'Custom_Sessions' });
      const now = Date.now();
      await store.set('s1', create(now, { cart: '[1]' }));
      const { rows } = await admin.query(`SELECT id FROM "${schema}"."${table}"`);
      expect(rows).toEqual([{ id: 's1' }]);
      expect(await tableExists(admin, `public."Custom_Sessions"`)).toBe(false);
      await store.close();
    } finally {
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    }
  });

  it('refuses schema and table names that are not plain identifiers', () => {
    expect(() => new PostgresSessionStore({ table: 'sessions; DROP TABLE x' })).toThrow(/table/);
    expect(() => new PostgresSessionStore({ schema: 'a"b' })).toThrow(/schema/);
    expect(() => new PostgresSessionStore({ table: 'x'.repeat(49) })).toThrow(/48/);
  });

  it('refuses both a pool of your own and settings for one it would create', () => {
    const pool = testPool();
    expect(() => new PostgresSessionStore({ pool, connectionString: DATABASE_URL })).toThrow(
      /either pool or connectionString/,
    );
    return pool.end();
  });

  it('gives back each namespace as exactly the JSON text written', async () => {
    const { store } = newStore();
    const texts = { b: '{"z":1,"a":[1,2],"m":{"y":null,"b":"é\\n"}}', a: '"x"', n: '1.50' };
    await store.set('s', create(Date.now(), texts));
    expect((await store.get('s'))?.data).toEqual(texts);
  });

  it('sends one statement per read, commit, touch and destroy once the table exists', async () => {
    const pool = testPool();
    const table = uniqueName('sessions');
    tables.push({ table });
    const store = new PostgresSessionStore({ pool, table, cleanupIntervalMs: 0 });
    try {
      const queries = countQueries(pool);
      const now = Date.now();
      await store.get('warm-up'); // creates the table
      queries.reset();

      await store.set('s', create(now, { cart: '[]' }));
      expect(queries.count()).toBe(1);
      queries.reset();
      expect(await store.get('s')).not.toBeNull();
      expect(queries.count()).toBe(1);
      queries.reset();
      const update: SessionWrite = {
        mode: 'update',
        metadata: metadata(now),
        set: { prefs: '{}' },
        remove: ['cart'],
        expectRevisions: { cart: 1 },
      };
      expect(await store.set('s', update)).toEqual({ status: 'ok' });
      expect(queries.count()).toBe(1);
      queries.reset();
      expect(await store.set('s', update)).toEqual({ status: 'conflict', namespaces: ['cart'] });
      expect(queries.count()).toBe(1);
      queries.reset();
      expect(await store.set('gone', update)).toEqual({ status: 'missing' });
      expect(queries.count()).toBe(1);
      queries.reset();
      // A write that expects no revisions takes the plain statement: one as well.
      const unchecked: SessionWrite = { ...update, expectRevisions: undefined };
      expect(await store.set('s', unchecked)).toEqual({ status: 'ok' });
      expect(queries.count()).toBe(1);
      queries.reset();
      expect(await store.set('gone', unchecked)).toEqual({ status: 'missing' });
      expect(queries.count()).toBe(1);
      queries.reset();
      await store.touch('s', { lastSeenAt: now + 1, idleExpiresAt: now + HOUR + 1 });
      expect(queries.count()).toBe(1);
      queries.reset();
      await store.destroy('s');
      expect(queries.count()).toBe(1);
    } finally {
      await store.close();
      // The pool was handed in: the store must have left it open.
      await expect(pool.query('SELECT 1')).resolves.toBeDefined();
      await pool.end();
    }
  });

  it('deletes expired rows in the background and keeps live ones', async () => {
    let now = Date.now();
    const { store, table } = newStore({ cleanupIntervalMs: 25, now: () => now });
    await store.set('short', create(now, { a: '1' }, 1_000));
    await store.set('long', create(now, { a: '1' }, HOUR));
    now += 2_000;
    const ids = async () =>
      (await admin.query<{ id: string }>(`SELECT id FROM "${table}" ORDER BY id`)).rows;
    await until(async () => (await ids()).length === 1);
    expect(await ids()).toEqual([{ id: 'long' }]);
  });

  it('reports each row its background cleanup deletes, with the cause, to a listener', async () => {
    let now = Date.now();
    const { store } = newStore({ cleanupIntervalMs: 25, now: () => now });
    const reports: StoreExpiry[] = [];
    store.onExpired((report) => reports.push(report));
    await store.set('idle', create(now, { a: '1' }, 1_000));
    await store.set('capped', {
      ...create(now, { a: '1' }, HOUR),
      metadata: { ...metadata(now), absoluteExpiresAt: now + 1_000 },
    });
    await store.set('long', create(now, { a: '1' }, HOUR));
    now += 2_000;
    await until(async () => reports.length === 2);
    expect(reports.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'capped', cause: 'absolute', at: now },
      { key: 'idle', cause: 'idle', at: now },
    ]);
  });

  it('reports each expired row once when several stores clean one table', async () => {
    let now = Date.now();
    const table = uniqueName('sessions');
    const cleaners = [1, 2, 3].map(() => newStore({ table, now: () => now }).store);
    const reports: string[] = [];
    for (const cleaner of cleaners) cleaner.onExpired((report) => reports.push(report.key));
    const ids = Array.from({ length: 2_500 }, (_, i) => `s${i}`);
    for (const id of ids) await cleaners[0]!.set(id, create(now, { a: '1' }, 1_000));
    now += 2_000;
    const deleted = await Promise.all(cleaners.map((cleaner) => cleaner.deleteExpired()));
    expect(deleted.reduce((sum, n) => sum + n, 0)).toBe(ids.length);
    expect(reports.sort()).toEqual([...ids].sort());
  }, 30_000);

  it('only logs a failed background cleanup', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const { store, table } = newStore({ cleanupIntervalMs: 20 });
      await store.set('s', create(Date.now(), { a: '1' }));
      await dropTables(admin, table); // every cleanup statement now fails
      await until(async () => warn.mock.calls.length > 0);
      expect(String(warn.mock.calls[0]![0])).toMatch(/deleting expired sessions failed/);
      expect(await store.get('s')).toBeNull(); // and the store carries on
    } finally {
      warn.mockRestore();
    }
  });

  it('treats a row past its expiry as absent before the cleanup has run', async () => {
    let now = Date.now();
    const { store } = newStore({ now: () => now });
    await store.set('s', create(now, { a: '1' }, 1_000));
    now += 1_000;
    expect(await store.get('s')).toBeNull();
    await store.touch('s', { lastSeenAt: now, idleExpiresAt: now + HOUR });
    expect(await store.get('s')).toBeNull();
  });

  it('recreates its table when it was dropped behind its back', async () => {
    const { store, table } = newStore();
    await store.set('s', create(Date.now(), { a: '1' }));
    await dropTables(admin, table);
    await expect(store.get('s')).rejects.toThrow(/does not exist/);
    expect(await store.get('s')).toBeNull();
  });

  it('concurrent commits of different namespaces from two stores all survive', async () => {
    const table = uniqueName('sessions');
    const a = newStore({ table }).store;
    const b = newStore({ table }).store;
    const now = Date.now();
    await a.set('s', create(now, {}));
    const names = Array.from({ length: 20 }, (_, i) => `ns${i}`);
    const results = await Promise.all(
      names.map((name, i) =>
        (i % 2 ? a : b).set('s', {
          mode: 'update',
          metadata: metadata(now),
          set: { [name]: `${i}` },
          remove: [],
          expectRevisions: { [name]: 0 },
        }),
      ),
    );
    expect(results).toEqual(names.map(() => ({ status: 'ok' })));
    const stored = await a.get('s');
    expect(stored?.data).toEqual(Object.fromEntries(names.map((name, i) => [name, `${i}`])));
    expect(stored?.revisions).toEqual(Object.fromEntries(names.map((name) => [name, 1])));
  });

  it('concurrent commits that expect no revisions merge: every namespace and every count survives', async () => {
    const table = uniqueName('sessions');
    const a = newStore({ table }).store;
    const b = newStore({ table }).store;
    const now = Date.now();
    await a.set('s', create(now, { cart: '0' }));
    const writes = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? a : b).set('s', {
        mode: 'update',
        metadata: metadata(now),
        // Half rewrite one namespace, half add one of their own.
        set: i % 2 ? { cart: `${i}` } : { [`ns${i}`]: `${i}` },
        remove: [],
      }),
    );
    expect(await Promise.all(writes)).toEqual(writes.map(() => ({ status: 'ok' })));
    const stored = await a.get('s');
    const own = Array.from({ length: 10 }, (_, k) => `ns${2 * k}`);
    expect(Object.keys(stored!.data).sort()).toEqual(['cart', ...own].sort());
    expect(stored?.revisions).toEqual({
      cart: 11,
      ...Object.fromEntries(own.map((name) => [name, 1])),
    });
  });

  it('a commit that expects no revisions waits for a writer holding the row and builds on it', async () => {
    const { store, table } = newStore();
    const now = Date.now();
    await store.set('s', create(now, { cart: '"mine"' }));
    const other = await admin.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `UPDATE "${table}" SET data = data || '{"prefs":"\\"theirs\\""}'::jsonb,
           revisions = revisions || '{"prefs":1}'::jsonb WHERE id = 's'`,
      );
      let settled = false;
      const write = store
        .set('s', { mode: 'update', metadata: metadata(now), set: { cart: '"new"' }, remove: [] })
        .finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false); // held by the other transaction's row lock
      await other.query('COMMIT');
      expect(await write).toEqual({ status: 'ok' });
    } finally {
      other.release();
    }
    const stored = await store.get('s');
    expect(stored?.data).toEqual({ cart: '"new"', prefs: '"theirs"' });
    expect(stored?.revisions).toEqual({ cart: 2, prefs: 1 });
  });

  it('of concurrent commits expecting the same revision, exactly one wins', async () => {
    const table = uniqueName('sessions');
    const a = newStore({ table }).store;
    const b = newStore({ table }).store;
    const now = Date.now();
    await a.set('s', create(now, { cart: '0' }));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).set('s', {
          mode: 'update',
          metadata: metadata(now),
          set: { cart: `${i + 1}` },
          remove: [],
          expectRevisions: { cart: 1 },
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'conflict')).toEqual(
      Array(9).fill({ status: 'conflict', namespaces: ['cart'] }),
    );
    expect((await a.get('s'))?.revisions).toEqual({ cart: 2 });
  });

  it('of concurrent commits expecting the same revision, exactly one wins, round after round', async () => {
    // Ten writers on two pools, twenty times: before the check read the locked row, most rounds
    // had several winners (found by the model check).
    const table = uniqueName('sessions');
    const a = newStore({ table }).store;
    const b = newStore({ table }).store;
    const now = Date.now();
    for (let round = 0; round < 20; round++) {
      const id = `race${round}`;
      await a.set(id, create(now, { cart: '0' }));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).set(id, {
            mode: 'update',
            metadata: metadata(now),
            set: { cart: `${i + 1}` },
            remove: [],
            expectRevisions: { cart: 1 },
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
      expect((await a.get(id))?.revisions).toEqual({ cart: 2 });
    }
  });

  it('a commit racing a destroy answers missing and brings nothing back', async () => {
    const table = uniqueName('sessions');
    const a = newStore({ table }).store;
    const b = newStore({ table }).store;
    const now = Date.now();
    for (let round = 0; round < 10; round++) {
      const id = `s${round}`;
      await a.set(id, create(now, { cart: '0' }));
      const update: SessionWrite = {
        mode: 'update',
        metadata: metadata(now),
        set: { cart: '1' },
        remove: [],
      };
      const [result] = await Promise.all([a.set(id, update), b.destroy(id)]);
      expect(['ok', 'missing']).toContain(result.status);
      expect(await a.get(id)).toBeNull();
    }
  });

  it('locks exclude each other across two stores (two processes) and free themselves', async () => {
    const table = uniqueName('sessions');
    const a = newStore({ table }).store;
    const b = newStore({ table }).store;
    const token = await a.acquireLock('s', { ttlMs: 300, waitMs: 0 });
    expect(token).toEqual(expect.any(String));
    expect(await b.acquireLock('s', { ttlMs: 300, waitMs: 50 })).toBeNull();
    await b.releaseLock('s', 'not-the-token'); // another token: no effect
    expect(await b.acquireLock('s', { ttlMs: 300, waitMs: 0 })).toBeNull();
    // The holder "crashed": its lock lapses after ttlMs and a waiter gets it.
    const waited = Date.now();
    const second = await b.acquireLock('s', { ttlMs: 5_000, waitMs: 2_000 });
    expect(second).toEqual(expect.any(String));
    expect(Date.now() - waited).toBeLessThan(1_500);
    await a.releaseLock('s', token!); // expired token: must not free b's lock
    expect(await a.acquireLock('s', { ttlMs: 300, waitMs: 0 })).toBeNull();
    await b.releaseLock('s', second!);
    expect(await a.acquireLock('s', { ttlMs: 300, waitMs: 0 })).toEqual(expect.any(String));
  });

  describe.each([
    ['right away', 0],
    ['once the pool has noticed', 100],
  ])('when its connections are killed, calling %s', (_when, pauseMs) => {
    it('may fail a call per dead connection, never crashes, and then works on its own', async () => {
      const applicationName = uniqueName('nts_fault');
      const { store } = newStore({
        poolConfig: { connectionString: DATABASE_URL, application_name: applicationName },
      });
      const now = Date.now();
      await Promise.all([store.set('s', create(now, { a: '1' })), store.get('t'), store.get('u')]);
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      const killed = rows.length;
      expect(killed).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      let failures = 0;
      // A pooled connection that died while idle can be handed out before its death is read.
      while ((await store.get('s').catch(() => 'failed')) === 'failed') failures++;
      expect(failures).toBeLessThanOrEqual(pauseMs > 0 ? 0 : killed);
      for (let i = 0; i < 3; i++) {
        expect((await store.get('s'))?.data).toEqual({ a: '1' });
      }
    });
  });

  it('rejects within about two seconds when the server does not answer', async () => {
    // A server that accepts connections and then says nothing, like a hung database.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const store = new PostgresSessionStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      cleanupIntervalMs: 0,
    });
    try {
      const started = Date.now();
      await expect(store.get('s')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3_500);
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
