import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.js';
import { runSessionStoreConformance } from '../conformance/session-store-conformance.js';

runSessionStoreConformance({
  name: 'memory',
  create: (clock) => new MemorySessionStore({ now: clock.now }),
  nativeTtl: false,
});
