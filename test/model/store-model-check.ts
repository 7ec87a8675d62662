import fc from 'fast-check';
import type { SessionStore } from '../../src/store/session-store.js';
import type { TestClock } from '../../src/testing/test-clock.js';
import {
  EXPIRY_OFFSET,
  MINUTE,
  NAMESPACES,
  alternativeStates,
  applyToModel,
  cloneState,
  emptyState,
  metadataFor,
  normalizeAnswer,
  type Answer,
  type ClientOperation,
  type ModelState,
  type Namespace,
  type Operation,
} from './store-model.js';

/**
 * One step of a case: a batch of operations by different clients, started together and awaited
 * together (so the store may apply them in any order), or the clock moving on by whole minutes.
 */
export type Step = { batch: ClientOperation[] } | { advanceMinutes: number };

const CLIENTS = 3;
const IDS = 2;
/** Lock lifetime: far longer than a case, so a lock never frees itself mid-case. */
const LOCK_TTL_MS = 60_000;
/** Bound on the linearizations kept alive at once (distinct model states). */
const MAX_CANDIDATES = 64;

const namespace = fc.constantFrom(...NAMESPACES);
const text = fc.constantFrom('1', '"x"', '{"n":2}', '[]', 'null', '"ü🛒"');
const namespaceTexts = fc.dictionary(namespace, text, { maxKeys: 3 }) as fc.Arbitrary<
  Partial<Record<Namespace, string>>
>;
const expected = fc.option(
  fc.dictionary(namespace, fc.integer({ min: 0, max: 3 }), {
    minKeys: 1,
    maxKeys: 2,
  }) as fc.Arbitrary<Partial<Record<Namespace, number>>>,
  { nil: undefined, freq: 2 },
);
const id = fc.integer({ min: 0, max: IDS - 1 });
const idle = fc.integer({ min: 1, max: 4 });
const absolute = fc.option(fc.integer({ min: 1, max: 6 }), { nil: null });

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), id }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        kind: fc.constant('create' as const),
        id,
        set: namespaceTexts,
        idleMinutes: idle,
        absoluteMinutes: absolute,
        expect: expected,
      })
      .map(withoutUndefined),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({
        kind: fc.constant('update' as const),
        id,
        set: namespaceTexts,
        remove: fc.subarray([...NAMESPACES]),
        idleMinutes: idle,
        absoluteMinutes: absolute,
        expect: expected,
      })
      // A commit never sets and removes the same namespace.
      .map((op) =>
        withoutUndefined({ ...op, remove: op.remove.filter((key) => !(key in op.set)) }),
      ),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('touch' as const), id, idleMinutes: idle }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('destroy' as const), id }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('destroyIfUnchanged' as const),
      id,
      // Small revisions over few namespaces: they match the stored ones often enough.
      revisions: fc.dictionary(namespace, fc.integer({ min: 1, max: 2 }), {
        maxKeys: 2,
      }) as fc.Arbitrary<Partial<Record<Namespace, number>>>,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lock' as const), id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), id }) },
);

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A batch: 1–3 operations, each by a different client. */
const batch: fc.Arbitrary<Step> = fc
  .uniqueArray(fc.record({ client: fc.integer({ min: 0, max: CLIENTS - 1 }), op: operation }), {
    minLength: 1,
    maxLength: CLIENTS,
    selector: (entry) => entry.client,
  })
  .map((ops) => ({ batch: ops }));

export const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: batch },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 3 }).map((advanceMinutes) => ({ advanceMinutes })),
    },
  ),
  { minLength: 1, maxLength: 30 },
);

/** What the real store answered, in the model's terms. */
async function applyToStore(
  store: SessionStore,
  key: (id: number) => string,
  tokens: Map<string, string>,
  { client, op }: ClientOperation,
  now: number,
): Promise<Answer> {
  const sid = key(op.id);
  switch (op.kind) {
    case 'get':
      return { kind: 'session', value: await store.get(sid) };
    case 'create':
    case 'update':
      return {
        kind: 'write',
        value: await store.set(sid, {
          mode: op.kind,
          metadata: metadataFor(now, op.idleMinutes, op.absoluteMinutes),
          set: { ...(op.set as Record<string, string>) },
          remove: op.kind === 'update' ? [...op.remove] : [],
          ...(op.expect ? { expectRevisions: { ...(op.expect as Record<string, number>) } } : {}),
        }),
      };
    case 'touch':
      await store.touch(sid, {
        lastSeenAt: now,
        idleExpiresAt: now + op.idleMinutes * MINUTE + EXPIRY_OFFSET,
      });
      return { kind: 'done' };
    case 'destroy':
      await store.destroy(sid);
      return { kind: 'done' };
    case 'destroyIfUnchanged':
      return {
        kind: 'compare-and-delete',
        value: await store.destroyIfUnchanged(sid, { ...(op.revisions as Record<string, number>) }),
      };
    case 'lock': {
      const token = await store.acquireLock(sid, { ttlMs: LOCK_TTL_MS, waitMs: 0 });
      if (token !== null) tokens.set(`${client}:${op.id}`, token);
      return { kind: 'lock', acquired: token !== null };
    }
    case 'release': {
      // A client releases with its own token; without one, with a token nobody holds.
      const token = tokens.get(`${client}:${op.id}`) ?? 'not-a-token-of-this-client';
      tokens.delete(`${client}:${op.id}`);
      await store.releaseLock(sid, token);
      return { kind: 'done' };
    }
  }
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** JSON with object keys sorted: stores need not keep the order namespaces were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/**
 * Apply the batch's operations to the model in `order` from `state`, following every state the
 * contract allows (`alternativeStates`), and keep each end state whose answers all match.
 */
function explore(
  state: ModelState,
  order: number[],
  position: number,
  expectedAnswers: Answer[],
  now: number,
  ops: ClientOperation[],
  answers: Answer[],
  matching: Map<string, ModelState>,
  onFirst: (expectedAnswers: Answer[]) => void,
): void {
  if (position === order.length) {
    onFirst(expectedAnswers);
    if (same(expectedAnswers, answers)) matching.set(canonical(state), state);
    return;
  }
  const i = order[position];
  const alternatives = alternativeStates(state, ops[i]);
  const after = cloneState(state);
  const answer = normalizeAnswer(applyToModel(after, ops[i], now));
  const here = [...expectedAnswers];
  here[i] = answer;
  // An answer that already differs ends this order early.
  if (!same(answer, answers[i])) {
    onFirst(here);
    return;
  }
  for (const next of [after, ...alternatives.map((alt) => (applyToModel(alt, ops[i], now), alt))])
    explore(next, order, position + 1, here, now, ops, answers, matching, onFirst);
}

/**
 * Run `steps` against `store` and the model; throw at the first answer no order of the batch's
 * operations explains (a linearizability check over each batch: the store may have applied
 * concurrent operations in any order, but in some order, each atomically).
 */
export async function checkAgainstModel(
  store: SessionStore,
  clock: TestClock,
  prefix: string,
  caseSteps: Step[],
): Promise<void> {
  const key = (id: number) => `${prefix}${id}`;
  const tokens = new Map<string, string>();
  let candidates: ModelState[] = [emptyState()];
  try {
    for (const [index, step] of caseSteps.entries()) {
      if ('advanceMinutes' in step) {
        clock.advance(step.advanceMinutes * MINUTE);
        continue;
      }
      const now = clock.now();
      const answers = (
        await Promise.all(step.batch.map((entry) => applyToStore(store, key, tokens, entry, now)))
      ).map(normalizeAnswer);
      const next = new Map<string, ModelState>();
      let firstExpected: Answer[] | undefined;
      for (const candidate of candidates) {
        for (const order of permutations(step.batch.map((_, i) => i))) {
          explore(candidate, order, 0, [], now, step.batch, answers, next, (expectedAnswers) => {
            firstExpected ??= expectedAnswers;
          });
        }
      }
      if (next.size === 0) {
        throw new Error(
          `step ${index}: no order of ${JSON.stringify(step.batch)} explains the store's answers\n` +
            `  store: ${JSON.stringify(answers)}\n` +
            `  model (in the order given): ${JSON.stringify(firstExpected)}`,
        );
      }
      candidates = [...next.values()].slice(0, MAX_CANDIDATES);
    }
  } finally {
    for (const [entry, token] of tokens) {
      const [, id] = entry.split(':');
      await store.releaseLock(key(Number(id)), token).catch(() => undefined);
    }
    for (let id = 0; id < IDS; id++) await store.destroy(key(id)).catch(() => undefined);
  }
}
