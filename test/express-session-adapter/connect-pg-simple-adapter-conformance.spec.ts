import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import { ExpressSessionStoreAdapter } from '../../src/stores/express-session/express-session-store-adapter.js';
import { runSessionStoreConformance } from '../../src/testing/session-store-conformance.js';
import { describeWithServer } from '../support/servers.js';
import { testPool, uniqueName } from '../postgres/postgres-test-db.js';

// A schema of its own per run (connect-pg-simple's index and key names are fixed), dropped
// afterwards. Its TTL is an `expire` column rounded up to whole seconds, too coarse for the
// suite's sub-second TTL test, so it is run as a store without a TTL of its own.
const schemaName = uniqueName('connect_pg_simple');
const pool = testPool();
const PgStore = connectPgSimple(session);

runSessionStoreConformance({
  name: 'express-session adapter over connect-pg-simple',
  describe: await describeWithServer('postgres'),
  create: async (clock) => {
    await pool.query(`CREATE SCHEMA "${schemaName}"`);
    const store = new PgStore({
      pool,
      schemaName,
      createTableIfMissing: true,
      pruneSessionInterval: false,
    });
    return new ExpressSessionStoreAdapter(store, { now: clock.now });
  },
  destroyAll: async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`);
    await pool.end();
  },
  nativeTtl: false,
  manySessions: 2_000,
});
