import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type pg from 'pg';
import { PostgresSessionStore } from '../../src/stores/postgres/postgres-session-store.js';
import { CorruptSessionRecordError } from '../../src/store/session-store-error.js';
import { DATABASE_URL, describeWithServer } from '../support/servers.js';
import { dropTables, testPool, uniqueName } from './postgres-test-db.js';

const describePostgres = await describeWithServer('postgres');

describePostgres('PostgresSessionStore on a row it cannot read as a session', () => {
  const table = uniqueName('corrupt');
  let admin: pg.Pool;
  let store: PostgresSessionStore;
  const at = Date.now();

  /** A row written by hand: `data` and `revisions` as JSON text. */
  const put = async (data: string, revisions = '{"cart":1}') => {
    const id = randomUUID();
    await admin.query(
      `INSERT INTO "${table}" (id, data, revisions, created_at, last_seen_at, idle_expires_at,
        absolute_expires_at, expires_at) VALUES ($1, $2::jsonb, $3::jsonb, $4, $4, $5, NULL, $5)`,
      [id, data, revisions, at, at + 60_000],
    );
    return id;
  };
  const expiresAtOf = async (id: string) =>
    (await admin.query(`SELECT expires_at FROM "${table}" WHERE id = $1`, [id])).rows[0]
      ?.expires_at;

  beforeAll(async () => {
    admin = testPool();
    store = new PostgresSessionStore({ connectionString: DATABASE_URL, table });
    await store.get('create the table');
  });
  afterAll(async () => {
    await store?.close();
    await dropTables(admin, table);
    await admin.end();
  });

  it('reads the well-formed control row', async () => {
    const id = await put('{"cart":"{\\"items\\":[]}"}');
    expect((await store.get(id))?.data).toEqual({ cart: '{"items":[]}' });
  });

  it.each([
    ['a string', '"abc"'],
    ['an array', '["a","b","c"]'],
    ['JSON null', 'null'],
    ['a number', '42'],
    ['an object whose values are not texts', '{"cart":{"items":[]}}'],
  ])('rejects get with CorruptSessionRecordError when data is %s', async (_, data) => {
    const id = await put(data);
    await expect(store.get(id)).rejects.toBeInstanceOf(CorruptSessionRecordError);
  });

  it.each([
    ['an array', '[1]'],
    ['a string', '"1"'],
    ['an object of texts', '{"cart":"1"}'],
  ])('rejects get when revisions is %s', async (_, revisions) => {
    const id = await put('{"cart":"1"}', revisions);
    await expect(store.get(id)).rejects.toBeInstanceOf(CorruptSessionRecordError);
  });

  it('never keeps a corrupt row alive: update is missing, touch and compare-and-delete do nothing', async () => {
    const id = await put('["a"]');
    const before = await expiresAtOf(id);
    const metadata = {
      createdAt: at,
      lastSeenAt: at,
      idleExpiresAt: at + 3_600_000,
      absoluteExpiresAt: null,
    };
    expect(
      await store.set(id, { mode: 'update', metadata, set: { cart: '{}' }, remove: [] }),
    ).toEqual({ status: 'missing' });
    await store.touch(id, { lastSeenAt: Date.now(), idleExpiresAt: Date.now() + 3_600_000 });
    expect(await store.destroyIfUnchanged(id, { cart: 1 })).toBe('missing');
    expect(await expiresAtOf(id)).toBe(before);
    // A create under the id (a fresh session) replaces it whole.
    expect(
      await store.set(id, { mode: 'create', metadata, set: { cart: '1' }, remove: [] }),
    ).toEqual({ status: 'ok' });
    expect((await store.get(id))?.data).toEqual({ cart: '1' });
  });
});
