import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { SessionStore } from '../store/session-store.js';
import type { SessionMetadata, SessionWrite } from '../store/session-record.js';
import { assertJsonEqual } from './assert-json-equal.js';
import {
  describeExpiryReports,
  type ExpiryReportConformance,
} from './expiry-report-conformance.js';
import { TestClock } from './test-clock.js';
import { resolveTestRunner, type TestRunner } from './test-runner.js';
import { userIndexCases } from './user-index-conformance.js';

export interface SessionStoreConformanceOptions {
  /** Shown in the suite's title. */
  name: string;
  /** A store whose record-expiry checks use `clock.now`. Created once for the whole suite. */
  create: (clock: TestClock) => SessionStore | Promise<SessionStore>;
  /** Removes what the suite wrote (e.g. every key under a per-run prefix), before `close()`. */
  destroyAll?: (store: SessionStore) => Promise<void>;
  /**
   * Whether the store keeps a TTL of its own besides the expiry in the record (Redis key TTLs).
   * When it does, real-time tests check that the TTL alone removes a session, with a frozen
   * clock. The memory store has no such TTL: its only expiry is the record's.
   */
  nativeTtl: boolean;
  /**
   * The test runner: Jest or Vitest globals when omitted; pass `node:test`'s exports
   * (`import * as nodeTest from 'node:test'`) to run under `node --test`.
   */
  runner?: TestRunner;
  /**
   * The outermost `describe` instead of the runner's, e.g. a `describe.skip` when the store's
   * server is missing.
   */
  describe?: (name: string, body: () => void) => unknown;
  /**
   * Given for a store that reports expired sessions itself (`onExpired`): runs the expiry-report
   * tests; see `ExpiryReportConformance`.
   */
  expiryReports?: ExpiryReportConformance;
  /** Sessions in the bulk test. Default 10,000. */
  manySessions?: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Every kind of JSON value, as a namespace each. */
const JSON_VALUES: Record<string, unknown> = {
  string: 'text',
  emptyString: '',
  integer: 42,
  float: -1.5e-7,
  largeInteger: Number.MAX_SAFE_INTEGER,
  zero: 0,
  yes: true,
  no: false,
  nothing: null,
  array: [1, 'two', [3], { four: 4 }, null, false],
  object: { nested: { deep: [{}, { 'ключ 🔑': 'значение' }] }, n: 1.25 },
  emptyObject: {},
  emptyArray: [],
  unicode: 'здравствуй 世界 🛒 \u0000 \u2028 \ud800 "quotes" \\ back\tslash\n',
};

/** Namespace names a store might mistake for its own fields, separators or hash tags. */
const AWKWARD_NAMESPACES = [
  'корзина',
  '🛒',
  '购物车',
  'a:b',
  'd:x',
  'r:x',
  '_i',
  '_a',
  'with space',
  '{braces}',
  '}',
  '',
];

/**
 * The behaviour every `SessionStore` must show. A store's spec runs it in one line:
 * `runSessionStoreConformance({ name: 'redis', create: (clock) => new RedisSessionStore({ now:
 * clock.now, ... }), nativeTtl: true })`.
 */
export function runSessionStoreConformance(options: SessionStoreConformanceOptions): void {
  const runner = resolveTestRunner(options.runner);
  const { describe, it, beforeAll, afterAll, beforeEach } = runner;
  const describeStore = options.describe ?? describe;
  const manySessions = options.manySessions ?? 10_000;

  describeStore(`SessionStore conformance: ${options.name}`, () => {
    const clock = new TestClock();
    let store: SessionStore;

    beforeAll(async () => {
      store = await options.create(clock);
    });
    afterAll(async () => {
      if (!store) return;
      await options.destroyAll?.(store);
      await store.close();
    });
    // Every test starts with the clock at the real time, frozen.
    beforeEach(() => clock.set(Date.now()));

    const newId = () => randomUUID();
    const metadata = (overrides: Partial<SessionMetadata> = {}): SessionMetadata => ({
      createdAt: clock.now(),
      lastSeenAt: clock.now(),
      idleExpiresAt: clock.now() + 20 * MINUTE,
      absoluteExpiresAt: clock.now() + DAY,
      ...overrides,
    });
    const create = (id: string, set: Record<string, string>, meta = metadata()) =>
      store.set(id, { mode: 'create', metadata: meta, set, remove: [] });
    const update = (id: string, write: Partial<SessionWrite> = {}) =>
      store.set(id, { mode: 'update', metadata: metadata(), set: {}, remove: [], ...write });
    const dataOf = async (id: string) => (await store.get(id))?.data;

    describe('round trip', () => {
      it('keeps the JSON text of every kind of value exactly', async () => {
        const id = newId();
        const texts = Object.fromEntries(
          Object.entries(JSON_VALUES).map(([key, value]) => [key, JSON.stringify(value)]),
        );
        assertJsonEqual(await create(id, texts), { status: 'ok' });
        const data = await dataOf(id);
        assertJsonEqual(data, texts);
        for (const [key, value] of Object.entries(JSON_VALUES)) {
          assertJsonEqual(JSON.parse(data![key]!), value);
        }
      });

      it('keeps unicode and awkward namespace names apart from its own fields', async () => {
        const id = newId();
        const texts = Object.fromEntries(
          AWKWARD_NAMESPACES.map((key, i) => [key, JSON.stringify({ i, key })]),
        );
        await create(id, texts);
        const stored = await store.get(id);
        assertJsonEqual(stored?.data, texts);
        assertJsonEqual(Object.keys(stored!.revisions).sort(), [...AWKWARD_NAMESPACES].sort());
      });

      it('keeps the metadata, with and without an absolute expiry', async () => {
        const withAbsolute = metadata({ createdAt: clock.now() - 5_000 });
        const withoutAbsolute = metadata({ absoluteExpiresAt: null });
        const [a, b] = [newId(), newId()];
        await create(a, { x: '1' }, withAbsolute);
        await create(b, { x: '1' }, withoutAbsolute);
        assertJsonEqual((await store.get(a))?.metadata, withAbsolute);
        assertJsonEqual((await store.get(b))?.metadata, withoutAbsolute);
      });

      it('keeps a 256 kB value', async () => {
        const id = newId();
        const big = JSON.stringify('é🛒x'.repeat(64 * 1024)); // > 256 kB of UTF-8
        assert.ok(Buffer.byteLength(big) > 256 * 1024);
        await create(id, { big, small: '1' });
        assertJsonEqual(await dataOf(id), { big, small: '1' });
      });

      it('answers null for a session it never had', async () => {
        assert.equal(await store.get(newId()), null);
      });
    });

    describe('expiry kept in the record', () => {
      it('is dead from its idle expiry: get is null, update is missing, touch creates nothing', async () => {
        const id = newId();
        await create(id, { a: '1' }, metadata({ idleExpiresAt: clock.now() + 1_000 }));
        clock.advance(999);
        assertJsonEqual(await dataOf(id), { a: '1' });
        clock.advance(1);
        assert.equal(await store.get(id), null);
        assertJsonEqual(await update(id, { set: { a: '2' } }), { status: 'missing' });
        await store.touch(id, { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + MINUTE });
        assert.equal(await store.get(id), null);
      });

      it('is dead from its absolute expiry even while idle time is left', async () => {
        const id = newId();
        await create(id, { a: '1' }, metadata({ absoluteExpiresAt: clock.now() + 5_000 }));
        clock.advance(5_000);
        assert.equal(await store.get(id), null);
        assertJsonEqual(await update(id, { set: { a: '2' } }), { status: 'missing' });
      });

      it('does not bring old namespaces back when a dead id is created again', async () => {
        const id = newId();
        await create(id, { old: '1' }, metadata({ idleExpiresAt: clock.now() + 1_000 }));
        clock.advance(2_000);
        await create(id, { fresh: '1' });
        const stored = await store.get(id);
        assertJsonEqual(stored?.data, { fresh: '1' });
        assertJsonEqual(stored?.revisions, { fresh: 1 });
      });

      it('replaces a live record when an id is created again: a create is a whole new record', async () => {
        const id = newId();
        await create(id, { old: '1' });
        await update(id, { set: { old: '2' } });
        assertJsonEqual(await create(id, { fresh: '1' }), { status: 'ok' });
        const stored = await store.get(id);
        assertJsonEqual(stored?.data, { fresh: '1' });
        assertJsonEqual(stored?.revisions, { fresh: 1 });
      });
    });

    if (options.nativeTtl) {
      describe("the store's own TTL (real time, frozen clock)", () => {
        it('removes a session on its own, follows touches and caps them at the absolute expiry', async () => {
          const start = clock.now(); // frozen: the record never expires by this clock
          const [plain, touched, capped] = [newId(), newId(), newId()];
          const short = metadata({ idleExpiresAt: start + 1_000 });
          await create(plain, { a: '1' }, short);
          await create(touched, { a: '1' }, short);
          await create(capped, { a: '1' }, { ...short, absoluteExpiresAt: start + 1_000 });
          const before = await store.get(touched);
          const longer = { lastSeenAt: start, idleExpiresAt: start + 10_000 };
          await store.touch(touched, longer);
          await store.touch(capped, longer);

          await sleepUntil(start + 1_600);
          assert.equal(await store.get(plain), null);
          assert.equal(await store.get(capped), null);
          const after = await store.get(touched);
          assertJsonEqual(after?.data, before?.data);
          assertJsonEqual(after?.revisions, before?.revisions);
          assertJsonEqual(await update(plain, { set: { a: '2' } }), { status: 'missing' });
          await store.touch(plain, longer);
          assert.equal(await store.get(plain), null);
        });
      });
    }

    if (options.expiryReports) {
      describeExpiryReports(runner, options.expiryReports, clock, () => store);
    }

    describe('touch', () => {
      it('extends the life of a session without rewriting its data', async () => {
        const id = newId();
        const created = metadata({ idleExpiresAt: clock.now() + 1_000 });
        await create(id, { a: '"x"', b: '[1]' }, created);
        const before = await store.get(id);
        await store.touch(id, {
          lastSeenAt: created.createdAt + 500,
          idleExpiresAt: created.createdAt + 3_000,
        });
        clock.advance(2_000);
        const after = await store.get(id);
        assertJsonEqual(after?.data, before?.data);
        assertJsonEqual(after?.revisions, before?.revisions);
        assertJsonEqual(after?.metadata, {
          ...created,
          lastSeenAt: created.createdAt + 500,
          idleExpiresAt: created.createdAt + 3_000,
        });
        clock.advance(1_000);
        assert.equal(await store.get(id), null);
      });

      it('never extends a session past its absolute expiry', async () => {
        const id = newId();
        await create(id, { a: '1' }, metadata({ absoluteExpiresAt: clock.now() + 2_000 }));
        await store.touch(id, { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + DAY });
        clock.advance(1_999);
        assert.notEqual(await store.get(id), null);
        clock.advance(1);
        assert.equal(await store.get(id), null);
      });

      it('creates nothing for a missing session', async () => {
        const id = newId();
        await store.touch(id, { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + MINUTE });
        assert.equal(await store.get(id), null);
        assertJsonEqual(await update(id, { set: { a: '1' } }), { status: 'missing' });
        assert.equal(await store.get(id), null);
      });
    });

    describe('destroy', () => {
      it('is final: an update afterwards is missing and does not bring the session back', async () => {
        const id = newId();
        await create(id, { a: '1', b: '2' });
        await store.destroy(id);
        assert.equal(await store.get(id), null);
        assertJsonEqual(await update(id, { set: { a: '3' } }), { status: 'missing' });
        await store.touch(id, { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + MINUTE });
        assert.equal(await store.get(id), null);
      });

      it('accepts a session it does not have', async () => {
        assert.equal(await store.destroy(newId()), undefined);
      });
    });

    describe('partial writes', () => {
      it('leaves the namespaces a commit does not name as they are', async () => {
        const id = newId();
        await create(id, { a: '1', b: '1' });
        await update(id, { set: { b: '2' } }); // another request
        await update(id, { set: { a: '3' } });
        assertJsonEqual(await dataOf(id), { a: '3', b: '2' });
      });

      it('keeps both halves of 100 concurrent pairs of writes to different namespaces', async () => {
        const id = newId();
        await create(id, { a: '0', b: '0' });
        const pairs = Array.from({ length: 100 }, (_, i) => [
          update(id, { set: { a: String(i + 1) } }),
          update(id, { set: { b: String(i + 1) } }),
        ]);
        const results = await Promise.all(pairs.flat());
        assert.equal(
          results.every((result) => result.status === 'ok'),
          true,
        );
        const stored = await store.get(id);
        assertJsonEqual(stored?.revisions, { a: 101, b: 101 });
        assert.ok(Number(stored?.data.a) > 0);
        assert.ok(Number(stored?.data.b) > 0);
      });

      it('loses none of 200 concurrent writers of their own namespaces', async () => {
        const id = newId();
        await create(id, { shared: '0' });
        const names = Array.from({ length: 200 }, (_, i) => `ns${i}`);
        await Promise.all(names.map((name) => update(id, { set: { [name]: `"${name}"` } })));
        const data = await dataOf(id);
        assertJsonEqual(data, {
          shared: '0',
          ...Object.fromEntries(names.map((name) => [name, `"${name}"`])),
        });
      });

      it('removes a namespace and only that one', async () => {
        const id = newId();
        await create(id, { a: '1', b: '2', c: '3' });
        assertJsonEqual(await update(id, { remove: ['b', 'never-there'], set: { c: '4' } }), {
          status: 'ok',
        });
        assertJsonEqual(await dataOf(id), { a: '1', c: '4' });
        await update(id, { remove: ['a', 'c'] });
        assertJsonEqual(await dataOf(id), {});
        assert.notEqual(await store.get(id), null); // an empty session is still a session
      });
    });

    describe('revisions', () => {
      it('rise per namespace on every write and removal of it', async () => {
        const id = newId();
        await create(id, { a: '1', b: '1' });
        assertJsonEqual((await store.get(id))?.revisions, { a: 1, b: 1 });
        await update(id, { set: { a: '2' } });
        assertJsonEqual((await store.get(id))?.revisions, { a: 2, b: 1 });
        await update(id, { remove: ['b'] });
        assertJsonEqual((await store.get(id))?.revisions, { a: 2, b: 2 });
        await update(id, { set: { a: '3', b: '3' } });
        assertJsonEqual((await store.get(id))?.revisions, { a: 3, b: 3 });
      });

      it('rise by exactly one per set or removal, and not at all for removing what is absent', async () => {
        const id = newId();
        await create(id, { a: '1' });
        await update(id, { set: { a: '2', b: '1' }, remove: ['never-there'] });
        assertJsonEqual((await store.get(id))?.revisions, { a: 2, b: 1 });
        await update(id, { remove: ['b'] });
        await update(id, { remove: ['b'] }); // already gone: no change, no new revision
        assertJsonEqual((await store.get(id))?.revisions, { a: 2, b: 2 });
      });

      it('refuse a commit whose expected revisions moved, write nothing, and name them', async () => {
        const id = newId();
        const created = metadata();
        await create(id, { a: '1', b: '1' }, created);
        await update(id, { set: { a: '2' } }); // another request moved a to revision 2
        const before = await store.get(id);
        const stale = {
          set: { a: '3', c: '3' },
          remove: ['b'],
          metadata: metadata({ idleExpiresAt: clock.now() + DAY }),
        };
        assertJsonEqual(await update(id, { ...stale, expectRevisions: { a: 1, b: 1 } }), {
          status: 'conflict',
          namespaces: ['a'],
        });
        const result = await update(id, { ...stale, expectRevisions: { a: 1, b: 0, c: 0 } });
        assert.equal(result.status, 'conflict');
        assertJsonEqual(result.status === 'conflict' && [...result.namespaces].sort(), ['a', 'b']);
        assertJsonEqual(await store.get(id), before);
      });

      it('accept a commit whose expected revisions match, 0 meaning absent', async () => {
        const id = newId();
        await create(id, { a: '1', b: '1' });
        await update(id, { set: { a: '2' } });
        const result = await update(id, {
          set: { a: '3', c: '1' },
          expectRevisions: { a: 2, b: 1, c: 0 },
        });
        assertJsonEqual(result, { status: 'ok' });
        const stored = await store.get(id);
        assertJsonEqual(stored?.data, { a: '3', b: '1', c: '1' });
        assertJsonEqual(stored?.revisions, { a: 3, b: 1, c: 1 });
      });

      it('do not start again when a namespace is removed and written anew', async () => {
        const id = newId();
        await create(id, { a: '1' });
        await update(id, { remove: ['a'] });
        // A request that loaded the session before `a` existed must not overwrite the new `a`.
        assertJsonEqual(await update(id, { set: { a: '2' }, expectRevisions: { a: 0 } }), {
          status: 'conflict',
          namespaces: ['a'],
        });
        assertJsonEqual(await update(id, { set: { a: '2' }, expectRevisions: { a: 2 } }), {
          status: 'ok',
        });
        assert.equal((await store.get(id))?.revisions.a, 3);
      });

      it('answer missing rather than conflict for a session that is gone', async () => {
        const id = newId();
        await create(id, { a: '1' });
        await store.destroy(id);
        assertJsonEqual(await update(id, { set: { a: '2' }, expectRevisions: { a: 1 } }), {
          status: 'missing',
        });
      });
    });

    describe('destroyIfUnchanged (the compare-and-delete of a regenerate)', () => {
      const snapshot = async (id: string) => (await store.get(id))!.revisions;

      it('destroys a live session whose revisions are exactly the snapshot', async () => {
        const id = newId();
        await create(id, { a: '1', b: '1' });
        await update(id, { set: { a: '2' } });
        await update(id, { remove: ['b'] }); // a removed namespace keeps its revision
        const revisions = await snapshot(id);
        assertJsonEqual(revisions, { a: 2, b: 2 });
        assert.equal(await store.destroyIfUnchanged(id, revisions), 'destroyed');
        assert.equal(await store.get(id), null);
        assertJsonEqual(await update(id, { set: { a: '3' } }), { status: 'missing' });
        assert.equal(await store.get(id), null);
      });

      it('destroys a session without namespaces given an empty snapshot', async () => {
        const id = newId();
        await create(id, {});
        assert.equal(await store.destroyIfUnchanged(id, {}), 'destroyed');
        assert.equal(await store.get(id), null);
      });

      it("answers 'changed' and removes nothing when a namespace's revision moved", async () => {
        const id = newId();
        await create(id, { a: '1', b: '1' });
        const revisions = await snapshot(id);
        await update(id, { set: { b: '2' } }); // a write acknowledged meanwhile
        const before = await store.get(id);
        assert.equal(await store.destroyIfUnchanged(id, revisions), 'changed');
        assertJsonEqual(await store.get(id), before);
      });

      it("answers 'changed' when a namespace was added since the snapshot", async () => {
        const id = newId();
        await create(id, { a: '1' });
        const revisions = await snapshot(id);
        await update(id, { set: { cartnote: '"x"' } });
        assert.equal(await store.destroyIfUnchanged(id, revisions), 'changed');
        assertJsonEqual(await dataOf(id), { a: '1', cartnote: '"x"' });
      });

      it("answers 'changed' when a namespace was removed since the snapshot", async () => {
        const id = newId();
        await create(id, { a: '1', b: '1' });
        const revisions = await snapshot(id);
        await update(id, { remove: ['b'] });
        assert.equal(await store.destroyIfUnchanged(id, revisions), 'changed');
        assertJsonEqual(await dataOf(id), { a: '1' });
      });

      it("answers 'changed' for a snapshot with a namespace more or less than the store", async () => {
        const id = newId();
        await create(id, { a: '1', b: '1' });
        assert.equal(await store.destroyIfUnchanged(id, { a: 1 }), 'changed');
        assert.equal(await store.destroyIfUnchanged(id, { a: 1, b: 1, c: 0 }), 'changed');
        assert.equal(await store.destroyIfUnchanged(id, { a: 1, b: 2 }), 'changed');
        assert.equal(await store.destroyIfUnchanged(id, {}), 'changed');
        assertJsonEqual(await dataOf(id), { a: '1', b: '1' });
      });

      it("answers 'missing' for a destroyed, an expired and a never-stored id", async () => {
        const [destroyed, expired, never] = [newId(), newId(), newId()];
        await create(destroyed, { a: '1' });
        const revisions = await snapshot(destroyed);
        await store.destroy(destroyed);
        assert.equal(await store.destroyIfUnchanged(destroyed, revisions), 'missing');

        await create(expired, { a: '1' }, metadata({ idleExpiresAt: clock.now() + 1_000 }));
        const expiredRevisions = await snapshot(expired);
        clock.advance(1_000);
        assert.equal(await store.destroyIfUnchanged(expired, expiredRevisions), 'missing');

        assert.equal(await store.destroyIfUnchanged(never, {}), 'missing');
        assert.equal(await store.destroyIfUnchanged(never, { a: 1 }), 'missing');
      });

      it('does not count a touch as a change', async () => {
        const id = newId();
        await create(id, { a: '1' });
        const revisions = await snapshot(id);
        await store.touch(id, { lastSeenAt: clock.now() + 10, idleExpiresAt: clock.now() + DAY });
        assert.equal(await store.destroyIfUnchanged(id, revisions), 'destroyed');
        assert.equal(await store.get(id), null);
      });

      it("leaves the record intact, readable and writable after 'changed'", async () => {
        const id = newId();
        await create(id, { a: '1', b: '"keep"' });
        const revisions = await snapshot(id);
        await update(id, { set: { a: '2' } });
        assert.equal(await store.destroyIfUnchanged(id, revisions), 'changed');
        const stored = await store.get(id);
        assertJsonEqual(stored?.data, { a: '2', b: '"keep"' });
        assertJsonEqual(stored?.revisions, { a: 2, b: 1 });
        assertJsonEqual(await update(id, { set: { b: '"more"' }, expectRevisions: { b: 1 } }), {
          status: 'ok',
        });
        assert.equal(await store.destroyIfUnchanged(id, { a: 2, b: 2 }), 'destroyed');
      });

      it('lets exactly one of two racing compare-and-deletes of one snapshot win', async () => {
        const id = newId();
        await create(id, { a: '1' });
        const revisions = await snapshot(id);
        const answers = await Promise.all([
          store.destroyIfUnchanged(id, revisions),
          store.destroyIfUnchanged(id, revisions),
        ]);
        assertJsonEqual([...answers].sort(), ['destroyed', 'missing']);
      });
    });

    describe('locks', () => {
      const held = { ttlMs: 10_000, waitMs: 0 };

      it('are exclusive per session', async () => {
        const [id, other] = [newId(), newId()];
        const token = await store.acquireLock(id, held);
        assert.equal(typeof token, 'string');
        assert.equal(await store.acquireLock(id, held), null);
        const otherToken = await store.acquireLock(other, held);
        assert.equal(typeof otherToken, 'string');
        await store.releaseLock(id, token!);
        await store.releaseLock(other, otherToken!);
      });

      it('go to a waiter once released', async () => {
        const id = newId();
        const first = await store.acquireLock(id, held);
        const started = Date.now();
        const waiting = store.acquireLock(id, { ttlMs: 10_000, waitMs: 5_000 });
        await sleep(100);
        await store.releaseLock(id, first!);
        const second = await waiting;
        assert.equal(typeof second, 'string');
        assert.notEqual(second, first);
        assert.ok(Date.now() - started < 2_000);
        await store.releaseLock(id, second!);
      });

      it('answer null once waitMs has passed', async () => {
        const id = newId();
        const token = await store.acquireLock(id, held);
        const started = Date.now();
        assert.equal(await store.acquireLock(id, { ttlMs: 10_000, waitMs: 300 }), null);
        const waited = Date.now() - started;
        assert.ok(waited >= 250);
        assert.ok(waited < 2_000);
        await store.releaseLock(id, token!);
      });

      it('free themselves after ttlMs', async () => {
        const id = newId();
        const token = await store.acquireLock(id, { ttlMs: 300, waitMs: 0 });
        const started = Date.now();
        const next = await store.acquireLock(id, { ttlMs: 10_000, waitMs: 5_000 });
        assert.equal(typeof next, 'string');
        assert.ok(Date.now() - started >= 200);
        // The first holder's late release must not free the lock the second one holds now.
        await store.releaseLock(id, token!);
        assert.equal(await store.acquireLock(id, held), null);
        await store.releaseLock(id, next!);
      });

      it('ignore a release with the wrong token', async () => {
        const id = newId();
        const token = await store.acquireLock(id, held);
        await store.releaseLock(id, 'not-the-token');
        assert.equal(await store.acquireLock(id, held), null);
        await store.releaseLock(id, token!);
        const again = await store.acquireLock(id, held);
        assert.equal(typeof again, 'string');
        await store.releaseLock(id, again!);
      });
    });

    userIndexCases({ runner, store: () => store, clock, manySessions });

    describe('scale', () => {
      it(`writes ${manySessions} sessions and reads every one back`, async () => {
        const ids = Array.from({ length: manySessions }, () => newId());
        const dataFor = (i: number) => ({ n: String(i), cart: JSON.stringify({ items: [i] }) });
        await inBatches(ids, async (id, i) => {
          assertJsonEqual(await create(id, dataFor(i)), { status: 'ok' });
        });
        let found = 0;
        await inBatches(ids, async (id, i) => {
          assertJsonEqual(await dataOf(id), dataFor(i));
          found++;
        });
        assert.equal(found, manySessions);
        await inBatches(ids, (id) => store.destroy(id));
      }, 120_000);
    });
  });
}

/** Run `work` over `items` with at most `width` calls in flight. */
async function inBatches<T>(
  items: T[],
  work: (item: T, index: number) => Promise<unknown>,
  width = 250,
): Promise<void> {
  for (let start = 0; start < items.length; start += width) {
    await Promise.all(items.slice(start, start + width).map((item, i) => work(item, start + i)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sleepUntil(epochMs: number): Promise<void> {
  return sleep(Math.max(0, epochMs - Date.now()));
}
