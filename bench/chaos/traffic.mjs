// Mixed session traffic over loopback keep-alive connections, each client keeping a journal of
// what it was told was saved; and the check afterwards that every acknowledged write is there.
//
// A client is one connection making one request at a time, like a browser tab. It follows
// Set-Cookie like a browser. Its session "lineage" is the chain of cookies one session went
// through (a login regenerates the id; the cart is kept). Per lineage it journals:
//   - every cart item whose POST /cart answered 2xx (acknowledged: must be in the cart later),
//   - the user of a login that answered 2xx (must be the session's user later),
//   - a logout that answered 2xx (the old session must be gone later: never resurrected).
// Any other answer (503 "may not have been saved", a timeout, a reset connection) is
// "not acknowledged": that write may or may not be there, and it is never counted as lost. After a
// login or logout that was not acknowledged, the lineage is closed as "uncertain" (the old id may
// or may not have been destroyed) and the client starts a new one; the check reports separately
// whether such sessions survived.
import http from 'node:http';

const REQUEST_TIMEOUT_MS = 20_000;
/** Undisturbed seconds in a row after a fault that count as recovered (TrafficStats.recoveryMs). */
const HEALTHY_SECONDS = 3;
/** A client logs out once its cart holds this many acknowledged items (bounded session size). */
const CART_LIMIT = 25;

/** One HTTP request; resolves to { status, body, setCookie, ms } or { status: 0, error, ms }. */
export function request(agent, url, method, path, { cookie, body } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = {};
    if (cookie) headers.cookie = `sid=${cookie}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const req = http.request(`${url}${path}`, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        let parsed;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          parsed = undefined;
        }
        resolve({
          status: res.statusCode,
          body: parsed,
          setCookie: sessionCookieFrom(res.headers['set-cookie']),
          ms: performance.now() - started,
        });
      });
      res.on('error', (error) => resolve({ status: 0, error: error.message, ms: elapsed() }));
    });
    const elapsed = () => performance.now() - started;
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('client timeout')));
    req.on('error', (error) => resolve({ status: 0, error: error.message, ms: elapsed() }));
    req.end(payload);
  });
}

/** `undefined`: no session Set-Cookie; `null`: the cookie was cleared; else the new value. */
function sessionCookieFrom(lines) {
  let result;
  for (const line of lines ?? []) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) !== 'sid') continue;
    const value = pair.slice(eq + 1);
    result = /max-age=0/i.test(line) || value === '' ? null : value;
  }
  return result;
}

const ok = (status) => status >= 200 && status < 300;

/** Counters for a stretch of traffic, with the failures' times to compute recovery. */
export class TrafficStats {
  requests = 0;
  byStatus = {};
  clientErrors = 0;
  maxLatencyMs = 0;
  latencies = [];
  /** performance.now() at which each failed answer (5xx, no answer) arrived. */
  failureTimes = [];
  /** Per second of the run (by arrival): [answers, failed answers, latencies]. */
  seconds = new Map();
  startedAt = performance.now();

  record(op, reply) {
    this.requests++;
    const key = reply.status === 0 ? 'no-answer' : String(reply.status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    if (reply.status === 0) this.clientErrors++;
    if (reply.status === 0 || reply.status >= 500) this.failureTimes.push(performance.now());
    const second = Math.floor((performance.now() - this.startedAt) / 1000);
    let bucket = this.seconds.get(second);
    if (!bucket) this.seconds.set(second, (bucket = { failed: 0, latencies: [] }));
    bucket.latencies.push(reply.ms);
    if (reply.status === 0 || reply.status >= 500) bucket.failed++;
    if (reply.ms > this.maxLatencyMs) this.maxLatencyMs = reply.ms;
    if (this.latencies.length < 2_000_000) this.latencies.push(reply.ms);
  }

  /** Answers that were not 2xx (the workload never provokes a 4xx on a healthy app). */
  get errors() {
    let count = 0;
    for (const [status, n] of Object.entries(this.byStatus)) if (!/^2/.test(status)) count += n;
    return count;
  }

  /**
   * Milliseconds from `faultEnd` (a performance.now() instant) to the start of the first run of
   * HEALTHY_SECONDS whole seconds in a row that were undisturbed: no failed answer, and a median
   * latency at most three times (or 100 ms above) the median of the seconds before `faultStart`.
   * `null` while there is no such run yet. Single slow seconds after that do not count: on a
   * loaded machine they come and go without any fault (the no-fault control scenario shows
   * them), and the last of them can fall anywhere in the run. A hung store answers no errors, so
   * latency is what shows it.
   */
  recoveryMs(faultStart, faultEnd) {
    const median = (values) => {
      const sorted = Float64Array.from(values).sort();
      return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
    };
    const firstFaultSecond = Math.floor((faultStart - this.startedAt) / 1000);
    const before = [];
    for (const [second, bucket] of this.seconds)
      if (second > 0 && second < firstFaultSecond) before.push(median(bucket.latencies));
    const normal = median(before);
    const limit = Math.max(normal * 3, normal + 100);
    const endSecond = (faultEnd - this.startedAt) / 1000;
    // Only whole seconds that have ended: the current one is still filling.
    const lastWhole = Math.floor((performance.now() - this.startedAt) / 1000) - 1;
    let streakStart = null;
    for (let second = Math.floor(endSecond); second <= lastWhole; second++) {
      const bucket = this.seconds.get(second);
      const disturbed = !bucket || bucket.failed > 0 || median(bucket.latencies) > limit;
      if (disturbed) {
        streakStart = null;
        continue;
      }
      streakStart ??= second;
      if (second - streakStart + 1 >= HEALTHY_SECONDS)
        return Math.max(0, (streakStart - endSecond) * 1000);
    }
    return null;
  }

  percentile(p) {
    if (this.latencies.length === 0) return 0;
    const sorted = Float64Array.from(this.latencies).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  }
}

/** Acknowledged cart items checked while the traffic runs (before each logout). */
export class JournalCheck {
  lineagesChecked = 0;
  acknowledgedItems = 0;
  lostItems = 0;
  examples = [];

  check(lineage, items) {
    const present = new Set(items);
    this.lineagesChecked++;
    this.acknowledgedItems += lineage.acknowledgedItems.size;
    for (const sku of lineage.acknowledgedItems) {
      if (present.has(sku)) continue;
      this.lostItems++;
      if (this.examples.length < 5) this.examples.push(`cart item ${sku} lost`);
    }
  }
}

class Lineage {
  cookie = undefined;
  acknowledgedItems = new Set();
  user = null;
  /** 'active' | 'logged-out' (acknowledged) | 'uncertain' (a login/logout not acknowledged) */
  state = 'active';
}

/**
 * Run `connections` clients against `url` until `signal` aborts. Returns the stats and every
 * lineage (for `verifyJournals`).
 */
export async function runTraffic({ url, connections, signal, stats = new TrafficStats() }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const lineages = [];
  const journal = new JournalCheck();
  const clients = [];
  for (let c = 0; c < connections; c++) clients.push(runClient(c));
  await Promise.all(clients);
  agent.destroy();
  return { stats, lineages, checkedBeforeLogout: journal };

  async function runClient(clientIndex) {
    let lineage = new Lineage();
    lineages.push(lineage);
    let seq = 0;
    let random = (clientIndex + 1) * 2_654_435_761;
    const next = () => {
      random = (random * 1_103_515_245 + 12_345) % 2_147_483_648;
      return random / 2_147_483_648;
    };
    const startNew = () => {
      lineage = new Lineage();
      lineages.push(lineage);
    };
    const send = async (op, method, path, body) => {
      const reply = await request(agent, url, method, path, { cookie: lineage.cookie, body });
      stats.record(op, reply);
      if (reply.setCookie !== undefined) lineage.cookie = reply.setCookie ?? undefined;
      return reply;
    };
    while (!signal.aborted) {
      const roll = next();
      if (lineage.acknowledgedItems.size >= CART_LIMIT || (roll < 0.02 && lineage.cookie)) {
        // Before its session is destroyed on purpose, check what it was told was saved (the
        // check at the end only sees the sessions still open then).
        const cart = await send('cart-read', 'GET', '/cart');
        if (ok(cart.status)) journal.check(lineage, cart.body?.items ?? []);
        const before = lineage.cookie;
        const reply = await send('logout', 'POST', '/logout');
        lineage.state = ok(reply.status) ? 'logged-out' : 'uncertain';
        // The logout clears the cookie; the check needs the old one, to see it resolves to nothing.
        lineage.cookie = before;
        startNew();
      } else if (roll < 0.12) {
        const before = lineage.cookie;
        const user = `u${clientIndex}-${seq++}`;
        const reply = await send('login', 'POST', '/login', { user });
        if (ok(reply.status)) {
          lineage.user = user;
        } else {
          lineage.state = 'uncertain';
          lineage.cookie = before;
          startNew();
        }
      } else if (roll < 0.45) {
        const sku = `c${clientIndex}-${seq++}`;
        const reply = await send('cart-write', 'POST', '/cart', { sku });
        if (ok(reply.status)) lineage.acknowledgedItems.add(sku);
      } else if (roll < 0.9) {
        await send('cart-read', 'GET', '/cart');
      } else {
        await send('me', 'GET', '/me');
      }
    }
  }
}

/**
 * Check every journal against the app, once the store is healthy again (each check retries a
 * failed answer for up to `retryMs`). Returns the counts and a few examples of what was lost.
 */
export async function verifyJournals(url, lineages, { retryMs = 15_000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const result = {
    lineages: lineages.length,
    acknowledgedItems: 0,
    lostItems: 0,
    acknowledgedLogins: 0,
    lostLogins: 0,
    acknowledgedLogouts: 0,
    resurrectedSessions: 0,
    uncertainLineages: 0,
    uncertainLineagesGone: 0,
    unverifiable: 0,
    examples: [],
  };
  const get = async (path, cookie) => {
    const deadline = Date.now() + retryMs;
    for (;;) {
      const reply = await request(agent, url, 'GET', path, { cookie });
      if (ok(reply.status) || Date.now() > deadline) return reply;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const queue = [...lineages];
  const worker = async () => {
    for (let lineage = queue.pop(); lineage; lineage = queue.pop()) {
      if (!lineage.cookie) {
        // Never got a cookie: nothing was acknowledged (a first write answers with the cookie).
        result.lostItems += lineage.acknowledgedItems.size;
        result.acknowledgedItems += lineage.acknowledgedItems.size;
        continue;
      }
      const cart = await get('/cart', lineage.cookie);
      if (!ok(cart.status)) {
        result.unverifiable++;
        continue;
      }
      const items = new Set(cart.body?.items ?? []);
      if (lineage.state === 'logged-out') {
        result.acknowledgedLogouts++;
        if (items.size > 0) result.resurrectedSessions++;
        continue;
      }
      if (lineage.state === 'uncertain') {
        result.uncertainLineages++;
        if (items.size === 0 && lineage.acknowledgedItems.size > 0) {
          result.uncertainLineagesGone++;
          continue;
        }
      }
      result.acknowledgedItems += lineage.acknowledgedItems.size;
      for (const sku of lineage.acknowledgedItems) {
        if (!items.has(sku)) {
          result.lostItems++;
          if (result.examples.length < 5) result.examples.push(`cart item ${sku} lost`);
        }
      }
      if (lineage.user !== null && lineage.state === 'active') {
        result.acknowledgedLogins++;
        const me = await get('/me', lineage.cookie);
        if (me.body?.user !== lineage.user) {
          result.lostLogins++;
          if (result.examples.length < 5)
            result.examples.push(`login ${lineage.user} lost (user: ${me.body?.user})`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  agent.destroy();
  result.acknowledgedWritesLost = result.lostItems + result.lostLogins + result.resurrectedSessions;
  return result;
}

/**
 * The end-of-run check plus the checks made before each logout: acknowledged cart items counted
 * (and lost) in both, so that `acknowledgedWritesLost` covers every session, not just the last.
 */
export function mergeJournalChecks(atEnd, beforeLogout) {
  const merged = {
    ...atEnd,
    acknowledgedItems: atEnd.acknowledgedItems + beforeLogout.acknowledgedItems,
    lostItems: atEnd.lostItems + beforeLogout.lostItems,
    checkedBeforeLogout: beforeLogout.lineagesChecked,
    lostBeforeLogout: beforeLogout.lostItems,
    examples: [...beforeLogout.examples, ...atEnd.examples].slice(0, 5),
  };
  merged.acknowledgedWritesLost = merged.lostItems + merged.lostLogins + merged.resurrectedSessions;
  return merged;
}
