import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Cluster, Command, Redis } from 'ioredis';
import { RedisSessionStore } from '../../../src/stores/redis/redis-session-store.js';
import type { SessionMetadata } from '../../../src/store/session-record.js';
import { sessionKey } from '../../../src/stores/redis/redis-session-hash.js';
import { userIndexKeys } from '../../../src/stores/redis/redis-user-index.js';

/**
 * The Redis user index's round trips, counted at the client (each command is one round trip to
 * one server): on a standalone server and on a cluster, whose sessions of one user lie in many
 * slots. Registers its tests in the `describe` it is called from.
 */
export function userIndexRoundTrips(open: () => Redis | Cluster, prefix: string): void {
  let client: Redis | Cluster;
  let store: RedisSessionStore;
  const sent: string[] = [];
  const at = Date.now();
  const metadata: SessionMetadata = {
    createdAt: at,
    lastSeenAt: at,
    idleExpiresAt: at + 600_000,
    absoluteExpiresAt: at + 3_600_000,
  };
  const bind = (id: string, userId: string) =>
    store.set(id, {
      mode: 'create',
      metadata,
      set: { a: '1' },
      remove: [],
      owner: { userId, info: { agent: 'test' } },
    });

  beforeAll(async () => {
    client = open();
    const send = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
    (client as { sendCommand: (...args: unknown[]) => unknown }).sendCommand = (...args) => {
      sent.push((args[0] as Command).name.toLowerCase());
      return send(...args);
    };
    store = new RedisSessionStore({ client, prefix });
    // Warm up every script (the first run of one may need an EVAL after NOSCRIPT).
    const id = randomUUID();
    await bind(id, 'warm-up');
    await store.touch(id, { lastSeenAt: at + 1, idleExpiresAt: at + 600_000 });
    await store.set(id, { mode: 'update', metadata, set: { a: '2' }, remove: [] });
    await store.listForUser('warm-up');
    await store.destroyForUser('warm-up');
    await store.destroy(randomUUID());
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    client?.disconnect();
  });

  async function commandsOf(work: () => Promise<unknown>): Promise<string[]> {
    sent.length = 0;
    await work();
    return [...sent];
  }

  it('lists 10,000 sessions of 1,000 users in one command per user', async () => {
    const users = Array.from({ length: 1_000 }, () => `user-${randomUUID()}`);
    const ids = Array.from({ length: 10_000 }, () => randomUUID());
    for (let start = 0; start < ids.length; start += 500) {
      await Promise.all(
        ids.slice(start, start + 500).map((id, n) => bind(id, users[(start + n) % users.length])),
      );
    }
    const listed: number[] = [];
    const commands = await commandsOf(async () => {
      for (let start = 0; start < users.length; start += 100) {
        const lists = await Promise.all(
          users.slice(start, start + 100).map((user) => store.listForUser(user)),
        );
        listed.push(...lists.map((list) => list.length));
      }
    });
    expect(commands).toHaveLength(users.length);
    expect(new Set(commands)).toEqual(new Set(['evalsha']));
    expect(listed.every((count) => count === 10)).toBe(true);
    for (let start = 0; start < users.length; start += 100) {
      await Promise.all(users.slice(start, start + 100).map((user) => store.destroyForUser(user)));
    }
  }, 180_000);

  it('a bound session costs one command more per write and touch (its index); an unbound one none', async () => {
    const [bound, loose] = [randomUUID(), randomUUID()];
    expect(await commandsOf(() => bind(bound, `user-${randomUUID()}`))).toEqual([
      'evalsha',
      'evalsha',
    ]);
    const update = (id: string) =>
      store.set(id, { mode: 'update', metadata, set: { a: '3' }, remove: [] });
    const touch = (id: string) =>
      store.touch(id, { lastSeenAt: at + 2, idleExpiresAt: at + 900_000 });
    expect(await commandsOf(() => update(bound))).toEqual(['evalsha', 'evalsha']);
    expect(await commandsOf(() => touch(bound))).toEqual(['evalsha', 'evalsha']);
    expect(
      await commandsOf(() =>
        store.set(loose, { mode: 'create', metadata, set: { a: '1' }, remove: [] }),
      ),
    ).toEqual(['evalsha']);
    expect(await commandsOf(() => update(loose))).toEqual(['evalsha']);
    expect(await commandsOf(() => touch(loose))).toEqual(['evalsha']);
    expect(await commandsOf(() => store.destroy(loose))).toEqual(['evalsha']);
    expect(await commandsOf(() => store.destroy(bound))).toEqual(['evalsha', 'evalsha']);
  });

  it('logs a user out everywhere in one command for the index, one per session, one to prune', async () => {
    const user = `user-${randomUUID()}`;
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) await bind(id, user);
    const commands = await commandsOf(() => store.destroyForUser(user, { except: ids[0] }));
    expect(commands).toEqual(Array.from({ length: 6 }, () => 'evalsha'));
    expect((await store.listForUser(user)).map((entry) => entry.id)).toEqual([ids[0]]);
    await store.destroyForUser(user);
  });

  it("keeps a user's index keys in the user's own slot, whatever slots the sessions are in", async () => {
    const user = `user-${randomUUID()}`;
    const [hash, sorted] = userIndexKeys(prefix, user);
    const slotOf = (key: string) => /\{([^}]+)\}/.exec(key)![1];
    expect(slotOf(hash)).toBe(slotOf(sorted));
    const ids = Array.from({ length: 8 }, () => randomUUID());
    for (const id of ids) await bind(id, user);
    const tags = new Set(ids.map((id) => slotOf(sessionKey(prefix, id))));
    expect(tags.size).toBe(8); // each session under its own hash tag
    expect(await client.exists(hash, sorted)).toBe(2);
    await store.destroyForUser(user);
    expect(await client.exists(hash)).toBe(0); // the index goes with its last member
    expect(await client.exists(sorted)).toBe(0);
  });
}
