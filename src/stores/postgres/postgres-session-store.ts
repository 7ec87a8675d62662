import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { SessionStore } from '../../store/session-store.js';
import {
  expiresAt,
  type SessionLockRequest,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
  movedNamespaces,
} from '../../store/session-record.js';
import {
  expiryCause,
  StoreExpiryListeners,
  type StoreExpiryListener,
} from '../../store/session-expiry.js';
import { pollForLock } from '../../store/lock-polling.js';
import type { DestroyForUserOptions, UserSessionEntry } from '../../store/user-session-entry.js';
import type { JsonValue } from '../../store/json-value.js';
import { CorruptSessionRecordError, SessionStoreError } from '../../store/session-store-error.js';
import { postgresNotSentError, postgresStoreError } from './postgres-store-errors.js';
import { PostgresSessionSql, type NamedStatement } from './postgres-session-sql.js';

/**
 * What the store needs of a `pg.Pool`; any `pg.Pool` fits. Declared here rather than imported
 * from pg so that the package's type declarations work for apps that do not install pg.
 */
export interface PostgresPool {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  query(text: string): Promise<{ rows: unknown[] }>;
}

export interface PostgresSessionStoreOptions {
  /**
   * A pool you own: the store only queries it, and `close()` leaves it open. Give it an
   * `'error'` listener and timeouts of your own. Without it the store creates (and owns) a pool
   * from `connectionString` / `poolConfig`.
   */
  pool?: PostgresPool;
  /** For the pool the store creates. */
  connectionString?: string;
  /**
   * pg `PoolConfig` for the pool the store creates (typed loosely so the declarations do not need
   * pg; passed to it as it is). Defaults added unless you set them: a 2 s connection
   * timeout, a 1.5 s statement timeout and a 2 s query timeout (a dead server makes calls fail
   * fast instead of hanging), TCP keep-alive, and `nestjs-typed-session` as the application name.
   */
  poolConfig?: object;
  /** Default `'public'`. Must exist. */
  schema?: string;
  /** Default `'sessions'`; locks go in `<table>_locks`. Both are created on first use. */
  table?: string;
  /** How often expired rows are deleted, in ms. Default 60,000; 0 turns it off. */
  cleanupIntervalMs?: number;
  /** The clock, in epoch ms, that expiry is checked against. Default `Date.now`. */
  now?: () => number;
}

interface SessionRow extends QueryResultRow {
  // JSONB, so whatever JSON a hand edit left there: checked by `readSessionRow`.
  data: unknown;
  revisions: unknown;
  // bigint comes back as text: pg does not assume it fits a JS number.
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  absolute_expires_at: string | null;
  user_id?: string | null;
  user_info?: unknown;
}

interface UserSessionRow extends QueryResultRow {
  id: string;
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  absolute_expires_at: string | null;
  user_info: unknown;
}

interface UpdateRow extends QueryResultRow {
  written: boolean;
  revisions: Record<string, number> | null;
}

interface ExpiredRow extends QueryResultRow {
  id: string;
  idle_expires_at: string;
  absolute_expires_at: string | null;
}

interface DestroyIfUnchangedRow extends QueryResultRow {
  destroyed: boolean;
  live: boolean;
}

/** Rows deleted per statement by the background cleanup. */
const CLEANUP_BATCH = 1_000;
/** PostgreSQL's "relation does not exist": someone dropped the table; create it again. */
const UNDEFINED_TABLE = '42P01';

/**
 * Sessions in one PostgreSQL table (see `PostgresSessionSql` for the layout). Every read, commit
 * and touch is a single statement, so a single round trip; partial writes merge at the top level
 * of a JSONB column, atomically, so concurrent commits to different namespaces both survive.
 * Expired rows are ignored by every read and deleted in the background. Locks are rows with a
 * lifetime in a second table, so a crashed holder frees its lock by time alone and no pooled
 * connection is tied up while one is held.
 *
 * `pg` is an optional peer dependency: it is only loaded when the store creates its own pool.
 */
export class PostgresSessionStore extends SessionStore {
  private readonly logger = new Logger('PostgresSessionStore');
  private readonly sql: PostgresSessionSql;
  private readonly now: () => number;
  private readonly ownsPool: boolean;
  private pool: Promise<Pool> | undefined;
  private tableReady: Promise<void> | undefined;
  private tableCreated = false;
  private timer: NodeJS.Timeout | undefined;
  private cleanup: Promise<number> | undefined;
  private closed = false;
  private readonly expiries = new StoreExpiryListeners('PostgresSessionStore');

  constructor(private readonly options: PostgresSessionStoreOptions = {}) {
    super();
    this.sql = new PostgresSessionSql(options.schema ?? 'public', options.table ?? 'sessions');
    this.now = options.now ?? Date.now;
    if (options.pool && (options.connectionString || options.poolConfig)) {
      throw new Error('PostgresSessionStore: give either pool or connectionString/poolConfig');
    }
    this.ownsPool = options.pool === undefined;
    // Typed structurally in the options (no pg in the declarations); it is a pg Pool.
    if (options.pool) this.pool = Promise.resolve(options.pool as unknown as Pool);
    const interval = options.cleanupIntervalMs ?? 60_000;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new Error('PostgresSessionStore: cleanupIntervalMs must be 0 or a positive number');
    }
    if (interval > 0) {
      this.timer = setInterval(() => void this.cleanupInBackground(), interval);
      this.timer.unref();
    }
  }

  async get(id: string): Promise<StoredSession | null> {
    const { rows } = await this.run<SessionRow>(this.sql.get, [id, this.now()]);
    const row = rows[0];
    return row ? readSessionRow(row) : null;
  }

  async set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    const { metadata } = write;
    const times = [
      metadata.createdAt,
      metadata.lastSeenAt,
      metadata.idleExpiresAt,
      metadata.absoluteExpiresAt,
      expiresAt(metadata),
    ];
    if (write.mode === 'create') {
      // Nothing exists under a fresh id, so every expected revision must be 0.
      const moved = movedNamespaces({}, write.expectRevisions);
      if (moved.length > 0) return { status: 'conflict', namespaces: moved };
      const revisions = Object.fromEntries(Object.keys(write.set).map((key) => [key, 1]));
      await this.run(this.sql.insert, [
        id,
        JSON.stringify(write.set),
        JSON.stringify(revisions),
        ...times,
        write.owner?.userId ?? null,
        write.owner ? JSON.stringify(write.owner.info) : null,
      ]);
      return { status: 'ok' };
    }
    const binding = [
      write.owner !== undefined,
      write.owner?.userId ?? null,
      write.owner ? JSON.stringify(write.owner.info) : null,
    ];
    const now = this.now();
    const changed = JSON.stringify(write.set);
    if (!write.expectRevisions || Object.keys(write.expectRevisions).length === 0) {
      const values = [id, now, changed, write.remove, ...times, ...binding];
      const { rows } = await this.run<UpdateRow>(this.sql.updateUnchecked, values);
      return rows[0]?.written ? { status: 'ok' } : { status: 'missing' };
    }
    const expected = JSON.stringify(write.expectRevisions);
    const values = [id, now, changed, write.remove, expected, ...times, ...binding];
    // One round trip answers ok, missing or conflict. Only if a concurrent writer changed the
    // row between the statement's two parts without leaving a visible conflict (a race the
    // statement's row lock makes very unlikely) is it sent again; nothing was written then.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.run<UpdateRow>(this.sql.update, values);
      const row = rows[0];
      if (row?.written) return { status: 'ok' };
      if (!row?.revisions) return { status: 'missing' };
      const moved = movedNamespaces(row.revisions, write.expectRevisions);
      if (moved.length > 0) return { status: 'conflict', namespaces: moved };
    }
    throw new SessionStoreError(
      'PostgresSessionStore: the write kept racing with other writers; nothing was written',
      'not-applied',
    );
  }

  async destroy(id: string): Promise<void> {
    await this.run(this.sql.destroy, [id]);
  }

  async destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'> {
    const { rows } = await this.run<DestroyIfUnchangedRow>(this.sql.destroyIfUnchanged, [
      id,
      this.now(),
      JSON.stringify(revisions),
    ]);
    const row = rows[0];
    if (row?.destroyed) return 'destroyed';
    return row?.live ? 'changed' : 'missing';
  }

  override async listForUser(userId: string): Promise<UserSessionEntry[]> {
    const { rows } = await this.run<UserSessionRow>(this.sql.listForUser, [userId, this.now()]);
    return rows.map((row) => ({
      id: row.id,
      metadata: readMetadata(row),
      info: isPlainObject(row.user_info) ? (row.user_info as Record<string, JsonValue>) : {},
    }));
  }

  override async destroyForUser(
    userId: string,
    options: DestroyForUserOptions = {},
  ): Promise<string[]> {
    const { rows } = await this.run<{ id: string; live: boolean }>(this.sql.destroyForUser, [
      userId,
      options.except ?? null,
      this.now(),
    ]);
    return rows.filter((row) => row.live).map((row) => row.id);
  }

  async touch(id: string, touch: SessionTouch): Promise<void> {
    await this.run(this.sql.touch, [id, this.now(), touch.lastSeenAt, touch.idleExpiresAt]);
  }

  /**
   * Takes the lock row, polling with a growing pause until `waitMs` has passed. Lock lifetimes
   * are measured on the database server's clock, which every process shares.
   */
  override async acquireLock(
    id: string,
    { ttlMs, waitMs }: SessionLockRequest,
  ): Promise<string | null> {
    const token = randomUUID();
    const take = async () =>
      (await this.run(this.sql.acquireLock, [id, token, ttlMs])).rowCount === 1;
    return (await pollForLock(take, waitMs, () => this.closed)) ? token : null;
  }

  override async releaseLock(id: string, token: string): Promise<void> {
    await this.run(this.sql.releaseLock, [id, token]);
  }

  /**
   * Delete every session whose expiry has passed (and every lock past its lifetime); returns the
   * number of sessions deleted. Runs on the background timer; callable by hand (tests, cron).
   */
  async deleteExpired(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const now = this.now();
      const { rows } = await this.run<ExpiredRow>(this.sql.deleteExpired, [now, CLEANUP_BATCH]);
      deleted += rows.length;
      if (this.expiries.listening) this.reportExpired(rows, now);
      if (rows.length < CLEANUP_BATCH || this.closed) break;
    }
    if (!this.closed) await this.run(this.sql.deleteExpiredLocks, []);
    return deleted;
  }

  /**
   * Reports each session its cleanup deletes (`deleteExpired`, on the timer or by hand), when
   * it deletes it: so up to `cleanupIntervalMs` after the session expired. With several
   * processes on one table, each expired row is reported by the one process that deleted it.
   */
  override onExpired(listener: StoreExpiryListener): () => void {
    return this.expiries.add(listener);
  }

  /** Stops the cleanup timer and ends the pool if the store created it (never one passed in). */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await super.close();
    await this.cleanup?.catch(() => undefined);
    if (this.ownsPool && this.pool) {
      const pool = await this.pool.catch(() => undefined);
      await pool?.end();
    }
  }

  private reportExpired(rows: ExpiredRow[], at: number): void {
    for (const row of rows) {
      const cause = expiryCause({
        idleExpiresAt: Number(row.idle_expires_at),
        absoluteExpiresAt:
          row.absolute_expires_at === null ? null : Number(row.absolute_expires_at),
      });
      this.expiries.report({ key: row.id, cause, at });
    }
  }

  private async cleanupInBackground(): Promise<void> {
    // Only once this process has used the table: a timer should not be what creates it.
    if (this.cleanup || this.closed || !this.tableCreated) return;
    this.cleanup = this.deleteExpired();
    try {
      await this.cleanup;
    } catch (error) {
      this.logger.warn(`deleting expired sessions failed: ${describe(error)}`);
    } finally {
      this.cleanup = undefined;
    }
  }

  /**
   * One statement, after the table exists. Any error rejects, as a `SessionStoreError` that
   * says whether the statement may have been applied (see `postgresStoreError`).
   */
  private async run<Row extends QueryResultRow>(statement: NamedStatement, values: unknown[]) {
    let pool: Pool;
    try {
      if (this.closed) throw new Error('the store is closed');
      await this.ensureTable();
      pool = await this.getPool();
    } catch (error) {
      // Whatever went wrong (no connection, the table creation failed), this statement was not
      // sent.
      throw postgresNotSentError(error);
    }
    try {
      return await pool.query<Row>({ name: statement.name, text: statement.text, values });
    } catch (error) {
      if (isPgError(error, UNDEFINED_TABLE)) this.forgetTable();
      throw postgresStoreError(error);
    }
  }

  /**
   * Creates the tables once. Concurrent first calls share one attempt; a failed attempt is
   * forgotten so the next call tries again.
   */
  private ensureTable(): Promise<void> {
    this.tableReady ??= this.createTable().then(
      () => {
        this.tableCreated = true;
      },
      (error: unknown) => {
        this.tableReady = undefined;
        throw error;
      },
    );
    return this.tableReady;
  }

  private async createTable(): Promise<void> {
    const pool = await this.getPool();
    const { rows } = await pool.query<{ ready: boolean }>(this.sql.exists);
    if (!rows[0]?.ready) await pool.query(this.sql.ddl);
  }

  private forgetTable(): void {
    this.tableReady = undefined;
    this.tableCreated = false;
  }

  private getPool(): Promise<Pool> {
    this.pool ??= this.createPool().catch((error: unknown) => {
      this.pool = undefined;
      throw error;
    });
    return this.pool;
  }

  private async createPool(): Promise<Pool> {
    // Loaded only here, so that applications without pg can import the package.
    const { Pool } = await import('pg');
    const { connectionString, poolConfig } = this.options;
    const pool = new Pool({
      connectionTimeoutMillis: 2_000,
      statement_timeout: 1_500,
      query_timeout: 2_000,
      keepAlive: true,
      fallback_application_name: 'nestjs-typed-session',
      ...poolConfig,
      ...(connectionString === undefined ? {} : { connectionString }),
    });
    // An idle client whose connection dies emits 'error' on the pool; unheard, that would crash
    // the process. The pool has already discarded the client, so logging is all there is to do.
    pool.on('error', (error) => {
      this.logger.warn(`an idle PostgreSQL connection failed: ${describe(error)}`);
    });
    return pool;
  }
}

/**
 * A row as a session. `data` must be an object of JSON texts and `revisions` an object of whole
 * numbers; anything else (a string, an array, JSON null) throws `CorruptSessionRecordError`
 * rather than passing array indexes off as namespaces.
 */
function readSessionRow(row: SessionRow): StoredSession {
  const { data, revisions } = row;
  if (!isPlainObject(data) || !Object.values(data).every((text) => typeof text === 'string')) {
    throw new CorruptSessionRecordError('data is not an object of JSON texts');
  }
  if (
    !isPlainObject(revisions) ||
    !Object.values(revisions).every(
      (revision) => Number.isSafeInteger(revision) && (revision as number) >= 0,
    )
  ) {
    throw new CorruptSessionRecordError('revisions is not an object of whole numbers');
  }
  const session: StoredSession = {
    metadata: readMetadata(row),
    data: data as Record<string, string>,
    revisions: revisions as Record<string, number>,
  };
  if (typeof row.user_id === 'string') {
    session.owner = {
      userId: row.user_id,
      info: isPlainObject(row.user_info) ? (row.user_info as Record<string, JsonValue>) : {},
    };
  }
  return session;
}

function readMetadata(row: Omit<SessionRow, 'data' | 'revisions'>) {
  return {
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    idleExpiresAt: Number(row.idle_expires_at),
    absoluteExpiresAt: row.absolute_expires_at === null ? null : Number(row.absolute_expires_at),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPgError(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
