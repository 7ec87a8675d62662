import { PostgresSessionStore } from '../../src/stores/postgres/postgres-session-store.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import { DATABASE_URL, describeWithServer } from '../support/servers.js';
import { dropTables, testPool, uniqueName } from './postgres-test-db.js';

// A table of its own per run, dropped afterwards. No TTL of its own besides the record's expiry:
// expired rows are ignored by every read and deleted by the background cleanup.
const table = uniqueName('conformance');

runSessionStoreConformance({
  name: 'postgres',
  describe: await describeWithServer('postgres'),
  create: (clock) =>
    new PostgresSessionStore({ connectionString: DATABASE_URL, table, now: clock.now }),
  destroyAll: async () => {
    const pool = testPool();
    try {
      await dropTables(pool, table);
    } finally {
      await pool.end();
    }
  },
  nativeTtl: false,
  expiryReports: {
    knowsCause: true,
    reap: (store) => (store as PostgresSessionStore).deleteExpired(),
  },
});
