import type { Redis } from 'ioredis';

/** Delete every key under `prefix` (tests only: SCAN never runs on the store's request path). */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    // One key per DEL: keys of different sessions may live in different cluster slots.
    for (const key of keys) deleted += await client.del(key);
  } while (cursor !== '0');
  return deleted;
}
