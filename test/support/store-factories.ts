import { MemorySessionStore, type SessionStore } from '../../src/index.js';

/** A store under test: how to make one, and how to free what it holds afterwards. */
export interface StoreFactory {
  name: string;
  create(): Promise<SessionStore>;
}

export const memoryStore: StoreFactory = {
  name: 'memory',
  create: async () => new MemorySessionStore(),
};
