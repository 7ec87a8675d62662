import session from 'express-session';
import { ExpressSessionStoreAdapter } from '../../src/stores/express-session/express-session-store-adapter.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';

// express-session's own MemoryStore drops a session once `cookie.expires` has passed by the wall
// clock: a TTL of its own, which the adapter sets from the record's expiry.
runSessionStoreConformance({
  name: 'express-session adapter over express-session MemoryStore',
  create: (clock) => new ExpressSessionStoreAdapter(new session.MemoryStore(), { now: clock.now }),
  nativeTtl: true,
});
