import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  MemorySessionStore,
  type MemorySessionStoreOptions,
} from '../../src/stores/memory/memory-session-store.js';
import type { SessionMetadata } from '../../src/store/session-record.js';
import type { StoreExpiry } from '../../src/store/session-expiry.js';
import { TestClock } from '../../src/testing/test-clock.js';
import type { ExpiryWheel } from '../../src/stores/memory/expiry-wheel.js';

/** Ids held by the store's expiry wheel (internal: read for the bound it must keep). */
function wheelSizeOf(store: MemorySessionStore): number {
  return (store as unknown as { wheel: ExpiryWheel }).wheel.size;
}

/** Heap in use after a full collection (gc exposed at run time; Jest does not pass the flag). */
function heapUsedAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

// What only the memory store does: its bound, its sweep, value isolation and its timer.
describe('MemorySessionStore', () => {
  const clock = new TestClock();
  const stores: MemorySessionStore[] = [];
  const open = (options: MemorySessionStoreOptions = {}) => {
    const store = new MemorySessionStore({ now: clock.now, ...options });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    clock.set(Date.now());
  });

  const metadata = (lifeMs = 60_000): SessionMetadata => ({
    createdAt: clock.now(),
    lastSeenAt: clock.now(),
    idleExpiresAt: clock.now() + lifeMs,
    absoluteExpiresAt: null,
  });
  const create = (store: MemorySessionStore, id: string, lifeMs?: number) =>
    store.set(id, {
      mode: 'create',
      metadata: metadata(lifeMs),
      set: { id: `"${id}"` },
      remove: [],
    });

  describe('bound', () => {
    it('evicts the least recently used session past maxSessions, counting a read as use', async () => {
      const store = open({ maxSessions: 3 });
      for (const id of ['a', 'b', 'c']) await create(store, id);
      await store.get('a'); // now b is the least recently used
      await create(store, 'd');
      expect(store.size).toBe(3);
      expect(await store.get('b')).toBeNull();
      for (const id of ['a', 'c', 'd']) expect(await store.get(id)).not.toBeNull();
    });

    it('counts a write and a touch as use too', async () => {
      const store = open({ maxSessions: 2 });
      await create(store, 'a');
      await create(store, 'b');
      await store.touch('a', { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + 60_000 });
      await create(store, 'c'); // b goes
      expect(await store.get('b')).toBeNull();
      await store.set('a', { mode: 'update', metadata: metadata(), set: { x: '1' }, remove: [] });
      await create(store, 'd'); // c goes
      expect(await store.get('c')).toBeNull();
      expect(await store.get('a')).not.toBeNull();
      expect(await store.get('d')).not.toBeNull();
    });

    it('evicts exactly in least-recently-used order over many creates, reads, destroys and refills', async () => {
      // A model of the bound: an array, most recent last. Enough operations that the store's map
      // rehashes many times, empties, and fills again.
      const limit = 50;
      const store = open({ maxSessions: limit });
      let model: string[] = [];
      const use = (id: string) => {
        model = model.filter((held) => held !== id);
        model.push(id);
        if (model.length > limit) model.shift();
      };
      let next = 0;
      let seed = 7;
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed % n;
      };
      for (let step = 0; step < 5_000; step++) {
        const roll = random(10);
        if (roll < 5 || model.length === 0) {
          const id = `s${next++}`;
          await create(store, id);
          use(id);
        } else if (roll < 8) {
          const id = model[random(model.length)];
          expect(await store.get(id)).not.toBeNull();
          use(id);
        } else if (roll < 9) {
          const id = model[random(model.length)];
          await store.destroy(id);
          model = model.filter((held) => held !== id);
        } else if (step % 500 === 9) {
          for (const id of model) await store.destroy(id);
          model = [];
        }
        expect(store.size).toBe(model.length);
      }
      for (let i = 0; i < next; i++) {
        const id = `s${i}`;
        expect({ id, held: (await store.get(id)) !== null }).toEqual({
          id,
          held: model.includes(id),
        });
        if (model.includes(id)) use(id);
      }
    });

    it('refuses a maxSessions that is not a positive integer', () => {
      expect(() => open({ maxSessions: 0 })).toThrow(/maxSessions/);
      expect(() => open({ maxSessions: 1.5 })).toThrow(/maxSessions/);
    });
  });

  describe('sweep', () => {
    it('removes the expired sessions and leaves the live ones alone', async () => {
      const store = open();
      const expired = Array.from({ length: 50 }, () => randomUUID());
      const live = Array.from({ length: 50 }, () => randomUUID());
      for (const id of expired) await create(store, id, 1_000);
      for (const id of live) await create(store, id, 60_000);
      const touched = expired[0]!;
      await store.touch(touched, { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + 60_000 });
      const before = await store.get(live[0]!);

      clock.advance(5_000);
      expect(await store.sweep()).toBe(49);
      expect(store.size).toBe(51);
      for (const id of [...live, touched]) expect(await store.get(id)).not.toBeNull();
      expect(await store.get(live[0]!)).toEqual(before);
    });

    it('sweeps many sessions in slices without losing any', async () => {
      const store = open();
      for (let i = 0; i < 12_000; i++) await create(store, `s${i}`, 1_000 + (i % 3) * 1_000);
      clock.advance(10_000);
      expect(await store.sweep()).toBe(12_000);
      expect(store.size).toBe(0);
    });

    it('moves a touched session out of its earlier bucket, and sweeps it once it expires', async () => {
      const store = open();
      await create(store, 'busy', 1_000);
      for (let i = 0; i < 5; i++) {
        clock.advance(900);
        await store.touch('busy', { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + 1_000 });
        expect(await store.sweep()).toBe(0); // its earlier buckets came due, empty
        expect(wheelSizeOf(store)).toBe(1); // filed once, in its latest bucket only
      }
      expect(store.size).toBe(1);
      clock.advance(2_000);
      expect(await store.sweep()).toBe(1);
      expect(await store.get('busy')).toBeNull();
    });

    it('runs on its own every sweepIntervalMs', async () => {
      const store = open({ sweepIntervalMs: 20 });
      await create(store, 'short', 1_000);
      clock.advance(3_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(store.size).toBe(0);
    });
  });

  describe('expiry reports', () => {
    const listen = (store: MemorySessionStore) => {
      const reports: StoreExpiry[] = [];
      store.onExpired((report) => reports.push(report));
      return reports;
    };

    it('reports each session its sweep removes, with the cause and the sweep time', async () => {
      const store = open();
      const reports = listen(store);
      await create(store, 'idle', 1_000);
      await store.set('capped', {
        mode: 'create',
        metadata: { ...metadata(60_000), absoluteExpiresAt: clock.now() + 1_000 },
        set: {},
        remove: [],
      });
      await create(store, 'live', 60_000);
      clock.advance(3_000);
      expect(reports).toEqual([]); // nothing until the sweep runs
      expect(await store.sweep()).toBe(2);
      const at = clock.now();
      expect(reports.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
        { key: 'capped', cause: 'absolute', at },
        { key: 'idle', cause: 'idle', at },
      ]);
    });

    it('reports a session that a call finds expired before the sweep, and the sweep then does not', async () => {
      const store = open();
      const reports = listen(store);
      await create(store, 'early', 1_000);
      clock.advance(3_000);
      expect(await store.get('early')).toBeNull();
      expect(reports).toEqual([{ key: 'early', cause: 'idle', at: clock.now() }]);
      expect(await store.sweep()).toBe(0);
      expect(reports).toHaveLength(1);
    });

    it('does not report a session evicted by maxSessions', async () => {
      const store = open({ maxSessions: 1 });
      const reports = listen(store);
      await create(store, 'first', 1_000);
      await create(store, 'second', 1_000);
      clock.advance(3_000);
      await store.sweep();
      expect(reports.map((report) => report.key)).toEqual(['second']);
    });

    it('reports from its own timer', async () => {
      const store = open({ sweepIntervalMs: 20 });
      const reports = listen(store);
      await create(store, 'timed', 1_000);
      clock.advance(3_000);
      const deadline = Date.now() + 5_000;
      while (reports.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(reports.map((report) => report.key)).toEqual(['timed']);
    });
  });

  describe('a flood of new sessions', () => {
    it('keeps the expiry wheel within maxSessions over 1,000,000 creates, and the heap flat', async () => {
      const store = open({ maxSessions: 1_000 });
      for (let i = 0; i < 1_000; i++) await create(store, `warm${i}`);
      const heapBefore = heapUsedAfterGc();
      for (let i = 0; i < 1_000_000; i++) {
        if (i % 1_000 === 0) clock.advance(1_000); // spread over many expiry buckets too
        await create(store, `flood${i}`);
      }
      expect(store.size).toBe(1_000);
      expect(wheelSizeOf(store)).toBe(1_000);
      const grownMB = (heapUsedAfterGc() - heapBefore) / 1024 / 1024;
      // Evicted ids left in the wheel cost ~40 MB here (1,000,000 ids and their strings).
      expect(grownMB).toBeLessThan(10);
      for (let i = 999_000; i < 1_000_000; i++) {
        expect(await store.get(`flood${i}`)).not.toBeNull();
      }
    }, 120_000);

    it('takes a session out of the wheel when it is destroyed or compare-and-deleted', async () => {
      const store = open();
      await create(store, 'a');
      await create(store, 'b');
      expect(wheelSizeOf(store)).toBe(2);
      await store.destroy('a');
      expect(await store.destroyIfUnchanged('b', { id: 1 })).toBe('destroyed');
      expect(wheelSizeOf(store)).toBe(0);
      clock.advance(120_000);
      expect(await store.sweep()).toBe(0);
    });
  });

  describe('isolation', () => {
    it('hands out copies: changing what get returned changes nothing in the store', async () => {
      const store = open();
      await create(store, 'a');
      const first = (await store.get('a'))!;
      const snapshot = structuredClone(first);
      first.data.id = '"changed"';
      first.data.extra = '1';
      first.metadata.idleExpiresAt = 0;
      first.revisions.id = 99;
      expect(await store.get('a')).toEqual(snapshot);
    });

    it('keeps its own copy of what it was given to write', async () => {
      const store = open();
      const write = { mode: 'create' as const, metadata: metadata(), set: { a: '1' }, remove: [] };
      await store.set('a', write);
      const snapshot = structuredClone(await store.get('a'));
      write.set.a = '2';
      write.metadata.idleExpiresAt = 0;
      expect(await store.get('a')).toEqual(snapshot);
    });
  });

  describe('timer', () => {
    const timerOf = (store: MemorySessionStore) =>
      (store as unknown as { timer: NodeJS.Timeout | undefined }).timer;

    it('never holds the process open', () => {
      const timer = timerOf(open());
      expect(timer).toBeDefined();
      expect(timer!.hasRef()).toBe(false);
    });

    it('stops when the store is closed', async () => {
      const store = open({ sweepIntervalMs: 20 });
      await store.close();
      expect(timerOf(store)).toBeUndefined();
      await create(store, 'short', 1_000);
      clock.advance(3_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(store.size).toBe(1); // nothing swept it
    });
  });
});
