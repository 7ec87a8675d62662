import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.js';
import { KeyedSessionStore } from '../../src/store-keys/keyed-session-store.js';
import { PlainKeyMove } from '../../src/store-keys/plain-key-move.js';
import { StoreKey } from '../../src/store-keys/store-key.js';
import { storeKeyHmacKey } from '../../src/options/resolve-store-keys.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';

// The engine's view of a store, by session id, keeps every promise of the store contract: hashing
// the keys (and reading plain keys during a migration) changes nothing a caller can see.
runSessionStoreConformance({
  name: 'memory seen through hashed keys',
  create: (clock) =>
    new KeyedSessionStore(
      new MemorySessionStore({ now: clock.now }),
      new StoreKey(storeKeyHmacKey(undefined)),
    ),
  nativeTtl: false,
  manySessions: 2_000,
});

runSessionStoreConformance({
  name: 'memory seen through hashed keys, migrating from plain keys',
  create: (clock) => {
    const inner = new MemorySessionStore({ now: clock.now });
    return new KeyedSessionStore(
      inner,
      new StoreKey(storeKeyHmacKey('s'.repeat(32))),
      new PlainKeyMove(inner, { ttlMs: 30_000, waitMs: 5_000 }),
    );
  },
  nativeTtl: false,
  manySessions: 2_000,
});
