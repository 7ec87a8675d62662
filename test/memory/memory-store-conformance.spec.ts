import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';

runSessionStoreConformance({
  name: 'memory',
  create: (clock) => new MemorySessionStore({ now: clock.now }),
  nativeTtl: false,
  expiryReports: { knowsCause: true, reap: (store) => (store as MemorySessionStore).sweep() },
});
