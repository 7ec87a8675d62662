import { MemorySessionStore } from 'nestjs-typed-session';
import { runSessionStoreConformance } from 'nestjs-typed-session/testing';

// The shipped conformance suite under this app's Jest, with Jest's globals as the runner.
runSessionStoreConformance({
  name: 'memory store, from the packed package',
  create: (clock) => new MemorySessionStore({ now: clock.now }),
  nativeTtl: false,
  manySessions: 500,
});
