import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis, type Command } from 'ioredis';
import { SessionModule } from '../../src/index.js';
import type { SessionMetadata, SessionWrite } from '../../src/store/session-record.js';
import { SessionStoreError } from '../../src/store/session-store-error.js';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { FixtureController } from '../support/fixtures.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type RunningApp } from '../support/platforms.js';
import {
  describeWithRedisBinaries,
  makeTempDir,
  removeDir,
  sparePort,
  startRedisServer,
  waitFor,
  redisCli,
  type RedisProcess,
} from './support/redis-processes.js';

/** The option is checked when the store is built, before any connection. */
describe('RedisSessionStore waitForReplicas: checked at construction', () => {
  const build = (waitForReplicas: { replicas: number; timeoutMs: number }, more = {}) =>
    new RedisSessionStore({ url: 'redis://127.0.0.1:1', waitForReplicas, ...more });

  it.each([0, -1, 1.5, Number.NaN])('refuses replicas = %p, naming the option', (replicas) => {
    expect(() => build({ replicas, timeoutMs: 100 })).toThrow(
      /waitForReplicas\.replicas must be an integer of at least 1/,
    );
  });

  it.each([0, -5, 2.5, Number.POSITIVE_INFINITY])('refuses timeoutMs = %p', (timeoutMs) => {
    expect(() => build({ replicas: 1, timeoutMs })).toThrow(
      /waitForReplicas\.timeoutMs must be an integer of at least 1 ms \(WAIT 0 waits forever\)/,
    );
  });

  it("refuses a timeout the client's commandTimeout would cut short", () => {
    expect(() => build({ replicas: 1, timeoutMs: 1_500 })).toThrow(
      /timeoutMs \(1500\) must be shorter than the client's commandTimeout \(1500 ms\)/,
    );
    expect(() =>
      build({ replicas: 1, timeoutMs: 2_000 }, { redisOptions: { commandTimeout: 3_000 } }),
    ).not.toThrow();
    expect(
      () =>
        new RedisSessionStore({
          clusterNodes: [7000],
          clusterOptions: { redisOptions: { commandTimeout: 400 } },
          waitForReplicas: { replicas: 1, timeoutMs: 500 },
        }),
    ).toThrow(/shorter than the client's commandTimeout \(400 ms\)/);
  });
});

const describeReplicated = describeWithRedisBinaries('Redis master and replica');

/** A private master with one replica: WAIT can count to 1 and never to 2. */
describeReplicated('RedisSessionStore waitForReplicas on a master with one replica', () => {
  const dir = makeTempDir('wait-replicas');
  let master: RedisProcess | undefined;
  let replica: RedisProcess | undefined;
  let replicaClient: Redis;
  const stores: RedisSessionStore[] = [];
  const at = Date.now();
  const metadata: SessionMetadata = {
    createdAt: at,
    lastSeenAt: at,
    idleExpiresAt: at + 60_000,
    absoluteExpiresAt: null,
  };
  const create = (text: string): SessionWrite => ({
    mode: 'create',
    metadata,
    set: { cart: text },
    remove: [],
  });
  const storeWaitingFor = (replicas: number, timeoutMs = 300) => {
    const store = new RedisSessionStore({
      url: `redis://127.0.0.1:${master!.port}`,
      prefix: 'wait:',
      waitForReplicas: { replicas, timeoutMs },
    });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    master = await startRedisServer(await sparePort(), dir);
    const replicaPort = await sparePort([master.port]);
    replica = await startRedisServer(replicaPort, dir, [
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    await waitFor(
      async () => (await redisCli(replicaPort, 'INFO', 'replication')).includes('link_status:up'),
      10_000,
      'the replica to sync',
    );
    replicaClient = new Redis({ port: replicaPort, host: '127.0.0.1' });
  }, 30_000);
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    replicaClient?.disconnect();
    await replica?.stop();
    await master?.stop();
    removeDir(dir);
  });

  it('a commit returns once the replica has it', async () => {
    const store = storeWaitingFor(1);
    const id = randomUUID();
    expect(await store.set(id, create('"kept"'))).toEqual({ status: 'ok' });
    // No waiting here: the store waited for the replica before it answered.
    expect(await replicaClient.hget(`wait:{${id}}`, 'd:cart')).toBe('"kept"');
  });

  it('a destroy returns once the replica has it', async () => {
    const store = storeWaitingFor(1);
    const id = randomUUID();
    await store.set(id, create('"gone"'));
    await store.destroy(id);
    expect(await replicaClient.exists(`wait:{${id}}`)).toBe(0);
  });

  it("regenerate's removal of the old id (destroyIfUnchanged) returns once the replica has it", async () => {
    const store = storeWaitingFor(1);
    const id = randomUUID();
    await store.set(id, create('"old id"'));
    expect(await store.destroyIfUnchanged(id, { cart: 1 })).toBe('destroyed');
    expect(await replicaClient.exists(`wait:{${id}}`)).toBe(0);
  });

  it('replicas not reached in time → SessionStoreError with outcome unknown', async () => {
    const store = storeWaitingFor(2, 200);
    const id = randomUUID();
    const started = Date.now();
    const error = await store.set(id, create('"maybe"')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error as SessionStoreError).outcome).toBe('unknown');
    expect((error as SessionStoreError).message).toMatch(/not confirmed by 2 replica\(s\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    // Unknown, not "not applied": the master did write it.
    expect((await store.get(id))?.data).toEqual({ cart: '"maybe"' });
  });

  it('a destroy not confirmed in time is unknown too', async () => {
    const store = storeWaitingFor(2, 100);
    const error = await store.destroy(randomUUID()).catch((caught: unknown) => caught);
    expect((error as SessionStoreError).outcome).toBe('unknown');
  });

  it("regenerate's removal of the old id not confirmed in time is unknown too", async () => {
    const id = randomUUID();
    await storeWaitingFor(1).set(id, create('"x"'));
    const store = storeWaitingFor(2, 100);
    const error = await store
      .destroyIfUnchanged(id, { cart: 1 })
      .catch((caught: unknown) => caught);
    expect((error as SessionStoreError).outcome).toBe('unknown');
    expect(await store.get(id)).toBeNull(); // the master did remove it
  });

  it('a commit that found a conflict wrote nothing, so an unmet WAIT is no error', async () => {
    const store = storeWaitingFor(2, 100);
    const id = randomUUID();
    await storeWaitingFor(1).set(id, create('"first"'));
    const result = await store.set(id, {
      mode: 'update',
      metadata,
      set: { cart: '"second"' },
      remove: [],
      expectRevisions: { cart: 0 },
    });
    expect(result).toEqual({ status: 'conflict', namespaces: ['cart'] });
  });

  it('the commit and its WAIT go out in one pipeline (one round trip)', async () => {
    const client = new Redis({ port: master!.port, host: '127.0.0.1' });
    // The store sends confirmed writes over a duplicate of the client: watch that one.
    const duplicate = client.duplicate();
    client.duplicate = (() => duplicate) as typeof client.duplicate;
    const sent: string[] = [];
    const send = duplicate.sendCommand.bind(duplicate);
    duplicate.sendCommand = (command: Command, stream?: unknown) => {
      const pipelined = (stream as { isPipeline?: boolean } | undefined)?.isPipeline === true;
      sent.push(`${command.name.toLowerCase()}${pipelined ? ' (pipelined)' : ''}`);
      return send(command, stream as never);
    };
    const store = new RedisSessionStore({
      client,
      prefix: 'wait:',
      waitForReplicas: { replicas: 1, timeoutMs: 300 },
    });
    const id = randomUUID();
    await store.set(id, create('"one"')); // loads the script on the server if it must
    sent.length = 0;
    await store.set(id, { ...create('"two"'), mode: 'update' });
    expect(sent).toEqual(['evalsha (pipelined)', 'wait (pipelined)']);
    sent.length = 0;
    await store.destroy(id);
    // A destroy is one script (it answers the user binding for the index) and its WAIT.
    expect(sent).toEqual(['evalsha (pipelined)', 'wait (pipelined)']);
    await store.close();
    // The store's own connection is closed with it.
    await waitFor(async () => duplicate.status === 'end', 2_000, 'the duplicate to close');
    client.disconnect();
  });

  it('a write waiting for replicas holds up no read, touch or lock of other requests', async () => {
    const store = storeWaitingFor(2, 1_000);
    const reader = randomUUID();
    await storeWaitingFor(1).set(reader, create('"read me"'));
    await store.get(reader); // connected
    const waiting = store.set(randomUUID(), create('"unconfirmed"')).catch((error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the WAIT is on the server now
    const started = Date.now();
    expect((await store.get(reader))?.data).toEqual({ cart: '"read me"' });
    await store.touch(reader, { lastSeenAt: at + 1, idleExpiresAt: at + 60_001 });
    const token = await store.acquireLock(reader, { ttlMs: 5_000, waitMs: 100 });
    await store.releaseLock(reader, token!);
    expect(Date.now() - started).toBeLessThan(500);
    expect(((await waiting) as SessionStoreError).outcome).toBe('unknown');
  });

  it('a server that lost its scripts gets the script text once, and the write still waits', async () => {
    const store = storeWaitingFor(1);
    const id = randomUUID();
    await store.set(id, create('"before"'));
    await redisCli(master!.port, 'SCRIPT', 'FLUSH');
    expect(await store.set(id, { ...create('"after"'), mode: 'update' })).toEqual({
      status: 'ok',
    });
    expect(await replicaClient.hget(`wait:{${id}}`, 'd:cart')).toBe('"after"');
  });

  describe.each(PLATFORMS)('a request whose commit is not confirmed (%s)', (platform) => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp(platform, {
        imports: [
          SessionModule.forRoot({
            secret: 'a-test-secret-that-is-long-enough-0001',
            store: storeWaitingFor(2, 100),
          }),
        ],
        controllers: [FixtureController],
      });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('answers 503 saying the change may not have been saved (never that it was not)', async () => {
      const browser = new Browser(app.url);
      const reply = await browser.post('/cart', { sku: 'a', quantity: 1 });
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).not.toBeNull();
      expect(reply.body.message).toContain('may not have been saved');
      expect(reply.body.message).not.toContain('was not saved');
    });
  });
});
