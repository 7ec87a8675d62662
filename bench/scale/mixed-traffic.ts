/**
 * Mixed session traffic over several app processes, for the failover runs of `npm run scale`.
 *
 * Each connection is a client with a session of its own that rotates over the processes:
 * reads (half), cart appends without the lock, locked appends, prefs writes. Every append
 * carries a unique sku, and the client journals the skus a 2xx acknowledged, so that afterwards
 * `verify()` can count acknowledged writes that are gone. A read that misses an acknowledged sku
 * is counted as it happens (a stale read). A session that vanishes (the server answers with a
 * new cookie) is counted and its journal kept, so its lost items are counted too.
 */

export interface TrafficEvent {
  /** ms since the traffic started, when the answer arrived. */
  at: number;
  app: number;
  status: number; // 0: connection error, -1: client timeout
  kind: 'read' | 'write';
  ms: number;
  /** For a failure: what the server said (its message), or the client's error. */
  reason?: string;
}

interface ClientSession {
  cookie: string | undefined;
  journal: string[];
}

const REQUEST_TIMEOUT_MS = 5_000;
/** A client starts a new session after this many acknowledged appends (keeps carts small). */
const APPENDS_PER_SESSION = 40;

export class MixedTraffic {
  readonly events: TrafficEvent[] = [];
  readonly sessions: ClientSession[] = [];
  staleReads = 0;
  sessionsVanished = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private started = 0;

  constructor(
    private readonly appUrls: string[],
    private readonly connections: number,
  ) {}

  /** ms since the traffic started. */
  now(): number {
    return performance.now() - this.started;
  }

  start(): void {
    this.running = true;
    this.started = performance.now();
    this.loops = Array.from({ length: this.connections }, (_, i) => this.client(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async client(index: number): Promise<void> {
    let session: ClientSession = { cookie: undefined, journal: [] };
    this.sessions.push(session);
    let serial = 0;
    for (let step = 0; this.running; step++) {
      const app = (index + step) % this.appUrls.length;
      const op = step % 10;
      if (op < 5 && session.cookie) {
        const reply = await this.send(app, 'GET', '/session', session, undefined, 'read');
        if (reply?.status === 200) {
          const cart = new Set((reply.body as { cart: string[] }).cart);
          if (session.journal.some((sku) => !cart.has(sku))) this.staleReads++;
        }
        continue;
      }
      const sku = `c${index}-${serial++}`;
      const [path, journaled] =
        op === 9 ? ['/prefs', false] : op === 8 ? ['/cart/add', true] : ['/cart/item', true];
      const reply = await this.send(app, 'POST', path, session, { sku }, 'write');
      if (reply?.status === 200 && journaled) session.journal.push(sku);
      if (session.journal.length >= APPENDS_PER_SESSION) {
        session = { cookie: undefined, journal: [] };
        this.sessions.push(session);
      }
    }
  }

  private async send(
    app: number,
    method: string,
    path: string,
    session: ClientSession,
    body: unknown,
    kind: TrafficEvent['kind'],
  ): Promise<{ status: number; body: unknown } | undefined> {
    const began = performance.now();
    const headers: Record<string, string> = {};
    if (session.cookie) headers.cookie = `sid=${session.cookie}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let parsed: unknown;
    let reason: string | undefined;
    try {
      const response = await fetch(`${this.appUrls[app]}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      const text = await response.text();
      parsed = status === 200 && text ? JSON.parse(text) : text;
      if (status !== 200) reason = `${status} ${messageOf(text)}`;
      const set = response.headers
        .getSetCookie()
        .map((line) => /^sid=([^;]*)/.exec(line)?.[1])
        .find((value) => value !== undefined);
      if (set && status === 200) {
        // A new id for a client that had one: its session was gone on the server.
        if (session.cookie && set !== session.cookie) {
          this.sessionsVanished++;
          const vanished: ClientSession = { cookie: session.cookie, journal: session.journal };
          this.sessions.push(vanished);
          session.journal = [];
        }
        session.cookie = set;
      }
    } catch (error) {
      status = (error as Error).name === 'TimeoutError' ? -1 : 0;
      reason = `${(error as Error).name}: ${(error as Error).message}`;
    }
    const at = performance.now();
    this.events.push({ at: at - this.started, app, status, kind, ms: at - began, reason });
    return status === 0 || status === -1 ? undefined : { status, body: parsed };
  }

  /**
   * Read back every session the clients wrote and count acknowledged appends that are gone.
   * Bounded retries: the store may still be settling.
   */
  async verify(): Promise<{ acknowledged: number; lost: number; unreadable: number }> {
    let acknowledged = 0;
    let lost = 0;
    let unreadable = 0;
    for (const session of this.sessions) {
      if (session.journal.length === 0 || !session.cookie) continue;
      acknowledged += session.journal.length;
      let cart: Set<string> | undefined;
      for (let attempt = 0; attempt < 5 && !cart; attempt++) {
        try {
          const response = await fetch(`${this.appUrls[0]}/session`, {
            headers: { cookie: `sid=${session.cookie}` },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          if (response.status === 200) {
            cart = new Set(((await response.json()) as { cart: string[] }).cart);
          }
        } catch {
          // retried below
        }
        if (!cart) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (!cart) {
        unreadable += session.journal.length;
        continue;
      }
      lost += session.journal.filter((sku) => !cart.has(sku)).length;
    }
    return { acknowledged, lost, unreadable };
  }
}

function messageOf(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    return typeof message === 'string' ? message : text.slice(0, 120);
  } catch {
    return text.slice(0, 120);
  }
}
