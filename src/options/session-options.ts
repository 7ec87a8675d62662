import type { SessionStore } from '../store/session-store.js';

export type SameSite = 'lax' | 'strict' | 'none';

/** Attributes of the session cookie. It only ever holds the signed session id. */
export interface SessionCookieOptions {
  /** Cookie name. Default `'sid'`. */
  name?: string;
  /** Default `'/'`. */
  path?: string;
  /** Default: none (host-only cookie). */
  domain?: string;
  /** Default `true`: scripts cannot read the cookie. */
  httpOnly?: boolean;
  /**
   * `true`: always Secure. `false`: never. `'auto'` (default): Secure when the request came over
   * HTTPS, including behind a proxy the app trusts (Express `trust proxy`, Fastify `trustProxy`).
   */
  secure?: boolean | 'auto';
  /** Default `'lax'`. `'none'` needs Secure to be accepted by browsers. */
  sameSite?: SameSite;
  /**
   * Lifetime in ms, sent as Max-Age and slid forward whenever the session's expiry is refreshed.
   * Default: none, a browser-session cookie (the server-side expiry still applies).
   */
  maxAge?: number;
  /** CHIPS partitioned cookie. Default `false`. */
  partitioned?: boolean;
}

/** Defaults for `@SessionLock()`. */
export interface SessionLockDefaults {
  /** How long a request waits for the lock before it is answered 423 Locked. Default 5,000 ms. */
  waitMs?: number;
  /** How long a held lock lives at most (a crashed holder frees it then). Default 30,000 ms. */
  ttlMs?: number;
}

export interface SessionModuleOptions {
  /**
   * Secret(s) that sign the cookie, each at least 32 characters. The first signs; all verify, so
   * a new secret can be put first while the old one still accepts existing cookies.
   */
  secret: string | string[];
  /** Where sessions live. Default: a new `MemorySessionStore`. */
  store?: SessionStore;
  cookie?: SessionCookieOptions;
  /** Sliding idle timeout in ms. Default 20 minutes. */
  idleTimeout?: number;
  /** Absolute lifetime from creation in ms, or `false` for none. Default 24 hours. */
  absoluteTimeout?: number | false;
  /**
   * How stale an unchanged session's expiry may get before it is refreshed in the store, in ms,
   * so that read-only traffic does not write on every request. Default `idleTimeout / 10`.
   */
  touchAfter?: number;
  /** Largest session, in bytes of JSON, that a commit may write. Default 1 MiB. */
  maxSize?: number;
  /**
   * What to do when stored data fails its schema and no migration applies: `'reset'` it to the
   * schema's defaults with a logged warning (default), or `'reject'` the request with a 500.
   */
  onInvalidStoredData?: 'reset' | 'reject';
  /** Seconds sent in `Retry-After` with the 503 of an unreachable store. Default 5. */
  retryAfterSeconds?: number;
  /** Defaults for `@SessionLock()`. */
  lock?: SessionLockDefaults;
  /**
   * Where a request's session id is looked for, in order: the cookie, and/or a header (for API
   * and mobile clients; name it with `header`). A new or regenerated id is sent back in each
   * listed one. Default `['cookie']`.
   */
  idFrom?: Array<'cookie' | 'header'>;
  /** The header that carries the signed session id when `idFrom` lists it. Default `'x-session-id'`. */
  header?: string;
  /**
   * Makes the session cookie non-essential (ASP.NET Core's cookie policy): until this returns
   * `true` for a request, no session cookie is set and nothing is stored; the handler still gets
   * a working session that lives for the request. Default: none (the cookie is essential).
   */
  consent?: (request: unknown) => boolean;
  /**
   * Bind every route, not only those that use the session: every request counts as activity (its
   * session's expiry is refreshed when due) and any route may write the session. Default
   * `false`: only routes that use the session (a `@Session()` parameter, `@SessionLock()`,
   * `@UsesSession()`) run this library's code; others are untouched and do not refresh expiry.
   */
  everyRoute?: boolean;
  /**
   * How a session id becomes the key its store sees. Default `'hashed'`: an HMAC-SHA256 of the
   * id, so a dump of the store holds no id a cookie could carry. `'plain'`: the id itself (as
   * before 0.2). An object tunes the hashed form; see `SessionStoreKeyOptions`.
   */
  storeKeys?: 'hashed' | 'plain' | SessionStoreKeyOptions;
  /** The clock, in epoch ms; tests pass a controllable one. Default `Date.now`. */
  clock?: () => number;
}

/** The hashed form of store keys (`storeKeys`), tuned. */
export interface SessionStoreKeyOptions {
  /**
   * The key of the HMAC, at least 32 characters, never one of the cookie `secret`s: those
   * rotate, and a new store key secret finds none of the sessions stored under the old one.
   * Set it once and keep it. Default: none, a fixed public key; the store keys are then a plain
   * one-way hash of the 192-bit random ids (still no usable cookie in a dump), and a secret adds
   * that whoever can write to the store cannot place a session under an id they hold.
   */
  secret?: string;
  /**
   * `'plain'`: also find a session stored under its plain id (written before hashing was on)
   * and move it under its hashed key on its first read. For an existing deployment switching to
   * hashed keys: keep it for one idle timeout after the switch (every live session has been read
   * and moved, or has expired), then remove it. Costs a second store read when a cookie names a
   * session that is not under its hashed key.
   */
  migrateFrom?: 'plain';
}

/** `storeKeys`, checked: the HMAC key (`null` for plain keys) and whether plain keys are read. */
export interface ResolvedStoreKeys {
  hmacKey: Buffer | null;
  migrateFromPlain: boolean;
}

/** Options after validation, with every default filled in. */
export interface ResolvedSessionOptions {
  secrets: string[];
  store: SessionStore | undefined;
  cookie: Required<Omit<SessionCookieOptions, 'domain' | 'maxAge'>> &
    Pick<SessionCookieOptions, 'domain' | 'maxAge'>;
  idleTimeout: number;
  absoluteTimeout: number | false;
  touchAfter: number;
  maxSize: number;
  onInvalidStoredData: 'reset' | 'reject';
  retryAfterSeconds: number;
  lock: Required<SessionLockDefaults>;
  everyRoute: boolean;
  idFrom: Array<'cookie' | 'header'>;
  header: string;
  consent: ((request: unknown) => boolean) | undefined;
  storeKeys: ResolvedStoreKeys;
  clock: () => number;
}
