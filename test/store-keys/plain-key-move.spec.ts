import { describe, expect, it } from '@jest/globals';
import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.js';
import { KeyedSessionStore } from '../../src/store-keys/keyed-session-store.js';
import { PlainKeyMove } from '../../src/store-keys/plain-key-move.js';
import { StoreKey } from '../../src/store-keys/store-key.js';
import { storeKeyHmacKey } from '../../src/options/resolve-store-keys.js';

describe('moving a session from its plain key to its hashed key', () => {
  it('keeps the user binding: the user index lists it under its hashed key only', async () => {
    const inner = new MemorySessionStore();
    const keyed = new KeyedSessionStore(
      inner,
      new StoreKey(storeKeyHmacKey(undefined)),
      new PlainKeyMove(inner, { ttlMs: 30_000, waitMs: 5_000 }),
    );
    const id = 'p'.repeat(43);
    const now = Date.now();
    await inner.set(id, {
      mode: 'create',
      metadata: {
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: now + 60_000,
        absoluteExpiresAt: null,
      },
      set: { cart: '{"items":[]}' },
      remove: [],
      owner: { userId: 'ada', info: { agent: 'test' } },
    });

    const moved = await keyed.get(id);

    expect(moved?.owner).toEqual({ userId: 'ada', info: { agent: 'test' } });
    expect(await inner.get(id)).toBeNull();
    const listed = await keyed.listUserSessions('ada');
    expect(listed.map((entry) => entry.id)).toEqual([keyed.keyOf(id)]);
    expect(listed[0].info).toEqual({ agent: 'test' });
    await inner.close();
  });
});
