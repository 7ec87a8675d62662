import {
  expiresAt,
  movedNamespaces,
  type SessionMetadata,
  type SessionWriteResult,
  type StoredSession,
} from '../../src/store/session-record.js';

/**
 * The store contract (src/store/session-store.ts, session-record.ts) as a few lines of plain
 * code over plain objects: what every store must answer, one operation at a time. The model check
 * (store-model.spec.ts) runs random operations against a real store and this model side by side.
 */
export interface ModelState {
  /** Session records by id (the test's small integer ids). Expired ones may linger: see `live`. */
  sessions: Record<number, StoredSession>;
  /** Which client holds each session's lock. */
  locks: Record<number, number>;
}

export const NAMESPACES = ['a', 'b', 'c'] as const;
export type Namespace = (typeof NAMESPACES)[number];

export type Operation =
  | { kind: 'get'; id: number }
  | {
      kind: 'create';
      id: number;
      set: Partial<Record<Namespace, string>>;
      idleMinutes: number;
      absoluteMinutes: number | null;
      expect?: Partial<Record<Namespace, number>>;
    }
  | {
      kind: 'update';
      id: number;
      set: Partial<Record<Namespace, string>>;
      remove: Namespace[];
      idleMinutes: number;
      absoluteMinutes: number | null;
      expect?: Partial<Record<Namespace, number>>;
    }
  | { kind: 'touch'; id: number; idleMinutes: number }
  | { kind: 'destroy'; id: number }
  | { kind: 'destroyIfUnchanged'; id: number; revisions: Partial<Record<Namespace, number>> }
  | { kind: 'lock'; id: number }
  | { kind: 'release'; id: number };

/** An operation by one client: clients matter for locks (a release uses the client's token). */
export interface ClientOperation {
  client: number;
  op: Operation;
}

/** What an operation answered, in a form both the store's and the model's answers take. */
export type Answer =
  | { kind: 'session'; value: StoredSession | null }
  | { kind: 'write'; value: SessionWriteResult }
  | { kind: 'lock'; acquired: boolean }
  | { kind: 'compare-and-delete'; value: 'destroyed' | 'missing' | 'changed' }
  | { kind: 'done' };

export const MINUTE = 60_000;
/**
 * Every expiry the check writes lies half a minute past a whole minute, and the clock only ever
 * moves by whole minutes, so no read ever happens at an expiry instant: each answer is exact, and
 * the stores' own TTLs (real time, never less than 30 s) cannot fire during a case (each takes
 * well under a second of real time).
 */
export const EXPIRY_OFFSET = 30_000;

export function metadataFor(
  now: number,
  idleMinutes: number,
  absoluteMinutes: number | null,
): SessionMetadata {
  return {
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: now + idleMinutes * MINUTE + EXPIRY_OFFSET,
    absoluteExpiresAt:
      absoluteMinutes === null ? null : now + absoluteMinutes * MINUTE + EXPIRY_OFFSET,
  };
}

export function emptyState(): ModelState {
  return { sessions: {}, locks: {} };
}

export function cloneState(state: ModelState): ModelState {
  return structuredClone(state);
}

function live(state: ModelState, id: number, now: number): StoredSession | undefined {
  const session = state.sessions[id];
  if (session === undefined) return undefined;
  if (now >= expiresAt(session.metadata)) {
    delete state.sessions[id];
    return undefined;
  }
  return session;
}

/**
 * The states an operation may leave besides the one `applyToModel` leaves, where the contract
 * allows more than one. The only such case: whether destroying a session also frees its lock.
 * The contract does not say; the Redis store deletes the lock key with the session, the other
 * stores keep the lock until it is released or expires. Either is harmless (the holder's release
 * is then a no-op, and a waiter finds no session), so the model accepts both.
 */
export function alternativeStates(state: ModelState, { op }: ClientOperation): ModelState[] {
  if (op.kind !== 'destroy' && op.kind !== 'destroyIfUnchanged') return [];
  if (state.locks[op.id] === undefined) return [];
  const freed = cloneState(state);
  delete freed.locks[op.id];
  return [freed];
}

/** Apply one operation to the model (in place) and return what the contract says it answers. */
export function applyToModel(
  state: ModelState,
  { client, op }: ClientOperation,
  now: number,
): Answer {
  switch (op.kind) {
    case 'get': {
      const session = live(state, op.id, now);
      return { kind: 'session', value: session ? structuredClone(session) : null };
    }
    case 'create': {
      // A create replaces whatever is under the id; an optimistic check compares with nothing.
      const moved = movedNamespaces({}, op.expect as Record<string, number> | undefined);
      if (moved.length > 0)
        return { kind: 'write', value: { status: 'conflict', namespaces: moved.sort() } };
      const session: StoredSession = {
        metadata: metadataFor(now, op.idleMinutes, op.absoluteMinutes),
        data: { ...(op.set as Record<string, string>) },
        revisions: Object.fromEntries(Object.keys(op.set).map((key) => [key, 1])),
      };
      state.sessions[op.id] = session;
      return { kind: 'write', value: { status: 'ok' } };
    }
    case 'update': {
      const session = live(state, op.id, now);
      if (!session) return { kind: 'write', value: { status: 'missing' } };
      const moved = movedNamespaces(
        session.revisions,
        op.expect as Record<string, number> | undefined,
      );
      if (moved.length > 0)
        return { kind: 'write', value: { status: 'conflict', namespaces: moved.sort() } };
      session.metadata = metadataFor(now, op.idleMinutes, op.absoluteMinutes);
      for (const [key, text] of Object.entries(op.set)) {
        session.data[key] = text;
        session.revisions[key] = (session.revisions[key] ?? 0) + 1;
      }
      for (const key of op.remove) {
        // A removal raises the revision only of a namespace that held a value.
        if (!(key in session.data)) continue;
        delete session.data[key];
        session.revisions[key] = (session.revisions[key] ?? 0) + 1;
      }
      return { kind: 'write', value: { status: 'ok' } };
    }
    case 'touch': {
      const session = live(state, op.id, now);
      // Times only move forward: a touch that arrives late (an older request's) never shortens a
      // session. Every store does this; session-store.ts's comment does not say it yet.
      if (session) {
        const metadata = session.metadata;
        metadata.lastSeenAt = Math.max(metadata.lastSeenAt, now);
        metadata.idleExpiresAt = Math.max(
          metadata.idleExpiresAt,
          now + op.idleMinutes * MINUTE + EXPIRY_OFFSET,
        );
      }
      return { kind: 'done' };
    }
    case 'destroy':
      delete state.sessions[op.id];
      return { kind: 'done' };
    case 'destroyIfUnchanged': {
      // Removes the session only if its revisions are exactly these: same namespaces, same numbers.
      const session = live(state, op.id, now);
      if (!session) return { kind: 'compare-and-delete', value: 'missing' };
      const current = Object.entries(session.revisions).sort();
      const given = Object.entries(op.revisions).sort();
      if (JSON.stringify(current) !== JSON.stringify(given))
        return { kind: 'compare-and-delete', value: 'changed' };
      delete state.sessions[op.id];
      return { kind: 'compare-and-delete', value: 'destroyed' };
    }
    case 'lock':
      if (state.locks[op.id] !== undefined) return { kind: 'lock', acquired: false };
      state.locks[op.id] = client;
      return { kind: 'lock', acquired: true };
    case 'release':
      if (state.locks[op.id] === client) delete state.locks[op.id];
      return { kind: 'done' };
  }
}

/** Answers compared the way the contract means them: conflict namespaces as a set. */
export function normalizeAnswer(answer: Answer): Answer {
  if (answer.kind === 'write' && answer.value.status === 'conflict')
    return {
      kind: 'write',
      value: { status: 'conflict', namespaces: [...answer.value.namespaces].sort() },
    };
  return answer;
}
