import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import type { SessionMetadata } from '../../src/store/session-record.js';
import {
  describeWithRedisBinaries,
  makeTempDir,
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

  async function expectQuickRejection(call: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    await expect(call()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(FAIL_WITHIN_MS);
  }

  it('rejects quickly while the server is down, and the same store works once it is back', async () => {
    const id = randomUUID();
    expect(await create(id)).toEqual({ status: 'ok' });

    await server.stop();
    await expectQuickRejection(() => store.get(id));
    await expectQuickRejection(() => create(id));
    await expectQuickRejection(() =>
      store.touch(id, { lastSeenAt: Date.now(), idleExpiresAt: Date.now() + 60_000 }),
    );
    await expectQuickRejection(() => store.destroy(id));
    await expectQuickRejection(() => store.acquireLock(id, { ttlMs: 1_000, waitMs: 0 }));

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
