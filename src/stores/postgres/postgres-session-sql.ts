import { createHash } from 'node:crypto';

/** A statement with a stable name, so that each pooled connection parses and plans it once. */
export interface NamedStatement {
  name: string;
  text: string;
}

/**
 * Plain identifiers only (letters, digits, underscores), so a name from configuration can never
 * smuggle SQL in; they are double-quoted as well, which keeps their case. The table name is kept
 * short enough that the names derived from it (`<table>_locks`, `<table>_expires_at_idx`) stay
 * within PostgreSQL's 63-byte limit instead of being silently truncated.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_SCHEMA_LENGTH = 63;
const MAX_TABLE_LENGTH = 48;

function identifier(kind: string, value: string, maxLength: number): string {
  if (!IDENTIFIER.test(value) || value.length > maxLength) {
    throw new Error(
      `PostgresSessionStore: ${kind} must be letters, digits and underscores, not starting with ` +
        `a digit, at most ${maxLength} characters (got ${JSON.stringify(value)})`,
    );
  }
  return `"${value}"`;
}

/**
 * A row that writes may build on: besides being live, its `data` and `revisions` are objects. A
 * row a hand edit left otherwise is corrupt (a read rejects it); like a missing one, it is never
 * updated, touched or compare-and-deleted, so it cannot be kept alive, and it expires.
 */
function readable(alias: string): string {
  return `jsonb_typeof(${alias}.data) = 'object' AND jsonb_typeof(${alias}.revisions) = 'object'`;
}

/**
 * The assignments of a partial write, given the positions of its parameters: the changed
 * namespaces (a JSONB object of JSON texts), the removed ones (text[]), then the four metadata
 * times, `expires_at`, whether the binding changes, `user_id` and `user_info`. Revisions are
 * raised for every namespace set and every namespace removed that existed.
 */
function partialWrite(at: { changed: number; removed: number; metadata: number }): string {
  const changed = `$${at.changed}::jsonb`;
  const removed = `$${at.removed}::text[]`;
  const [created, lastSeen, idle, absolute, expires, bind, userId, userInfo] = Array.from(
    { length: 8 },
    (_, i) => `$${at.metadata + i}`,
  );
  return `
          data = (s.data - ${removed}) || ${changed},
          revisions = s.revisions || COALESCE((
            SELECT jsonb_object_agg(k.key, COALESCE((s.revisions ->> k.key)::bigint, 0) + 1)
            FROM (
              SELECT jsonb_object_keys(${changed}) AS key
              UNION
              SELECT r FROM unnest(${removed}) AS r WHERE s.data ? r
            ) AS k
          ), '{}'::jsonb),
          created_at = ${created}, last_seen_at = ${lastSeen}, idle_expires_at = ${idle},
          absolute_expires_at = ${absolute}, expires_at = ${expires},
          user_id = CASE WHEN ${bind}::boolean THEN ${userId}::text ELSE s.user_id END,
          user_info = CASE WHEN ${bind}::boolean THEN ${userInfo}::jsonb ELSE s.user_info END`;
}

function named(text: string): NamedStatement {
  // Named after the text itself: two stores on one pool with different tables never collide.
  const hash = createHash('sha1').update(text).digest('hex').slice(0, 16);
  return { name: `nts_${hash}`, text };
}

/**
 * Every statement the PostgreSQL store sends, for one schema and table.
 *
 * Layout: one row per session. `data` is a JSONB object whose values are JSON *strings* holding
 * each namespace's exact JSON text. Kept that way because the contract hands namespaces around as
 * text: a JSONB value would come back re-formatted (keys re-ordered, spaces added), so an unchanged
 * namespace would no longer compare equal to what was written, and turning it back into text
 * costs a parse and a stringify per namespace. As strings, the top-level merge stays a single
 * JSONB `(data - removed) || changed`, and a read is one `JSON.parse` of the object in the driver.
 * (To query a namespace by hand: `(data ->> 'cart')::jsonb`.)
 *
 * Times are epoch milliseconds (`bigint`) from the application's clock, the same clock that
 * computes the metadata, so expiry never depends on the two machines' clocks agreeing. Locks are
 * the exception: they are only compared with each other, so they use the server's clock, which
 * all processes share.
 */
export class PostgresSessionSql {
  readonly qualifiedName: string;
  readonly ddl: string;
  readonly exists: string;
  readonly get: NamedStatement;
  readonly insert: NamedStatement;
  readonly update: NamedStatement;
  readonly updateUnchecked: NamedStatement;
  readonly touch: NamedStatement;
  readonly destroy: NamedStatement;
  readonly destroyIfUnchanged: NamedStatement;
  readonly deleteExpired: NamedStatement;
  readonly deleteExpiredLocks: NamedStatement;
  readonly acquireLock: NamedStatement;
  readonly releaseLock: NamedStatement;
  readonly listForUser: NamedStatement;
  readonly destroyForUser: NamedStatement;

  constructor(schema: string, table: string) {
    const s = identifier('schema', schema, MAX_SCHEMA_LENGTH);
    const sessions = `${s}.${identifier('table', table, MAX_TABLE_LENGTH)}`;
    const locks = `${s}."${table}_locks"`;
    this.qualifiedName = sessions;

    // Several processes may start at once: CREATE TABLE IF NOT EXISTS alone can still fail on a
    // race in the catalog, so the creation holds a transaction-scoped advisory lock. Sent as one
    // multi-statement query, which PostgreSQL runs as one implicit transaction (all or nothing).
    // The names are validated above, so embedding them in the literal is safe.
    this.ddl = `
      SELECT pg_advisory_xact_lock(hashtext('nestjs-typed-session ${sessions}'));
      CREATE TABLE IF NOT EXISTS ${sessions} (
        id text PRIMARY KEY,
        data jsonb NOT NULL,
        revisions jsonb NOT NULL,
        created_at bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        idle_expires_at bigint NOT NULL,
        absolute_expires_at bigint,
        expires_at bigint NOT NULL
      );
      CREATE INDEX IF NOT EXISTS "${table}_expires_at_idx" ON ${sessions} (expires_at);
      -- The user binding (SessionService.listForUser): added to tables of earlier versions too.
      ALTER TABLE ${sessions} ADD COLUMN IF NOT EXISTS user_id text,
        ADD COLUMN IF NOT EXISTS user_info jsonb;
      CREATE INDEX IF NOT EXISTS "${table}_user_id_idx" ON ${sessions} (user_id)
        WHERE user_id IS NOT NULL;
      CREATE TABLE IF NOT EXISTS ${locks} (
        id text PRIMARY KEY,
        token text NOT NULL,
        expires_at timestamptz NOT NULL
      );`;

    // Checked before the DDL so that a role without CREATE rights works once the tables exist.
    this.exists = `
      SELECT to_regclass('${sessions}') IS NOT NULL AND to_regclass('${locks}') IS NOT NULL
        AND EXISTS (
          SELECT 1 FROM pg_attribute
          WHERE attrelid = to_regclass('${sessions}') AND attname = 'user_id' AND NOT attisdropped
        ) AS ready`;

    // $1 id, $2 now
    this.get = named(`
      SELECT data, revisions, created_at, last_seen_at, idle_expires_at, absolute_expires_at,
        user_id, user_info
      FROM ${sessions} WHERE id = $1 AND expires_at > $2`);

    // A fresh id: the record is written whole (an expired row left under the id is replaced).
    // $1 id, $2 data, $3 revisions, $4..$7 metadata, $8 expires_at, $9 user_id, $10 user_info
    this.insert = named(`
      INSERT INTO ${sessions} AS s (id, data, revisions, created_at, last_seen_at,
        idle_expires_at, absolute_expires_at, expires_at, user_id, user_info)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
      ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, revisions = EXCLUDED.revisions,
        created_at = EXCLUDED.created_at, last_seen_at = EXCLUDED.last_seen_at,
        idle_expires_at = EXCLUDED.idle_expires_at,
        absolute_expires_at = EXCLUDED.absolute_expires_at, expires_at = EXCLUDED.expires_at,
        user_id = EXCLUDED.user_id, user_info = EXCLUDED.user_info`);

    // A partial write in one statement. `locked` takes the row's lock and reads its current
    // revisions (waiting for, then seeing, any concurrent writer); `written` applies the write
    // only if those locked revisions match what the request expects. The check must read
    // `locked`, not the updated row: checked against the row as the statement's snapshot saw it,
    // concurrent commits expecting the same revision all won. When nothing was written, the same
    // round trip tells a missing session (no row) from a conflict (a row whose revisions moved).
    // $1 id, $2 now, $3 changed (object of JSON texts), $4 removed (text[]),
    // $5 expected revisions (object), $6..$9 metadata, $10 expires_at,
    // $11 whether the binding changes, then $12 user_id and $13 user_info (null: unbound)
    this.update = named(`
      WITH locked AS (
        SELECT revisions FROM ${sessions} AS s
        WHERE id = $1 AND expires_at > $2 AND ${readable('s')} FOR UPDATE
      ), written AS (
        UPDATE ${sessions} AS s SET ${partialWrite({ changed: 3, removed: 4, metadata: 6 })}
        FROM locked AS l
        WHERE s.id = $1 AND s.expires_at > $2 AND ${readable('s')} AND NOT EXISTS (
          SELECT 1 FROM jsonb_each_text($5::jsonb) AS e
          WHERE COALESCE((l.revisions ->> e.key)::bigint, 0) <> e.value::bigint
        )
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM written) AS written, (SELECT revisions FROM locked) AS revisions`);

    // The same write when it expects no revisions (no namespace in it rejects conflicts): one
    // plain UPDATE, without the CTE's second look at the row. Nothing to check, so nothing to
    // lock first: the UPDATE's own row lock, and PostgreSQL evaluating its SET on the newest
    // version of a row another writer just changed (READ COMMITTED), make the merge and the
    // revision counts build on that writer's. No row back: the session is missing.
    // $1 id, $2 now, $3 changed, $4 removed, $5..$8 metadata, $9 expires_at,
    // $10 whether the binding changes, then $11 user_id and $12 user_info
    this.updateUnchecked = named(`
      UPDATE ${sessions} AS s SET ${partialWrite({ changed: 3, removed: 4, metadata: 5 })}
      WHERE s.id = $1 AND s.expires_at > $2 AND ${readable('s')}
      RETURNING true AS written`);

    // Blind: data untouched; times only move forward; expiry capped by the absolute expiry
    // (LEAST ignores the NULL of "no absolute timeout").
    // $1 id, $2 now, $3 lastSeenAt, $4 idleExpiresAt
    this.touch = named(`
      UPDATE ${sessions} AS s SET
        last_seen_at = GREATEST(last_seen_at, $3),
        idle_expires_at = GREATEST(idle_expires_at, $4),
        expires_at = LEAST(GREATEST(idle_expires_at, $4), absolute_expires_at)
      WHERE id = $1 AND expires_at > $2 AND ${readable('s')}`);

    this.destroy = named(`DELETE FROM ${sessions} WHERE id = $1`);

    // Compare-and-delete in one statement: the row goes only if it is live and its revisions
    // are, as JSONB, equal to the snapshot (same keys, same numbers). `locked` waits for any
    // concurrent writer and sees its result, so when nothing was deleted the same round trip
    // tells a missing session (no live row) from a changed one.
    // $1 id, $2 now, $3 expected revisions (object)
    this.destroyIfUnchanged = named(`
      WITH locked AS (
        SELECT 1 FROM ${sessions} AS s
        WHERE id = $1 AND expires_at > $2 AND ${readable('s')} FOR UPDATE
      ), deleted AS (
        DELETE FROM ${sessions} AS s
        WHERE id = $1 AND expires_at > $2 AND ${readable('s')} AND revisions = $3::jsonb
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM deleted) AS destroyed, EXISTS (SELECT 1 FROM locked) AS live`);

    // In batches, so no single statement runs long or holds many row locks; SKIP LOCKED lets
    // several processes sweep at once without waiting for each other, and so each deleted row
    // is returned to exactly one of them (for its expiry report).
    // $1 now, $2 batch size
    this.deleteExpired = named(`
      DELETE FROM ${sessions} WHERE id IN (
        SELECT id FROM ${sessions} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED
      )
      RETURNING id, idle_expires_at, absolute_expires_at`);

    this.deleteExpiredLocks = named(`DELETE FROM ${locks} WHERE expires_at <= clock_timestamp()`);

    // Takes a free lock, or one whose holder's time ran out. A row comes back only if taken.
    // $1 id, $2 token, $3 ttl ms
    this.acquireLock = named(`
      INSERT INTO ${locks} AS l (id, token, expires_at)
      VALUES ($1, $2, clock_timestamp() + $3::float8 * interval '1 millisecond')
      ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
        WHERE l.expires_at <= clock_timestamp()
      RETURNING token`);

    this.releaseLock = named(`DELETE FROM ${locks} WHERE id = $1 AND token = $2`);

    // One indexed query per user, however many sessions. $1 user id, $2 now
    this.listForUser = named(`
      SELECT id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, user_info
      FROM ${sessions} WHERE user_id = $1 AND expires_at > $2`);

    // One statement; `live` tells the sessions that ended now from rows already expired.
    // $1 user id, $2 the id to spare (or null), $3 now
    this.destroyForUser = named(`
      DELETE FROM ${sessions} WHERE user_id = $1 AND id IS DISTINCT FROM $2
      RETURNING id, expires_at > $3 AS live`);
  }
}
