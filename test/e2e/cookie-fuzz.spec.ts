import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { ForgedCookies, SeededRandom, carriesRealValue } from '../support/cookie-fuzz.js';
import { requestInProcess } from '../support/in-process-request.js';
import { PLATFORMS } from '../support/platforms.js';
import { SECRET, startSessionApp, type SessionApp } from '../support/session-app.js';

// 100,000 forged cookies per platform by default; FUZZ_COUNT changes it, FUZZ_SEED replays a run.
const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/**
 * Requests in flight at once. In-process there is no socket to wait on, so a few are enough to
 * overlap the app's awaits; more only keep more garbage alive between collections (32 cost about
 * 20% more CPU than 4 for the same cookies).
 */
const IN_FLIGHT = 4;
/**
 * In-process, a request needs no I/O, so the workers' loop of promises never leaves the
 * microtask queue and Node's nextTick queue (where each request leaves a tick holding it) is not
 * drained until the loop ends: every request, with its header of up to 256 KB, stayed alive for
 * the whole run (a heap snapshot at 300 MB held 17,185 of them, reached from the tick queue),
 * enough to exhaust the heap when the suite runs in one process. Each worker lets the event loop
 * turn every YIELD_EVERY requests.
 */
const YIELD_EVERY = 64;
const turn = setImmediate;
const nextTurn = () => new Promise<void>((resolve) => turn(resolve));
/** A header of only printable ASCII and tabs is the same in UTF-8 and latin1: no re-encoding. */
const NON_ASCII = /[^ -~\t]/;

interface Answer {
  status: number;
  body: string;
  setCookie?: string | string[];
}

/**
 * In-process requests (no socket, no HTTP parser: see requestInProcess) on both platforms. The
 * header is sent as the bytes a browser would (UTF-8, read by Node as latin1), so that unicode
 * reaches the library as it would from a real client.
 */
function sender(app: SessionApp) {
  const server = app.app.getHttpServer() as Server;
  return async (
    method: 'GET' | 'POST',
    path: string,
    cookie: string | undefined,
    payload?: object,
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (cookie !== undefined)
      headers.cookie = NON_ASCII.test(cookie)
        ? Buffer.from(cookie, 'utf8').toString('latin1')
        : cookie;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const reply = await requestInProcess(
      server,
      method,
      path,
      headers,
      payload === undefined ? undefined : JSON.stringify(payload),
    );
    return {
      status: reply.status,
      body: reply.body,
      setCookie: reply.headers['set-cookie'] as Answer['setCookie'],
    };
  };
}

/** Whether an answer shows the real session: /bag names its id, /cart lists its item. */
function showsRealSession(path: string, answer: Answer, realId: string): boolean {
  if (answer.status !== 200) return false;
  const body = JSON.parse(answer.body) as { id?: string; isNew?: boolean; items?: unknown[] };
  return path === '/bag'
    ? body.isNew === false || body.id === realId
    : (body.items ?? []).length > 0;
}

function storeCalls(app: SessionApp): number {
  return Object.values(app.store.calls).reduce((sum, n) => sum + n, 0);
}

describe.each(PLATFORMS)('forged session cookies on %s', (platform) => {
  let app: SessionApp;
  let client: ReturnType<typeof sender>;
  const send = (path: string, cookie: string) => client('GET', path, cookie);
  let real: string;
  let realId: string;

  beforeAll(async () => {
    app = await startSessionApp(platform);
    client = sender(app);
    const created = await client('POST', '/cart', undefined, { sku: 'real', quantity: 1 });
    const line = ([] as string[]).concat(created.setCookie ?? [])[0] ?? '';
    real = /^sid=([^;]+)/.exec(line)?.[1] ?? '';
    realId = real.split('.')[0];
  });
  afterAll(() => app.close());

  it('positive control: the real cookie is accepted through the same path, and reads the store', async () => {
    expect(real).toMatch(/^[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$/);
    expect(carriesRealValue(`sid=${real}`, real)).toBe(true);
    app.store.reset();
    for (const path of ['/bag', '/cart']) {
      const answer = await send(path, `sid=${real}`);
      expect(showsRealSession(path, answer, realId)).toBe(true);
    }
    expect(app.store.calls.get).toBeGreaterThan(0);
  });

  it(`${COUNT} structure-aware forged cookies (FUZZ_SEED=${SEED}): 0 accepted, 0 store calls, 0 5xx`, async () => {
    const forged = new ForgedCookies(new SeededRandom(SEED), real, SECRET);
    app.store.reset();
    const accepted: string[] = [];
    const serverErrors: string[] = [];
    const byCategory: Record<string, number> = {};
    let sent = 0;
    const worker = async () => {
      while (sent < COUNT) {
        sent++;
        if (sent % YIELD_EVERY === 0) await nextTurn();
        const { category, header } = forged.cookieHeader();
        byCategory[category] = (byCategory[category] ?? 0) + 1;
        const path = sent % 2 === 0 ? '/bag' : '/cart';
        const answer = await send(path, header);
        const sample = `${category}: ${JSON.stringify(header.slice(0, 200))}`;
        if (answer.status >= 500) serverErrors.push(`${answer.status} ${sample}`);
        else if (showsRealSession(path, answer, realId)) accepted.push(sample);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const calls = storeCalls(app);
    const replay = `replay with FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT}`;
    expect({ accepted: accepted.slice(0, 5), replay }).toEqual({ accepted: [], replay });
    expect({ serverErrors: serverErrors.slice(0, 5), replay }).toEqual({
      serverErrors: [],
      replay,
    });
    expect({ storeCalls: calls, calls: app.store.calls, replay }).toEqual({
      storeCalls: 0,
      calls: app.store.calls,
      replay,
    });
    // Every category was exercised (the generator did what it says).
    expect(Object.keys(byCategory).length).toBeGreaterThanOrEqual(COUNT >= 1_000 ? 14 : 1);
  }, 1_200_000);

  it('the real cookie still works after the fuzz (the app was not worn down)', async () => {
    app.store.reset();
    const answer = await send('/bag', `sid=${real}`);
    expect(showsRealSession('/bag', answer, realId)).toBe(true);
    expect(app.store.calls.get).toBe(1);
  });
});
