import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { StoreExpiry } from '../store/session-expiry.js';
import type { SessionMetadata } from '../store/session-record.js';
import type { SessionStore } from '../store/session-store.js';
import type { TestClock } from './test-clock.js';
import type { ResolvedTestRunner } from './test-runner.js';

/** For a store that reports expired sessions itself (`onExpired`). */
export interface ExpiryReportConformance {
  /**
   * Make the store notice sessions whose expiry the clock has passed: the memory store's
   * `sweep()`, PostgreSQL's `deleteExpired()`. Omit it for a store whose own TTL does it in real
   * time (Redis): the suite then waits for the report.
   */
  reap?: (store: SessionStore) => Promise<unknown>;
  /** Whether the store tells an idle from an absolute expiry (Redis cannot: `'unknown'`). */
  knowsCause: boolean;
  /** Awaited after subscribing, before any session is written (Redis: until it is subscribed). */
  ready?: (store: SessionStore) => Promise<unknown>;
}

/** Real time a session given a short expiry lives, for stores whose own TTL removes it. */
const SHORT_MS = 300;
/** How long a report may take to arrive: a TTL store's expiry cycle, a loaded machine. */
const REPORT_WAIT_MS = 10_000;

/** The expiry-report part of `runSessionStoreConformance`. */
export function describeExpiryReports(
  runner: ResolvedTestRunner,
  expiry: ExpiryReportConformance,
  clock: TestClock,
  store: () => SessionStore,
): void {
  const { describe, it, beforeAll, afterAll } = runner;

  describe('expiry reports (onExpired)', () => {
    const reports: StoreExpiry[] = [];
    let stop: (() => void) | undefined;

    beforeAll(async () => {
      const onExpired = store().onExpired;
      assert.equal(typeof onExpired, 'function', 'the store has no onExpired');
      stop = store().onExpired!((report) => reports.push(report));
      await expiry.ready?.(store());
    });
    afterAll(() => stop?.());

    const metadata = (overrides: Partial<SessionMetadata>): SessionMetadata => ({
      createdAt: clock.now(),
      lastSeenAt: clock.now(),
      idleExpiresAt: clock.now() + 20 * 60_000,
      absoluteExpiresAt: null,
      ...overrides,
    });
    const create = (id: string, meta: SessionMetadata) =>
      store().set(id, { mode: 'create', metadata: meta, set: { a: '1' }, remove: [] });
    const shortIdle = () => metadata({ idleExpiresAt: clock.now() + SHORT_MS });
    /** Past every short expiry (and past the memory store's one-second buckets), then reap. */
    const passExpiry = async () => {
      clock.advance(2_000);
      await expiry.reap?.(store());
    };
    const reportsOf = (key: string, from = reports) => from.filter((report) => report.key === key);
    const waitForReport = async (key: string, from = reports) => {
      const deadline = Date.now() + REPORT_WAIT_MS;
      while (reportsOf(key, from).length === 0) {
        if (Date.now() > deadline) assert.fail(`no expiry report for ${key}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return reportsOf(key, from)[0];
    };

    it(
      'reports a session its idle timeout ended, once, by the key it was stored under',
      async () => {
        const id = randomUUID();
        await create(id, shortIdle());
        const before = clock.now();
        await passExpiry();
        const report = await waitForReport(id);
        assert.equal(report.cause, expiry.knowsCause ? 'idle' : 'unknown');
        assert.ok(report.at >= before, 'reported at the time it was noticed');
        assert.equal(await store().get(id), null);
        await passExpiry();
        assert.equal(reportsOf(id).length, 1);
      },
      REPORT_WAIT_MS + 5_000,
    );

    it(
      'names the absolute timeout when that ended it',
      async () => {
        const id = randomUUID();
        await create(id, metadata({ absoluteExpiresAt: clock.now() + SHORT_MS }));
        await passExpiry();
        const report = await waitForReport(id);
        assert.equal(report.cause, expiry.knowsCause ? 'absolute' : 'unknown');
      },
      REPORT_WAIT_MS + 5_000,
    );

    it(
      'reports neither a destroyed session nor one kept alive by a touch',
      async () => {
        const [expired, destroyed, regenerated, touched] = [
          randomUUID(),
          randomUUID(),
          randomUUID(),
          randomUUID(),
        ];
        for (const id of [expired, destroyed, regenerated, touched]) await create(id, shortIdle());
        await store().destroy(destroyed);
        assert.equal(await store().destroyIfUnchanged(regenerated, { a: 1 }), 'destroyed');
        await store().touch(touched, {
          lastSeenAt: clock.now(),
          idleExpiresAt: clock.now() + 60_000,
        });
        await passExpiry();
        await waitForReport(expired);
        // The others would have expired at the same instant: one more cycle, and none came.
        await new Promise((resolve) => setTimeout(resolve, expiry.reap ? 0 : 1_000));
        await expiry.reap?.(store());
        for (const id of [destroyed, regenerated, touched])
          assert.equal(reportsOf(id).length, 0, id);
        assert.ok(await store().get(touched), 'the touched session is still there');
      },
      REPORT_WAIT_MS + 5_000,
    );

    it(
      'keeps reporting to the other listeners when one throws, and stops once unsubscribed',
      async () => {
        const kept: StoreExpiry[] = [];
        const dropped: StoreExpiry[] = [];
        const stopThrowing = store().onExpired!(() => {
          throw new Error('a listener that throws (expected in this test)');
        });
        const stopKept = store().onExpired!((report) => kept.push(report));
        const stopDropped = store().onExpired!((report) => dropped.push(report));
        try {
          const first = randomUUID();
          await create(first, shortIdle());
          await passExpiry();
          await waitForReport(first, kept);
          await waitForReport(first, dropped);

          stopDropped();
          const second = randomUUID();
          await create(second, shortIdle());
          await passExpiry();
          await waitForReport(second, kept);
          assert.equal(reportsOf(second, dropped).length, 0);
        } finally {
          stopThrowing();
          stopKept();
          stopDropped();
        }
      },
      2 * REPORT_WAIT_MS + 5_000,
    );
  });
}
