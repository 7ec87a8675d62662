import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { CorruptSessionRecordError } from '../../src/store/session-store-error.js';
import { describeWithServer, REDIS_URL } from '../support/servers.js';
import { deleteKeys } from './support/redis-keys.js';

const describeRedis = await describeWithServer('redis');
const prefix = `test:corrupt:${randomUUID()}:`;

describeRedis('RedisSessionStore on a hash it cannot read as a session', () => {
  let client: Redis;
  let store: RedisSessionStore;
  const at = Date.now();
  /** A well-formed record's fields, for one test to spoil. */
  const sound = (): Record<string, string> => ({
    _c: String(at),
    _l: String(at),
    _i: String(at + 60_000),
    _a: '',
    'd:cart': '{"items":[]}',
    'r:cart': '1',
  });
  const put = async (fields: Record<string, string>) => {
    const id = randomUUID();
    const key = `${prefix}{${id}}`;
    await client.hset(key, fields);
    await client.pexpire(key, 60_000);
    return { id, key };
  };

  beforeAll(() => {
    client = new Redis(REDIS_URL);
    store = new RedisSessionStore({ client, prefix });
  });
  afterAll(async () => {
    await store?.close();
    await deleteKeys(client, prefix);
    await client.quit();
  });

  it('reads the well-formed control record (the spoiled ones below differ in one field)', async () => {
    const { id } = await put(sound());
    expect((await store.get(id))?.data).toEqual({ cart: '{"items":[]}' });
  });

  it.each([
    ['an idle expiry that is not a number (_i=abc)', { _i: 'abc' }],
    ['an empty idle expiry', { _i: '' }],
    ['an absolute expiry that is not a number', { _a: 'never' }],
    ['a created-at that is not a number', { _c: 'yesterday' }],
    ['a last-seen that is infinite', { _l: 'inf' }],
    ['a revision that is not a whole number', { 'r:cart': 'x' }],
  ])('rejects get with CorruptSessionRecordError for %s, never a NaN expiry', async (_, spoil) => {
    const { id } = await put({ ...sound(), ...spoil });
    await expect(store.get(id)).rejects.toBeInstanceOf(CorruptSessionRecordError);
  });

  it('rejects get for a hash holding data but no metadata at all', async () => {
    const { id } = await put({ 'd:cart': '{}', 'r:cart': '1' });
    await expect(store.get(id)).rejects.toBeInstanceOf(CorruptSessionRecordError);
  });

  it('rejects get when the serializer cannot decode a value', async () => {
    const strict = new RedisSessionStore({
      client,
      prefix,
      serializer: {
        encode: (text) => text,
        decode: () => {
          throw new Error('bad ciphertext');
        },
      },
    });
    const { id } = await put(sound());
    await expect(strict.get(id)).rejects.toThrow(CorruptSessionRecordError);
  });

  it('never keeps a record with a corrupt expiry alive: update is missing, touch and compare-and-delete do nothing', async () => {
    const { id, key } = await put({ ...sound(), _i: 'abc' });
    const ttl = await client.pttl(key);
    expect(
      await store.set(id, {
        mode: 'update',
        metadata: {
          createdAt: at,
          lastSeenAt: at,
          idleExpiresAt: at + 3_600_000,
          absoluteExpiresAt: null,
        },
        set: { cart: '{}' },
        remove: [],
      }),
    ).toEqual({ status: 'missing' });
    await store.touch(id, { lastSeenAt: Date.now(), idleExpiresAt: Date.now() + 3_600_000 });
    expect(await store.destroyIfUnchanged(id, { cart: 1 })).toBe('missing');
    expect(await client.hget(key, '_i')).toBe('abc');
    expect(await client.pttl(key)).toBeLessThanOrEqual(ttl); // its TTL was not extended
  });
});
