import { CookieSigner } from '../cookie/cookie-signer.js';
import { readCookie } from '../cookie/session-cookie.js';
import { newSessionId } from '../cookie/session-id.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { schemaForKey, versionKey } from '../schema/session-schema.decorator.js';
import type { JsonValue } from '../store/json-value.js';
import { isExpired, type SessionMetadata } from '../store/session-record.js';
import { SessionStore } from '../store/session-store.js';
import { KEYED_SESSION_STORE, type KeyedSessionStore } from '../store-keys/keyed-session-store.js';

/**
 * What the helpers need of an app: `INestApplication`, `TestingModule` or any module reference
 * that has `SessionModule` imported somewhere in it.
 */
export interface SessionAppRef {
  get(token: symbol | typeof SessionStore, options: { strict: false }): unknown;
}

/** A session's data: namespace (a `@SessionSchema` key or a bag key) to its value. */
export type SessionTestData = Record<string, JsonValue | object>;

/**
 * Stores a new session holding `data` in the app's store, as a login would, and answers the
 * `Cookie` header that carries it (`sid=<id>.<signature>`), ready for supertest's
 * `.set('Cookie', cookie)` or Fastify's `inject({ headers: { cookie } })`. Schema instances are
 * stored as their JSON, with the schema's version when it is not 1. Timestamps come from the
 * app's `clock` option.
 */
export async function createSessionCookie(
  app: SessionAppRef,
  data: SessionTestData,
): Promise<string> {
  const { store, options } = sessionParts(app);
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`createSessionCookie: "${key}" is not JSON`);
    set[key] = text;
    const version = schemaForKey(key)?.version ?? 1;
    if (version !== 1) set[versionKey(key)] = String(version);
  }
  const id = newSessionId();
  const result = await store.set(id, {
    mode: 'create',
    metadata: newMetadata(options),
    set,
    remove: [],
  });
  if (result.status !== 'ok')
    throw new Error(`createSessionCookie: the store answered ${result.status}`);
  return `${options.cookie.name}=${new CookieSigner(options.secrets).sign(id)}`;
}

/**
 * The data of the session a cookie names, each namespace parsed from its JSON, without the
 * library's own bookkeeping keys; `null` when the cookie is missing, forged or names no live
 * session. Takes a `Cookie` header, a `Set-Cookie` value or supertest's `set-cookie` array.
 */
export async function readSession(
  app: SessionAppRef,
  cookie: string | readonly string[] | undefined,
): Promise<Record<string, JsonValue> | null> {
  const { store, options } = sessionParts(app);
  const id = cookieSessionId(options, cookie);
  if (id === null) return null;
  const record = await store.get(id);
  if (!record || isExpired(record.metadata, options.clock())) return null;
  const data: Record<string, JsonValue> = {};
  for (const [key, text] of Object.entries(record.data)) {
    if (!key.startsWith('$')) data[key] = JSON.parse(text) as JsonValue;
  }
  return data;
}

/**
 * The key the app's store holds a session under (see the `storeKeys` option): for a test that
 * looks at the store itself (`store.get(key)`, a Redis key, a table row). Takes the session's
 * cookie (as `readSession` does) or its bare id; `null` when the cookie is missing or forged.
 */
export function sessionStoreKey(
  app: SessionAppRef,
  cookieOrId: string | readonly string[] | undefined,
): string | null {
  const { store, options } = sessionParts(app);
  const id =
    typeof cookieOrId === 'string' && !cookieOrId.includes('=')
      ? cookieOrId.split('.')[0]
      : cookieSessionId(options, cookieOrId);
  return id === null ? null : store.keyOf(id);
}

/** The verified session id in a `Cookie` header, a `Set-Cookie` value or a list of them. */
function cookieSessionId(
  options: ResolvedSessionOptions,
  cookie: string | readonly string[] | undefined,
): string | null {
  const headers = cookie === undefined ? [] : typeof cookie === 'string' ? [cookie] : cookie;
  const value = headers
    .map((header) => readCookie(header, options.cookie.name))
    .find((found) => found);
  return value ? new CookieSigner(options.secrets).unsign(value) : null;
}

/** The app's options and its store as the session engine sees it: by session id. */
function sessionParts(app: SessionAppRef): {
  store: KeyedSessionStore;
  options: ResolvedSessionOptions;
} {
  let options: ResolvedSessionOptions;
  try {
    options = app.get(RESOLVED_SESSION_OPTIONS, { strict: false }) as ResolvedSessionOptions;
  } catch (error) {
    throw new Error('The app has no SessionModule: import SessionModule.forRoot(...) in it', {
      cause: error,
    });
  }
  return { store: app.get(KEYED_SESSION_STORE, { strict: false }) as KeyedSessionStore, options };
}

function newMetadata(options: ResolvedSessionOptions): SessionMetadata {
  const now = options.clock();
  return {
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: now + options.idleTimeout,
    absoluteExpiresAt: options.absoluteTimeout === false ? null : now + options.absoluteTimeout,
  };
}
