import pg from 'pg';
import { DATABASE_URL } from '../support/servers.js';

/** A table name no other run (or parallel Jest worker) uses, so runs never see each other's rows. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
}

/** A pool for the tests' own look at the database (and for stores that are handed a pool). */
export function testPool(applicationName = 'nestjs-typed-session-tests'): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, application_name: applicationName });
  pool.on('error', () => undefined); // terminated on purpose by the fault tests
  return pool;
}

/** Drop a store's two tables. */
export async function dropTables(pool: pg.Pool, table: string, schema = 'public'): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS "${schema}"."${table}", "${schema}"."${table}_locks"`);
}

/**
 * Wraps `pool.query` so a test can count the statements the store actually sends: each call is
 * one round trip.
 */
export function countQueries(pool: pg.Pool): { count: () => number; reset: () => void } {
  let sent = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
    sent++;
    return query(...args);
  };
  return { count: () => sent, reset: () => (sent = 0) };
}
