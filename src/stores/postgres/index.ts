// `nestjs-typed-session/postgres`: the PostgreSQL store (pg, an optional peer, loaded on first use).
export {
  PostgresSessionStore,
  type PostgresPool,
  type PostgresSessionStoreOptions,
} from './postgres-session-store.js';
