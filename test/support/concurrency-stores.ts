import { memoryStore, type StoreFactory } from './store-factories.js';

/** Every store the concurrency guarantees are proven on. */
export async function concurrencyStores(): Promise<StoreFactory[]> {
  return [memoryStore];
}
