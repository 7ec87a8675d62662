import type { ResolvedSessionOptions, SessionModuleOptions, SameSite } from './session-options.js';
import { resolveStoreKeys } from './resolve-store-keys.js';

const MINUTE = 60_000;
const MIN_SECRET_LENGTH = 32;
const SAME_SITE: readonly SameSite[] = ['lax', 'strict', 'none'];
/** RFC 6265 token characters: what a cookie name may be made of. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A bad option, found at start-up: the message names the option. */
export class SessionOptionsError extends Error {
  constructor(option: string, problem: string) {
    super(`SessionModule option "${option}" ${problem}`);
    this.name = 'SessionOptionsError';
  }
}

function positive(option: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && !value)) {
    throw new SessionOptionsError(
      option,
      `must be a ${allowZero ? 'non-negative' : 'positive'} number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}

function secrets(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (value === undefined || list.length === 0) {
    throw new SessionOptionsError('secret', 'is required');
  }
  list.forEach((secret, index) => {
    const name = Array.isArray(value) ? `secret[${index}]` : 'secret';
    if (typeof secret !== 'string') throw new SessionOptionsError(name, 'must be a string');
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new SessionOptionsError(
        name,
        `must be at least ${MIN_SECRET_LENGTH} characters long (got ${secret.length})`,
      );
    }
  });
  return list as string[];
}

/** Check every option and fill in the defaults; throws `SessionOptionsError` on the first bad one. */
export function resolveSessionOptions(options: SessionModuleOptions): ResolvedSessionOptions {
  if (!options || typeof options !== 'object') {
    throw new SessionOptionsError('options', 'must be an object with at least a secret');
  }
  const cookie = options.cookie ?? {};
  const name = cookie.name ?? 'sid';
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw new SessionOptionsError(
      'cookie.name',
      `must be a valid cookie name, got ${String(name)}`,
    );
  }
  const sameSite = cookie.sameSite ?? 'lax';
  if (!SAME_SITE.includes(sameSite)) {
    throw new SessionOptionsError(
      'cookie.sameSite',
      `must be one of ${SAME_SITE.join(', ')}, got ${String(sameSite)}`,
    );
  }
  const secure = cookie.secure ?? 'auto';
  if (secure !== true && secure !== false && secure !== 'auto') {
    throw new SessionOptionsError('cookie.secure', `must be true, false or 'auto'`);
  }
  const path = cookie.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/') || /[;\s]/.test(path)) {
    throw new SessionOptionsError('cookie.path', `must start with "/" and hold no ";" or spaces`);
  }
  if (
    cookie.domain !== undefined &&
    (typeof cookie.domain !== 'string' || /[;\s]/.test(cookie.domain))
  ) {
    throw new SessionOptionsError('cookie.domain', 'must be a domain name');
  }
  if (cookie.maxAge !== undefined) positive('cookie.maxAge', cookie.maxAge);

  const idleTimeout = positive('idleTimeout', options.idleTimeout ?? 20 * MINUTE);
  const absoluteTimeout =
    options.absoluteTimeout === false
      ? false
      : positive('absoluteTimeout', options.absoluteTimeout ?? 24 * 60 * MINUTE);
  const touchAfter = positive('touchAfter', options.touchAfter ?? idleTimeout / 10, true);
  if (touchAfter >= idleTimeout) {
    throw new SessionOptionsError(
      'touchAfter',
      `must be shorter than idleTimeout (${idleTimeout})`,
    );
  }
  const onInvalidStoredData = options.onInvalidStoredData ?? 'reset';
  if (onInvalidStoredData !== 'reset' && onInvalidStoredData !== 'reject') {
    throw new SessionOptionsError('onInvalidStoredData', `must be 'reset' or 'reject'`);
  }
  if (
    options.store !== undefined &&
    (typeof options.store !== 'object' || options.store === null)
  ) {
    throw new SessionOptionsError('store', 'must be a SessionStore instance');
  }
  const idFrom = options.idFrom ?? ['cookie'];
  if (
    !Array.isArray(idFrom) ||
    idFrom.length === 0 ||
    idFrom.some((source) => source !== 'cookie' && source !== 'header') ||
    new Set(idFrom).size !== idFrom.length
  ) {
    throw new SessionOptionsError('idFrom', `must list 'cookie' and/or 'header', each once`);
  }
  const header = options.header ?? 'x-session-id';
  if (typeof header !== 'string' || !COOKIE_NAME.test(header)) {
    throw new SessionOptionsError('header', `must be a valid header name, got ${String(header)}`);
  }
  if (options.consent !== undefined && typeof options.consent !== 'function') {
    throw new SessionOptionsError(
      'consent',
      'must be a function of the request returning a boolean',
    );
  }
  if (options.everyRoute !== undefined && typeof options.everyRoute !== 'boolean') {
    throw new SessionOptionsError('everyRoute', 'must be true or false');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new SessionOptionsError('clock', 'must be a function returning epoch milliseconds');
  }
  const cookieSecrets = secrets(options.secret);
  return {
    secrets: cookieSecrets,
    store: options.store,
    cookie: {
      name,
      path,
      domain: cookie.domain,
      httpOnly: cookie.httpOnly ?? true,
      secure,
      sameSite,
      maxAge: cookie.maxAge,
      partitioned: cookie.partitioned ?? false,
    },
    idleTimeout,
    absoluteTimeout,
    touchAfter,
    maxSize: positive('maxSize', options.maxSize ?? 1024 * 1024),
    onInvalidStoredData,
    retryAfterSeconds: positive('retryAfterSeconds', options.retryAfterSeconds ?? 5, true),
    lock: {
      waitMs: positive('lock.waitMs', options.lock?.waitMs ?? 5_000, true),
      ttlMs: positive('lock.ttlMs', options.lock?.ttlMs ?? 30_000),
    },
    everyRoute: options.everyRoute ?? false,
    idFrom,
    header: header.toLowerCase(),
    consent: options.consent,
    storeKeys: resolveStoreKeys(options.storeKeys, cookieSecrets, (option, problem) => {
      throw new SessionOptionsError(option, problem);
    }),
    clock: options.clock ?? Date.now,
  };
}
