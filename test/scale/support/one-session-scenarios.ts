import { expect, it } from '@jest/globals';
import { Browser } from '../../support/http-client.js';
import type { AppProcess } from './app-processes.js';

/**
 * The scale-out scenarios, for app processes that share one store: whatever process serves a
 * request, it sees the one truth of the session. `apps()` is read when a test runs (after the
 * suite's beforeAll started them).
 */
export function oneSessionAcrossProcesses(apps: () => AppProcess[]): void {
  /** A client that sends full URLs, so one cookie jar serves every process. */
  const client = () => new Browser('');

  it('a client rotating over the processes sees every write on its next request', async () => {
    const processes = apps();
    const browser = client();
    const written: string[] = [];
    for (let i = 0; i < 12; i++) {
      const writer = processes[i % processes.length];
      const reader = processes[(i + 1) % processes.length];
      const sku = `rotating-${i}`;
      const added = await browser.post(`${writer.url}/cart/item`, { sku });
      expect(added.status).toBe(200);
      written.push(sku);
      const seen = await browser.get(`${reader.url}/session`);
      expect(seen.status).toBe(200);
      expect(seen.body.cart).toEqual(written);
    }
  }, 60_000);

  it('100 concurrent adds spread over the processes keep all 100 under @SessionLock()', async () => {
    const processes = apps();
    const browser = client();
    expect((await browser.post(`${processes[0].url}/cart/item`, { sku: 'first' })).status).toBe(
      200,
    );
    const adds = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        browser.post(`${processes[i % processes.length].url}/cart/add`, { sku: `locked-${i}` }),
      ),
    );
    // Statuses and messages, so a failure says what went wrong (a 423 is a lock wait run out).
    const failures = adds.filter((reply) => reply.status !== 200);
    expect(failures.map((reply) => `${reply.status} ${JSON.stringify(reply.body)}`)).toEqual([]);
    for (const app of processes) {
      const seen = await browser.get(`${app.url}/session`);
      expect(seen.body.cart).toHaveLength(101);
      expect(new Set(seen.body.cart).size).toBe(101);
    }
    // Bounded: 100 adds one at a time; the lock waits up to 60 s on a loaded machine.
  }, 120_000);

  it('cart and prefs written at the same time from different processes both survive', async () => {
    const processes = apps();
    const browser = client();
    expect((await browser.get(`${processes[0].url}/session`)).body.isNew).toBe(true);
    expect((await browser.post(`${processes[0].url}/cart/item`, { sku: 'c-0' })).status).toBe(200);
    for (let round = 1; round <= 10; round++) {
      const cartWriter = processes[round % processes.length];
      const prefsWriter = processes[(round + 1) % processes.length];
      const [cart, prefs] = await Promise.all([
        browser.post(`${cartWriter.url}/cart/item`, { sku: `c-${round}` }),
        browser.post(`${prefsWriter.url}/prefs`, { sku: `p-${round}` }),
      ]);
      expect([cart.status, prefs.status]).toEqual([200, 200]);
    }
    const seen = await browser.get(`${processes[3 % processes.length].url}/session`);
    expect(seen.body.cart).toEqual(Array.from({ length: 11 }, (_, i) => `c-${i}`));
    expect(seen.body.prefs).toEqual(Array.from({ length: 10 }, (_, i) => `p-${i + 1}`));
  }, 60_000);

  it('logout on one process is final on all of them', async () => {
    const processes = apps();
    const browser = client();
    for (const [i, app] of processes.entries()) {
      expect((await browser.post(`${app.url}/cart/item`, { sku: `before-${i}` })).status).toBe(200);
    }
    const loggedOut = browser.cookie!;
    // Every process has served (and so may have cached anything about) the session by now.
    expect((await browser.post(`${processes[2 % processes.length].url}/logout`)).status).toBe(200);
    expect(browser.cookie).toBeUndefined();
    for (const app of processes) {
      const seen = await browser.get(`${app.url}/session`, { cookie: loggedOut });
      expect(seen.body).toEqual({ isNew: true, cart: [], prefs: [] });
    }
    // A write with the old cookie starts a new session under a new id; the old one stays dead.
    const stale = await browser.post(
      `${processes[3 % processes.length].url}/cart/item`,
      { sku: 'after' },
      { cookie: loggedOut },
    );
    expect(stale.status).toBe(200);
    expect(browser.cookie).toBeDefined();
    expect(browser.cookie).not.toBe(loggedOut);
    for (const app of processes) {
      const seen = await browser.get(`${app.url}/session`, { cookie: loggedOut });
      expect(seen.body.cart).toEqual([]);
    }
  }, 60_000);
}
