import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { SessionStore } from '../store/session-store.js';
import type { SessionMetadata, SessionWrite } from '../store/session-record.js';
import type { SessionOwner } from '../store/session-owner.js';
import { assertJsonEqual } from './assert-json-equal.js';
import type { TestClock } from './test-clock.js';
import type { ResolvedTestRunner } from './test-runner.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** What the user-index cases need of the suite around them. */
export interface UserIndexCaseContext {
  runner: ResolvedTestRunner;
  store: () => SessionStore;
  clock: TestClock;
  /** Sessions of the scale case (spread over a tenth as many users). */
  manySessions: number;
}

/**
 * The optional capability "sessions of a user" (`listForUser` / `destroyForUser`), for every
 * store: a store without it must lack both methods and still keep a binding it is given.
 */
export function userIndexCases({ runner, store, clock, manySessions }: UserIndexCaseContext): void {
  const { describe, it } = runner;
  const metadata = (overrides: Partial<SessionMetadata> = {}): SessionMetadata => ({
    createdAt: clock.now(),
    lastSeenAt: clock.now(),
    idleExpiresAt: clock.now() + 20 * MINUTE,
    absoluteExpiresAt: clock.now() + DAY,
    ...overrides,
  });
  const owner = (userId: string, info: SessionOwner['info'] = {}): SessionOwner => ({
    userId,
    info,
  });
  const create = (id: string, write: Partial<SessionWrite> = {}) =>
    store().set(id, {
      mode: 'create',
      metadata: metadata(),
      set: { n: '1' },
      remove: [],
      ...write,
    });
  const update = (id: string, write: Partial<SessionWrite> = {}) =>
    store().set(id, { mode: 'update', metadata: metadata(), set: {}, remove: [], ...write });
  const newUser = () => `user-${randomUUID()}`;
  const indexed = () => {
    const s = store();
    return typeof s.listForUser === 'function' && typeof s.destroyForUser === 'function';
  };
  const listIds = async (userId: string) =>
    (await store().listForUser!(userId)).map((entry) => entry.id).sort();

  describe('sessions of a user (optional: listForUser / destroyForUser)', () => {
    it('has both methods or neither, and keeps a binding it is given either way', async () => {
      const s = store();
      assert.equal(typeof s.listForUser, typeof s.destroyForUser);
      const id = randomUUID();
      const bound = owner(newUser(), { agent: 'Firefox', ip: '10.0.0.1' });
      assertJsonEqual(await create(id, { owner: bound }), { status: 'ok' });
      assertJsonEqual((await s.get(id))?.owner, bound);
      assertJsonEqual(await update(id, { set: { n: '2' } }), { status: 'ok' });
      assertJsonEqual((await s.get(id))?.owner, bound); // an update without owner keeps it
      assertJsonEqual(await update(id, { owner: null }), { status: 'ok' });
      assert.equal((await s.get(id))?.owner, undefined, 'owner null unbinds');
      await s.destroy(id);
    });

    it("lists a bound session with its metadata and info, and never another user's", async () => {
      if (!indexed()) return;
      const [alice, bob] = [newUser(), newUser()];
      const [a1, a2, b1, loose] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const info = { agent: 'Safari 17 📱', ip: '2001:db8::1', tags: [1, 'x', []], deep: {} };
      const meta = metadata({ createdAt: clock.now() - 5_000 });
      await create(a1, { owner: owner(alice, info), metadata: meta });
      await create(a2, { owner: owner(alice) });
      await create(b1, { owner: owner(bob) });
      await create(loose);
      const listed = await store().listForUser!(alice);
      assert.deepEqual(listed.map((entry) => entry.id).sort(), [a1, a2].sort());
      const first = listed.find((entry) => entry.id === a1)!;
      assertJsonEqual(first.metadata, meta);
      assertJsonEqual(first.info, info);
      assert.deepEqual(await listIds(bob), [b1]);
      assert.deepEqual(await listIds(newUser()), []);
      await Promise.all([a1, a2, b1, loose].map((id) => store().destroy(id)));
    });

    it('follows rebinding, unbinding and a create over a bound id', async () => {
      if (!indexed()) return;
      const [alice, bob] = [newUser(), newUser()];
      const id = randomUUID();
      await create(id, { owner: owner(alice) });
      await update(id, { owner: owner(bob, { device: 'new' }) });
      assert.deepEqual(await listIds(alice), []);
      assert.deepEqual(await listIds(bob), [id]);
      assertJsonEqual((await store().listForUser!(bob))[0].info, { device: 'new' });
      await update(id, { owner: null });
      assert.deepEqual(await listIds(bob), []);
      await update(id, { owner: owner(alice) });
      await create(id); // a create is a whole new record: unbound
      assert.deepEqual(await listIds(alice), []);
      assert.equal((await store().get(id))?.owner, undefined);
      await store().destroy(id);
    });

    it('moves with a regenerate (create the copy bound, destroyIfUnchanged the old id)', async () => {
      if (!indexed()) return;
      const user = newUser();
      const [old, copy] = [randomUUID(), randomUUID()];
      await create(old, { owner: owner(user, { n: 1 }) });
      const snapshot = (await store().get(old))!.revisions;
      await create(copy, { owner: owner(user, { n: 1 }) });
      assert.equal(await store().destroyIfUnchanged(old, snapshot), 'destroyed');
      assert.deepEqual(await listIds(user), [copy]);
      await store().destroy(copy);
      assert.deepEqual(await listIds(user), [], 'destroy takes it out of the index');
    });

    it('never lists an expired session, and shows the times a touch moved', async () => {
      if (!indexed()) return;
      const user = newUser();
      const [idle, absolute, touched] = [randomUUID(), randomUUID(), randomUUID()];
      await create(idle, {
        owner: owner(user),
        metadata: metadata({ idleExpiresAt: clock.now() + MINUTE }),
      });
      await create(absolute, {
        owner: owner(user),
        metadata: metadata({ absoluteExpiresAt: clock.now() + 2 * MINUTE }),
      });
      await create(touched, {
        owner: owner(user),
        metadata: metadata({ idleExpiresAt: clock.now() + MINUTE }),
      });
      await store().touch(touched, {
        lastSeenAt: clock.now() + 30_000,
        idleExpiresAt: clock.now() + 10 * MINUTE,
      });
      clock.advance(MINUTE);
      assert.deepEqual(await listIds(user), [absolute, touched].sort());
      const entry = (await store().listForUser!(user)).find((e) => e.id === touched)!;
      assert.equal(entry.metadata.lastSeenAt, clock.now() - MINUTE + 30_000);
      assert.equal(entry.metadata.idleExpiresAt, clock.now() - MINUTE + 10 * MINUTE);
      clock.advance(MINUTE);
      assert.deepEqual(await listIds(user), [touched]);
      clock.advance(10 * MINUTE);
      assert.deepEqual(await listIds(user), []);
      assert.deepEqual(await store().destroyForUser!(user), [], 'expired ones are not counted');
    });

    it('indexes nothing for a write that was refused (missing, conflict)', async () => {
      if (!indexed()) return;
      const user = newUser();
      const [gone, held] = [randomUUID(), randomUUID()];
      assertJsonEqual(await update(gone, { owner: owner(user) }), { status: 'missing' });
      await create(held, { set: { cart: '[]' } });
      const refused = await update(held, {
        owner: owner(user),
        set: { cart: '[1]' },
        expectRevisions: { cart: 0 },
      });
      assert.equal(refused.status, 'conflict');
      assert.deepEqual(await listIds(user), []);
      assert.equal((await store().get(held))?.owner, undefined);
      await store().destroy(held);
    });

    it("destroys every session of the user but the one spared, and no one else's", async () => {
      if (!indexed()) return;
      const [user, other] = [newUser(), newUser()];
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      const others = randomUUID();
      for (const id of ids) await create(id, { owner: owner(user) });
      await create(others, { owner: owner(other) });
      const destroyed = await store().destroyForUser!(user, { except: ids[0] });
      assert.deepEqual([...destroyed].sort(), [ids[1], ids[2]].sort());
      assert.equal(await store().get(ids[1]), null);
      assert.equal(await store().get(ids[2]), null);
      assert.notEqual(await store().get(ids[0]), null);
      assert.deepEqual(await listIds(user), [ids[0]]);
      assertJsonEqual(await update(ids[1], { set: { n: '9' } }), { status: 'missing' });
      assert.deepEqual(await store().destroyForUser!(user), [ids[0]]);
      assert.equal(await store().get(ids[0]), null);
      assert.deepEqual(await listIds(other), [others]);
      assert.deepEqual(await store().destroyForUser!(newUser()), []);
      await store().destroy(others);
    });

    it(`lists ${manySessions} sessions of ${manySessions / 10} users, ten each`, async () => {
      if (!indexed()) return;
      const users = Array.from({ length: manySessions / 10 }, () => newUser());
      const ids = Array.from({ length: manySessions }, () => randomUUID());
      for (let start = 0; start < ids.length; start += 250) {
        await Promise.all(
          ids
            .slice(start, start + 250)
            .map((id, n) => create(id, { owner: owner(users[(start + n) % users.length]) })),
        );
      }
      for (let start = 0; start < users.length; start += 100) {
        await Promise.all(
          users.slice(start, start + 100).map(async (user, n) => {
            const listed = await listIds(user);
            const expected = ids.filter((_, i) => i % users.length === start + n).sort();
            assert.deepEqual(listed, expected);
          }),
        );
      }
      for (let start = 0; start < users.length; start += 100) {
        await Promise.all(users.slice(start, start + 100).map((u) => store().destroyForUser!(u)));
      }
      assert.equal(await store().get(ids[0]), null);
    }, 180_000);
  });
}
