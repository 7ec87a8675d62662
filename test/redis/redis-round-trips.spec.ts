import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis, type Command } from 'ioredis';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import type { SessionMetadata } from '../../src/store/session-record.js';
import { describeWithServer, REDIS_URL } from '../support/servers.js';
import { deleteKeys } from './support/redis-keys.js';

const describeRedis = await describeWithServer('redis');
const prefix = `test:round-trips:${randomUUID()}:`;

describeRedis('RedisSessionStore round trips', () => {
  let client: Redis;
  let store: RedisSessionStore;
  /** Names of the commands the client sent: each is one round trip to the server. */
  const sent: string[] = [];
  const at = Date.now();
  const metadata: SessionMetadata = {
    createdAt: at,
    lastSeenAt: at,
    idleExpiresAt: at + 60_000,
    absoluteExpiresAt: at + 3_600_000,
  };

  beforeAll(async () => {
    client = new Redis(REDIS_URL);
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command: Command, ...rest: unknown[]) => {
      sent.push(command.name.toLowerCase());
      return send(command, ...(rest as []));
    };
    store = new RedisSessionStore({ client, prefix });
    // Warm up: the first run of a script may need an EVAL after EVALSHA answers NOSCRIPT.
    const id = randomUUID();
    await store.set(id, { mode: 'create', metadata, set: { a: '1' }, remove: [] });
    await store.touch(id, { lastSeenAt: at, idleExpiresAt: at + 60_000 });
    await store.releaseLock(id, 'none');
  });
  afterAll(async () => {
    await store?.close();
    await deleteKeys(client, prefix);
    await client.quit();
  });

  async function commandsOf(work: () => Promise<unknown>): Promise<string[]> {
    sent.length = 0;
    await work();
    return [...sent];
  }

  it('reads in one command, commits in one, touches in one', async () => {
    const id = randomUUID();
    const commit = () =>
      store.set(id, {
        mode: 'create',
        metadata,
        set: { a: '1', b: '2', c: '"three"' },
        remove: ['d'],
        expectRevisions: { a: 0 },
      });
    expect(await commandsOf(commit)).toEqual(['evalsha']);
    expect(await commandsOf(() => store.get(id))).toEqual(['hgetall']);
    const touch = () => store.touch(id, { lastSeenAt: at + 1, idleExpiresAt: at + 120_000 });
    expect(await commandsOf(touch)).toEqual(['evalsha']);
    // One script: it deletes the hash and its lock and answers the user binding (none here).
    expect(await commandsOf(() => store.destroy(id))).toEqual(['evalsha']);
  });

  it('takes a free lock in one command and releases it in one', async () => {
    const id = randomUUID();
    let token: string | null = null;
    const acquire = async () => {
      token = await store.acquireLock(id, { ttlMs: 5_000, waitMs: 1_000 });
    };
    expect(await commandsOf(acquire)).toEqual(['set']);
    expect(await commandsOf(() => store.releaseLock(id, token!))).toEqual(['evalsha']);
  });

  it('is seen by the server as one command per read, commit and touch (MONITOR)', async () => {
    const id = randomUUID();
    const monitor = await client.monitor(); // a connection of its own
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands a script runs are reported with source 'lua'; count only what clients sent.
      if (source !== 'lua' && args.some((arg) => arg.includes(id))) seen.push(args[0]!);
    });
    try {
      await store.set(id, { mode: 'create', metadata, set: { a: '1' }, remove: [] });
      await store.get(id);
      await store.touch(id, { lastSeenAt: at + 1, idleExpiresAt: at + 120_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.map((name) => name.toLowerCase())).toEqual(['evalsha', 'hgetall', 'evalsha']);
    } finally {
      monitor.disconnect();
    }
  });

  it.each([
    ['RESP3 with resp3 reply mapping', { replyMapping: 'resp3' as const }],
    ['RESP2', { protocol: 2 as const }],
  ])('works with a client it was given speaking %s', async (_name, options) => {
    const other = new Redis(REDIS_URL, options);
    const own = new RedisSessionStore({ client: other, prefix });
    try {
      const id = randomUUID();
      await own.set(id, { mode: 'create', metadata, set: { a: '1', b: '2' }, remove: [] });
      await own.touch(id, { lastSeenAt: at + 1, idleExpiresAt: at + 120_000 });
      const stale = { mode: 'update' as const, metadata, set: { a: '3' }, remove: [] };
      expect(await own.set(id, { ...stale, expectRevisions: { a: 0, b: 1 } })).toEqual({
        status: 'conflict',
        namespaces: ['a'],
      });
      expect(await own.get(id)).toEqual({
        metadata: { ...metadata, lastSeenAt: at + 1, idleExpiresAt: at + 120_000 },
        data: { a: '1', b: '2' },
        revisions: { a: 1, b: 1 },
      });
    } finally {
      await own.close();
      await other.quit();
    }
  });

  it('stores namespace text through its serializer, and only namespace text', async () => {
    const base64 = {
      encode: (json: string) => Buffer.from(json).toString('base64'),
      decode: (stored: string) => Buffer.from(stored, 'base64').toString(),
    };
    const own = new RedisSessionStore({ client, prefix, serializer: base64 });
    const id = randomUUID();
    const cart = JSON.stringify({ items: ['🛒'] });
    await own.set(id, { mode: 'create', metadata, set: { cart }, remove: [] });
    const raw = await client.hgetall(`${prefix}{${id}}`);
    expect(raw['d:cart']).toBe(base64.encode(cart));
    expect(raw['_i']).toBe(String(metadata.idleExpiresAt));
    expect((await own.get(id))?.data).toEqual({ cart });
    await own.close();
  });

  it('commits 5,000 namespaces in one command, every one with its revision', async () => {
    // The commit script writes its fields in pieces: one HSET of them all would pass Lua's
    // limit on unpacked arguments.
    const id = randomUUID();
    const set = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`ns${i}`, `${i}`]));
    expect(
      await commandsOf(() => store.set(id, { mode: 'create', metadata, set, remove: [] })),
    ).toEqual(['evalsha']);
    const stored = await store.get(id);
    expect(stored?.data).toEqual(set);
    expect(Object.values(stored!.revisions)).toEqual(Array(5_000).fill(1));
    await store.set(id, { mode: 'update', metadata, set: { ns0: 'again' }, remove: ['ns1'] });
    const after = await store.get(id);
    expect(after?.revisions).toMatchObject({ ns0: 2, ns1: 2, ns2: 1 });
    expect(after?.data.ns1).toBeUndefined();
  });

  it('rejects times that are not finite before sending anything', async () => {
    const id = randomUUID();
    const write = {
      mode: 'create' as const,
      metadata: { ...metadata, idleExpiresAt: Number.POSITIVE_INFINITY },
      set: {},
      remove: [],
    };
    expect(await commandsOf(() => expect(store.set(id, write)).rejects.toThrow(/finite/))).toEqual(
      [],
    );
  });

  it('leaves a client it was given open when it closes', async () => {
    const own = new RedisSessionStore({ client, prefix });
    await own.get(randomUUID());
    await own.close();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
  });
});
