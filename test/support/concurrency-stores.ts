import { serverAvailable } from './servers.js';
import { memoryStore, postgresStore, redisStore, type StoreFactory } from './store-factories.js';

/** Every store the concurrency guarantees are proven on (those whose server answers). */
export async function concurrencyStores(): Promise<StoreFactory[]> {
  const stores = [memoryStore()];
  if (await serverAvailable('redis')) stores.push(redisStore());
  if (await serverAvailable('postgres')) stores.push(postgresStore());
  return stores;
}
