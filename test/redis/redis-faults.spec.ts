import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import type { SessionMetadata } from '../../src/store/session-record.js';
import { SessionStoreError } from '../../src/store/session-store-error.js';
import {
  describeWithRedisBinaries,
  makeTempDir,
  redisCli,
  removeDir,
  sparePort,
  startRedisServer,
  waitFor,
  type RedisProcess,
} from './support/redis-processes.js';

/** How long a call may take to fail while the server is down or hung. */
const FAIL_WITHIN_MS = 2_000;

const describeFaults = describeWithRedisBinaries('Redis fault');

describeFaults('RedisSessionStore when its server fails', () => {
  let dir: string;
  let port: number;
  let server: RedisProcess;
  let store: RedisSessionStore;

  const metadata = (): SessionMetadata => ({
    createdAt: Date.now(),
    lastSeenAt: Date.now(),
    idleExpiresAt: Date.now() + 60_000,
    absoluteExpiresAt: null,
  });
  const create = (id: string) =>
    store.set(id, { mode: 'create', metadata: metadata(), set: { a: '1' }, remove: [] });

  beforeAll(async () => {
    dir = makeTempDir('faults');
    port = await sparePort();
    server = await startRedisServer(port, dir);
    // The store owns its client here: its fail-fast defaults are what is under test.
    store = new RedisSessionStore({ url: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
    if (dir) removeDir(dir);
  });

  async function expectQuickRejection(
    call: () => Promise<unknown>,
    outcome?: SessionStoreError['outcome'],
  ): Promise<void> {
    const started = Date.now();
    const error = await call().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(FAIL_WITHIN_MS);
    if (outcome) expect(error).toMatchObject({ name: 'SessionStoreError', outcome });
  }

  it('rejects quickly while the server is down, and the same store works once it is back', async () => {
    const id = randomUUID();
    expect(await create(id)).toEqual({ status: 'ok' });

    await server.stop();
    // Nothing can be sent to a server that is down: every call certainly changed nothing.
    await expectQuickRejection(() => store.get(id), 'not-applied');
    await expectQuickRejection(() => create(id), 'not-applied');
    await expectQuickRejection(
      () => store.touch(id, { lastSeenAt: Date.now(), idleExpiresAt: Date.now() + 60_000 }),
      'not-applied',
    );
    await expectQuickRejection(() => store.destroy(id), 'not-applied');
    await expectQuickRejection(() => store.destroyIfUnchanged(id, { a: 1 }), 'not-applied');
    await expectQuickRejection(
      () => store.acquireLock(id, { ttlMs: 1_000, waitMs: 0 }),
      'not-applied',
    );

    server = await startRedisServer(port, dir);
    const restarted = Date.now();
    await waitFor(
      () =>
        store.get(id).then(
          () => true,
          () => false,
        ),
      10_000,
      'the store to reconnect',
    );
    expect(Date.now() - restarted).toBeLessThan(5_000);
    // Nothing was persisted: the session died with the server, and new ones can be written.
    expect(await store.get(id)).toBeNull();
    const fresh = randomUUID();
    expect(await create(fresh)).toEqual({ status: 'ok' });
    expect((await store.get(fresh))?.data).toEqual({ a: '1' });
  }, 30_000);

  it('answers a write sent to a stopped (SIGSTOP) server as unknown, and it is there after SIGCONT', async () => {
    const id = randomUUID();
    await waitFor(
      () =>
        store.get(id).then(
          () => true,
          () => false,
        ),
      10_000,
      'the store to be connected',
    );
    process.kill(server.pid, 'SIGSTOP');
    let error: unknown;
    try {
      error = await create(id).then(
        () => undefined,
        (reason: unknown) => reason,
      );
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    // Sent before the client gave up: it may have been applied, and it was.
    expect(error).toBeInstanceOf(SessionStoreError);
    expect(error).toMatchObject({ outcome: 'unknown' });
    await waitFor(
      () =>
        store.get(id).then(
          (session) => session !== null,
          () => false,
        ),
      10_000,
      'the timed-out write to show up',
    );
    expect((await store.get(id))?.data).toEqual({ a: '1' });
  }, 30_000);

  it('answers a write whose connection is lost mid-command as unknown', async () => {
    const id = randomUUID();
    process.kill(server.pid, 'SIGSTOP');
    const writing = create(id).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    // The command is on the wire; the server dies before it answers.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.stop();
    expect(await writing).toMatchObject({ name: 'SessionStoreError', outcome: 'unknown' });
    server = await startRedisServer(port, dir);
    await waitFor(
      () =>
        store.get(id).then(
          () => true,
          () => false,
        ),
      10_000,
      'the store to reconnect',
    );
  }, 30_000);

  it('answers a write the server refuses (out of memory) as not applied, and nothing is written', async () => {
    const id = randomUUID();
    await create(id);
    const update = () =>
      store.set(id, { mode: 'update', metadata: metadata(), set: { a: '2' }, remove: [] });
    expect(await redisCli(port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction')).toBe('OK');
    expect(await redisCli(port, 'CONFIG', 'SET', 'maxmemory', '1')).toBe('OK');
    try {
      await expectQuickRejection(update, 'not-applied');
      await expectQuickRejection(
        () => store.acquireLock(id, { ttlMs: 1_000, waitMs: 0 }),
        'not-applied',
      );
    } finally {
      await redisCli(port, 'CONFIG', 'SET', 'maxmemory', '0');
    }
    expect((await store.get(id))?.data).toEqual({ a: '1' });
    expect(await store.get(id)).toMatchObject({ revisions: { a: 1 } });
  }, 30_000);

  it('answers calls to a server that refuses the connection as not applied', async () => {
    const nowhere = new RedisSessionStore({ url: `redis://127.0.0.1:${await sparePort()}` });
    try {
      const id = randomUUID();
      const write = { mode: 'create', metadata: metadata(), set: { a: '1' }, remove: [] } as const;
      await expectQuickRejection(() => nowhere.set(id, { ...write, remove: [] }), 'not-applied');
      await expectQuickRejection(() => nowhere.destroyIfUnchanged(id, {}), 'not-applied');
      await expectQuickRejection(() => nowhere.get(id), 'not-applied');
    } finally {
      await nowhere.close();
    }
  }, 30_000);

  it('rejects quickly while the server hangs, and carries on when it answers again', async () => {
    const id = randomUUID();
    await create(id);
    process.kill(server.pid, 'SIGSTOP');
    try {
      await expectQuickRejection(() => store.get(id));
      await expectQuickRejection(() => create(randomUUID()));
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    await waitFor(
      () =>
        store.get(id).then(
          (session) => session !== null,
          () => false,
        ),
      10_000,
      'the store to answer again',
    );
    expect((await store.get(id))?.data).toEqual({ a: '1' });
  }, 30_000);
});
