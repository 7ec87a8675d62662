import { randomUUID } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type pg from 'pg';
import { PostgresSessionStore } from '../../src/stores/postgres/postgres-session-store.js';
import type { SessionMetadata, SessionWrite } from '../../src/store/session-record.js';
import { SessionStoreError } from '../../src/store/session-store-error.js';
import { DATABASE_URL, describeWithServer } from '../support/servers.js';
import { dropTables, testPool, uniqueName } from './postgres-test-db.js';

const describePostgres = await describeWithServer('postgres');

const metadata = (): SessionMetadata => ({
  createdAt: Date.now(),
  lastSeenAt: Date.now(),
  idleExpiresAt: Date.now() + 3_600_000,
  absoluteExpiresAt: null,
});
const create = (set: Record<string, string>): SessionWrite => ({
  mode: 'create',
  metadata: metadata(),
  set,
  remove: [],
});
const update = (set: Record<string, string>): SessionWrite => ({ ...create(set), mode: 'update' });

/** What a call rejected with (fails the test if it resolved). */
async function failureOf(call: Promise<unknown>): Promise<SessionStoreError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SessionStoreError);
  return error as SessionStoreError;
}

describePostgres('PostgresSessionStore: whether a failed call may have been applied', () => {
  const table = uniqueName('outcomes');
  const applicationName = uniqueName('nts_outcomes');
  let admin: pg.Pool;
  let store: PostgresSessionStore;

  beforeAll(async () => {
    admin = testPool();
    store = new PostgresSessionStore({
      table,
      cleanupIntervalMs: 0,
      poolConfig: { connectionString: DATABASE_URL, application_name: applicationName },
    });
    await store.get('create the table');
  });
  afterAll(async () => {
    await store?.close();
    await dropTables(admin, table);
    await admin.end();
  });

  /** Holds the row's lock in an open transaction, so the store's write to it waits. */
  async function holdRow(id: string): Promise<pg.PoolClient> {
    const client = await admin.connect();
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [id]);
    return client;
  }

  /** Resolves once one of the store's connections is waiting for a lock. */
  async function storeWaitsForLock(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the store never waited for the row lock');
  }

  it('not applied: a connection refused (nothing listens on the port)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = new PostgresSessionStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      cleanupIntervalMs: 0,
    });
    try {
      const id = randomUUID();
      expect((await failureOf(nowhere.set(id, create({ a: '1' })))).outcome).toBe('not-applied');
      expect((await failureOf(nowhere.destroyIfUnchanged(id, {}))).outcome).toBe('not-applied');
      expect((await failureOf(nowhere.destroy(id))).outcome).toBe('not-applied');
    } finally {
      await nowhere.close();
    }
  });

  it('not applied: the server goes away after the table exists and reconnecting is refused', async () => {
    // A TCP proxy to the real server, so the server can "go away" for this store alone.
    const { hostname, port: serverPort } = new URL(DATABASE_URL);
    const sockets = new Set<Socket>();
    const proxy = createServer((socket) => {
      const upstream = connect(Number(serverPort), hostname);
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    const proxied = new PostgresSessionStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      table,
      cleanupIntervalMs: 0,
    });
    try {
      const id = randomUUID();
      expect(await proxied.set(id, create({ a: '1' }))).toEqual({ status: 'ok' });
      const closed = new Promise((resolve) => proxy.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 100)); // the pool drops its dead clients
      const failure = await failureOf(proxied.set(id, update({ a: '2' })));
      expect((failure.cause as { code?: string }).code).toBe('ECONNREFUSED');
      expect(failure.outcome).toBe('not-applied');
      expect((await store.get(id))?.data).toEqual({ a: '1' });
    } finally {
      await proxied.close();
    }
  });

  it('not applied: a server that accepts the connection and never answers (connect timeout)', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const hung = new PostgresSessionStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      cleanupIntervalMs: 0,
    });
    try {
      expect((await failureOf(hung.set(randomUUID(), create({ a: '1' })))).outcome).toBe(
        'not-applied',
      );
    } finally {
      await hung.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('not applied: a value the server refuses (a NUL in a namespace name), and nothing is written', async () => {
    const id = randomUUID();
    await store.set(id, create({ a: '1' }));
    const failure = await failureOf(store.set(id, update({ 'a\u0000b': '1' })));
    expect(failure.outcome).toBe('not-applied');
    expect((await store.get(id))?.data).toEqual({ a: '1' });
  });

  it('not applied: a write the server cancels at its statement timeout, and nothing is written', async () => {
    const id = randomUUID();
    await store.set(id, create({ a: '1' }));
    const holder = await holdRow(id);
    try {
      const failure = await failureOf(store.set(id, update({ a: '2' })));
      expect(failure.outcome).toBe('not-applied');
      expect((failure.cause as { code?: string }).code).toBe('57014'); // query_canceled
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await store.get(id))?.data).toEqual({ a: '1' });
  });

  it('unknown: the connection is terminated (pg_terminate_backend) while the write is under way', async () => {
    const id = randomUUID();
    await store.set(id, create({ a: '1' }));
    const holder = await holdRow(id);
    try {
      const writing = failureOf(store.destroyIfUnchanged(id, { a: 1 }));
      await storeWaitsForLock();
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      );
      expect((await writing).outcome).toBe('unknown');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });
});
