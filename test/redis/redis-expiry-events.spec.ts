import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { StoreExpiry } from '../../src/store/session-expiry.js';
import type { SessionMetadata } from '../../src/store/session-record.js';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
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

// Private servers, because these tests change or depend on `notify-keyspace-events`, which the
// shared server must not have changed: one with expiry events on (`Ex`), one with them off, one
// with other flags that `expiryEvents: 'enable'` must keep, and one where CONFIG is forbidden as
// on managed Redis services (renamed away) but the setting is on.
const describeRedis = describeWithRedisBinaries('Redis expiry events');
const EXPIRY_CHANNEL = '__keyevent@0__:expired';
let dir = '';
const servers: Record<'on' | 'off' | 'other' | 'managed', RedisProcess | undefined> = {
  on: undefined,
  off: undefined,
  other: undefined,
  managed: undefined,
};

beforeAll(async () => {
  if (describeRedis !== describe) return;
  dir = makeTempDir('expiry');
  const taken: number[] = [];
  const start = async (args: string[]) => {
    const port = await sparePort(taken);
    taken.push(port);
    return startRedisServer(port, dir, args);
  };
  servers.on = await start(['--notify-keyspace-events', 'Ex']);
  servers.off = await start([]);
  servers.other = await start(['--notify-keyspace-events', 'Kg']);
  servers.managed = await start([
    '--notify-keyspace-events',
    'Ex',
    '--rename-command',
    'CONFIG',
    '',
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server?.stop()));
  if (dir) removeDir(dir);
});

const urlOf = (server: 'on' | 'off' | 'other' | 'managed') =>
  `redis://127.0.0.1:${servers[server]!.port}`;

runSessionStoreConformance({
  name: 'redis (notify-keyspace-events Ex, private server)',
  describe: describeRedis,
  create: (clock) => new RedisSessionStore({ url: urlOf('on'), prefix: 'conf:', now: clock.now }),
  nativeTtl: true,
  manySessions: 500,
  expiryReports: {
    knowsCause: false,
    ready: async (store) => {
      expect((await (store as RedisSessionStore).expiryEvents()).subscribed).toBe(true);
    },
  },
});

describeRedis('RedisSessionStore expiry events', () => {
  const stores: RedisSessionStore[] = [];
  const open = (server: 'on' | 'off' | 'other' | 'managed', options = {}) => {
    const store = new RedisSessionStore({ url: urlOf(server), prefix: 'exp:', ...options });
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  const shortLived = (ttlMs = 200): SessionMetadata => ({
    createdAt: Date.now(),
    lastSeenAt: Date.now(),
    idleExpiresAt: Date.now() + ttlMs,
    absoluteExpiresAt: null,
  });
  const create = (store: RedisSessionStore, id: string, ttlMs?: number) =>
    store.set(id, { mode: 'create', metadata: shortLived(ttlMs), set: { a: '1' }, remove: [] });
  const listen = (store: RedisSessionStore) => {
    const reports: StoreExpiry[] = [];
    const stop = store.onExpired((report) => reports.push(report));
    return { reports, stop };
  };
  const subscribers = async (server: 'on' | 'off' | 'other' | 'managed') =>
    Number(
      (await redisCli(servers[server]!.port, 'PUBSUB', 'NUMSUB', EXPIRY_CHANNEL)).split('\n')[1],
    );
  const until = (check: () => boolean | Promise<boolean>, what: string) =>
    waitFor(async () => check(), 10_000, what);

  it('reports a session Redis expires, by its key, with the cause unknown', async () => {
    const store = open('on');
    const { reports, stop } = listen(store);
    try {
      expect(await store.expiryEvents()).toEqual({
        subscribed: true,
        nodes: [{ node: `127.0.0.1:${servers.on!.port}`, flags: 'xE', enabled: true }],
      });
      await create(store, 'soon');
      await until(() => reports.length > 0, 'the report');
      expect(reports).toEqual([{ key: 'soon', cause: 'unknown', at: expect.any(Number) }]);
    } finally {
      stop();
    }
  });

  it("reports only its own sessions: not another prefix's keys, nor lock keys", async () => {
    const store = open('on');
    const { reports, stop } = listen(store);
    const other = new Redis(urlOf('on'));
    try {
      await store.expiryEvents();
      await other.set('exp:unrelated', '1', 'PX', 100);
      await other.set('other:{x}', '1', 'PX', 100);
      expect(await store.acquireLock('locked', { ttlMs: 100, waitMs: 0 })).not.toBeNull();
      await create(store, 'mine', 400);
      await until(() => reports.length > 0, 'the report of its own session');
      expect(await other.exists('exp:unrelated', 'other:{x}', 'exp:{locked}:lock')).toBe(0);
      expect(reports.map((report) => report.key)).toEqual(['mine']);
    } finally {
      stop();
      other.disconnect();
    }
  });

  it('subscribes only while someone listens: one subscriber, gone after the last listener', async () => {
    const store = open('on');
    expect(await store.expiryEvents()).toEqual({ subscribed: false, nodes: [] });
    const before = await subscribers('on');
    const first = listen(store);
    const second = listen(store);
    await store.expiryEvents();
    expect(await subscribers('on')).toBe(before + 1);
    first.stop();
    expect(await subscribers('on')).toBe(before + 1);
    second.stop();
    await until(async () => (await subscribers('on')) === before, 'the subscriber to leave');
  });

  it("never subscribes with expiryEvents: 'off'", async () => {
    const store = open('on', { expiryEvents: 'off' });
    const before = await subscribers('on');
    const { reports, stop } = listen(store);
    try {
      await create(store, 'unwatched');
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(reports).toEqual([]);
      expect(await store.expiryEvents()).toEqual({ subscribed: false, nodes: [] });
      expect(await subscribers('on')).toBe(before);
    } finally {
      stop();
    }
  });

  it('without notify-keyspace-events: no reports, and one log line saying how to turn it on', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = open('off');
    const { reports, stop } = listen(store);
    try {
      const state = await store.expiryEvents();
      expect(state.nodes).toEqual([
        { node: `127.0.0.1:${servers.off!.port}`, flags: '', enabled: false },
      ]);
      await create(store, 'silent');
      await until(async () => (await store.get('silent')) === null, 'the session to expire');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(reports).toEqual([]);
      const lines = warn.mock.calls.map((call) => String(call[0]));
      expect(lines.filter((line) => line.includes('notify-keyspace-events'))).toEqual([
        expect.stringMatching(
          /notify-keyspace-events at 127\.0\.0\.1:\d+ is "", without "E" and "x": sessions that Redis expires raise no session\.expired\. Set it to include "Ex".*expiryEvents: 'enable'/,
        ),
      ]);
    } finally {
      stop();
      warn.mockRestore();
    }
  });

  it("expiryEvents: 'enable' turns it on, keeping the flags already set, then reports", async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const store = open('other', { expiryEvents: 'enable' });
    const { reports, stop } = listen(store);
    try {
      const [node] = (await store.expiryEvents()).nodes;
      expect(node!.enabled).toBe(true);
      const flags = (
        await redisCli(servers.other!.port, 'CONFIG', 'GET', 'notify-keyspace-events')
      ).split('\n')[1]!;
      expect([...flags].sort()).toEqual(['E', 'K', 'g', 'x']);
      expect(log).toHaveBeenCalledWith(expect.stringContaining('turned on expiry notifications'));
      await create(store, 'enabled');
      await until(() => reports.length > 0, 'the report');
      expect(reports.map((report) => report.key)).toEqual(['enabled']);
    } finally {
      stop();
      log.mockRestore();
    }
  });

  it('where CONFIG is forbidden (managed Redis): a clear warning, and reports if the server has it on', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = open('managed', { expiryEvents: 'enable' });
    const { reports, stop } = listen(store);
    try {
      const [node] = (await store.expiryEvents()).nodes;
      expect(node).toEqual({
        node: `127.0.0.1:${servers.managed!.port}`,
        flags: null,
        enabled: null,
      });
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(
          /cannot read notify-keyspace-events at .*unknown command.*subscribed anyway/,
        ),
      );
      await create(store, 'managed');
      await until(() => reports.length > 0, 'the report');
      expect(reports.map((report) => report.key)).toEqual(['managed']);
    } finally {
      stop();
      warn.mockRestore();
    }
  });

  it("hears again after the server restarts, turning the setting on again with 'enable'; says that expiries in between were lost", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const port = await sparePort(Object.values(servers).map((server) => server!.port));
    let server = await startRedisServer(port, dir);
    const store = open('on', { url: `redis://127.0.0.1:${port}`, expiryEvents: 'enable' });
    const { reports, stop } = listen(store);
    try {
      expect((await store.expiryEvents()).subscribed).toBe(true);
      await server.stop(); // a restart loses what CONFIG SET changed
      server = await startRedisServer(port, dir);
      await until(
        async () =>
          (await redisCli(port, 'CONFIG', 'GET', 'notify-keyspace-events')).includes('E') &&
          (await redisCli(port, 'PUBSUB', 'NUMSUB', EXPIRY_CHANNEL)).endsWith('1'),
        'the setting turned on again and the subscriber back',
      );
      await create(store, 'after-restart');
      await until(() => reports.length > 0, 'the report after the restart');
      expect(reports.map((report) => report.key)).toEqual(['after-restart']);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining(
          'sessions that expired while the subscriber was disconnected were not reported',
        ),
      );
    } finally {
      stop();
      warn.mockRestore();
      log.mockRestore();
      await server.stop();
    }
  }, 30_000);

  it('rejects an unknown expiryEvents value', () => {
    expect(() => new RedisSessionStore({ expiryEvents: 'yes' as 'enable' })).toThrow(
      "RedisSessionStore: expiryEvents must be 'if-enabled', 'enable' or 'off' (got \"yes\")",
    );
  });
});
