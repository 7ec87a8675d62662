import { afterEach, describe, expect, it } from '@jest/globals';
import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.js';
import type { SessionMetadata, SessionWrite } from '../../src/store/session-record.js';
import { GatedStore } from '../support/gated-store.js';

const metadata = (): SessionMetadata => ({
  createdAt: Date.now(),
  lastSeenAt: Date.now(),
  idleExpiresAt: Date.now() + 60_000,
  absoluteExpiresAt: null,
});
const create = (set: Record<string, string>): SessionWrite => ({
  mode: 'create',
  metadata: metadata(),
  set,
  remove: [],
});

/** Whether `promise` has settled, after letting every pending callback run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('GatedStore (the test helper that holds a chosen store call)', () => {
  const stores: GatedStore[] = [];
  const open = () => {
    const store = new GatedStore(new MemorySessionStore());
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it('holds the chosen call before the store sees it, while other calls go through', async () => {
    const store = open();
    const gate = store.pauseNext('set', { matches: (id) => id === 'new' });
    const held = store.set('new', create({ a: '1' }));
    await gate.reached;
    expect(gate.args?.[0]).toBe('new');
    expect(await settled(held)).toBe(false);
    expect(await store.set('other', create({ b: '1' }))).toEqual({ status: 'ok' });
    expect(await store.get('new')).toBeNull(); // not applied yet
    gate.release();
    expect(await held).toEqual({ status: 'ok' });
    expect((await store.get('new'))?.data).toEqual({ a: '1' });
  });

  it("with at: 'after', applies the call and holds only its answer", async () => {
    const store = open();
    const gate = store.pauseNext('set', { at: 'after' });
    const held = store.set('s', create({ a: '1' }));
    await gate.reached;
    expect((await store.get('s'))?.data).toEqual({ a: '1' }); // applied
    expect(await settled(held)).toBe(false);
    gate.release();
    expect(await held).toEqual({ status: 'ok' });
  });

  it('holds one call per gate: the next matching one, then lets the rest through', async () => {
    const store = open();
    const gate = store.pauseNext('destroy');
    expect(store.waiting).toBe(1);
    const first = store.destroy('a');
    await gate.reached;
    expect(store.waiting).toBe(0);
    await expect(store.destroy('b')).resolves.toBeUndefined();
    expect(await settled(first)).toBe(false);
    gate.release();
    await first;
  });

  it('does not stop a call whose gate was released before it arrived', async () => {
    const store = open();
    const gate = store.pauseNext('get');
    gate.release();
    expect(await store.get('x')).toBeNull();
    await gate.reached;
  });

  it("passes the store's failure on to the caller after release", async () => {
    class FailingStore extends MemorySessionStore {
      override destroyIfUnchanged(): Promise<'destroyed'> {
        return Promise.reject(new Error('down'));
      }
    }
    const failing = new GatedStore(new FailingStore());
    stores.push(failing);
    const gate = failing.pauseNext('destroyIfUnchanged', { at: 'after' });
    const held = failing.destroyIfUnchanged('s', {});
    await gate.reached;
    gate.release();
    await expect(held).rejects.toThrow('down');
  });

  it('lets every held call go on close, so a failed test leaves nothing hanging', async () => {
    const store = open();
    store.pauseNext('touch');
    const held = store.touch('s', { lastSeenAt: 1, idleExpiresAt: 2 });
    await store.close();
    await expect(held).resolves.toBeUndefined();
  });

  it('sets up a regenerate racing a logout, step by step and without sleeps', async () => {
    const store = open();
    await store.set('old', create({ user: '"ann"' }));
    const snapshot = (await store.get('old'))!.revisions;
    const createNew = store.pauseNext('set', {
      matches: (_id, write) => write.mode === 'create',
    });
    // "Request A" regenerates: creates the new id from its snapshot, then compare-and-deletes.
    const regenerate = (async () => {
      await store.set('new', create({ user: '"ann"' }));
      const answer = await store.destroyIfUnchanged('old', snapshot);
      if (answer !== 'destroyed') await store.destroy('new');
      return answer;
    })();
    await createNew.reached;
    await store.destroy('old'); // logout, in between
    createNew.release();
    expect(await regenerate).toBe('missing');
    expect(await store.get('old')).toBeNull();
    expect(await store.get('new')).toBeNull();
  });
});
