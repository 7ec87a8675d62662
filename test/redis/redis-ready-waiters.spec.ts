import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { sparePort } from './support/redis-processes.js';

/** Calls made at once while the server is unreachable (the chaos run's 50 connections). */
const WAITING_CALLS = 40;

let store: RedisSessionStore | undefined;
afterAll(() => store?.close());

/** The client the store opened (a private field: this test is about what hangs off it). */
async function clientOf(of: RedisSessionStore): Promise<Redis> {
  return (of as unknown as { client: Promise<Redis> }).client;
}

it('calls waiting for an unreachable Redis share one ready listener: no listener per call (no MaxListeners warning in an outage), none left after', async () => {
  // Nothing listens on this port: every call waits for a connection that never comes.
  store = new RedisSessionStore({ url: `redis://127.0.0.1:${await sparePort()}` });
  expect(await store.get(randomUUID()).catch(() => 'rejected')).toBe('rejected');
  const client = await clientOf(store);
  const idle = client.listenerCount('ready');

  const calls = Array.from({ length: WAITING_CALLS }, () =>
    store!.get(randomUUID()).catch(() => 'rejected'),
  );
  // All of them are waiting now (each gives up after about a second).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const waiting = client.listenerCount('ready');
  expect(await Promise.all(calls)).toEqual(calls.map(() => 'rejected'));

  // Past its limit (10) Node would warn of a possible leak on every outage.
  expect(waiting).toBeLessThanOrEqual(Math.min(idle + 1, client.getMaxListeners()));
  expect(client.listenerCount('ready')).toBeLessThanOrEqual(idle);
});
